export type { AttemptOutcome, AttemptSpan, CallTrace, TracedAttempt } from './call-trace.ts';
export { abortReason, type Caller } from './caller.ts';
export {
  CLIENT_DEFAULTS,
  createFeaturebaseClient,
  type FeaturebaseClient,
  type FeaturebaseClientOptions,
} from './client.ts';
export { decodeDeleted, decodeWebhook, decodeWebhookList } from './decode.ts';
export * from './errors.ts';
export { pathTemplate, WEBHOOKS_PATH, webhookPath } from './path.ts';
export { createUpstreamAgent, type UpstreamAgentOptions } from './request/agent.ts';
export type { RateLimitInfo } from './request/answer-headers.ts';
export {
  type AttemptObserver,
  createRequestFunction,
  type HttpMethod,
  type RequestConfig,
  type RequestFunction,
  type UpstreamAttemptEvent,
  type UpstreamRequest,
  type UpstreamResponse,
} from './request/request.ts';
export {
  backoffDelay,
  decideRetry,
  isIdempotent,
  isRetryable,
  isRetryableStatus,
  type JitterMode,
  parseRetryAfter,
  type RetryDecision,
  type RetryPolicy,
  retryAfterSeconds,
} from './request/retry.ts';
export {
  type RateLimitAnswer,
  RateLimitGate,
  type RateLimitGateOptions,
} from './resilience/rate-limit-gate.ts';
export { isUpstreamFailure, Resilience } from './resilience/resilience.ts';
export { RetryBudget, type RetryBudgetOptions } from './resilience/retry-budget.ts';
export type {
  BreakerState,
  CallScope,
  ResilienceConfig,
  ResilienceEvent,
  ResilienceObserver,
  UpstreamHealth,
} from './resilience/types.ts';
export { WebhooksResource } from './webhooks.ts';
export * from './wire.ts';
