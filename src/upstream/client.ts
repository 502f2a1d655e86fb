/**
 * The Featurebase client: `createFeaturebaseClient(options).webhooks.<method>(…, caller)`.
 * Every option is checked once here, and every default lives here.
 */

import type { Dispatcher } from 'undici';
import {
  type AttemptObserver,
  createRequestFunction,
  type RequestFunction,
} from './request/request.ts';
import type { JitterMode } from './request/retry.ts';
import { SharedReads } from './request/shared-reads.ts';
import { Resilience } from './resilience/resilience.ts';
import type { SharedRateLimits } from './resilience/shared-rate-limits.ts';
import type { ResilienceObserver, UpstreamHealth } from './resilience/types.ts';
import { WebhooksResource } from './webhooks.ts';

export interface FeaturebaseClientOptions {
  /** Upstream origin plus an optional base path, e.g. `https://do.featurebase.app`; `/v2/...` is appended. Required. */
  baseUrl: string;
  /** The HTTP seam: `createUpstreamAgent()` in production, an undici `MockAgent` in tests. Required. */
  dispatcher: Dispatcher;
  /** Time allowed for one attempt, headers and body together. Required (the gateway's `UPSTREAM_TIMEOUT_MS`). */
  timeoutMs: number;
  /** Time allowed for one call with all its retries and waits. Default `round(2.5 × timeoutMs)`. */
  totalTimeoutMs?: number;
  /** Retries after the first attempt, for what may be retried (see `request/retry.ts`). Default `2`. */
  maxRetries?: number;
  /** Backoff before the first retry, doubled for each next one. Default `250`. */
  retryBaseDelayMs?: number;
  /** Upper bound of one backoff. Default `2000`. */
  retryMaxDelayMs?: number;
  /** `equal` waits in [d/2, d], `full` in [0, d]. Default `equal`. */
  retryJitter?: JitterMode;
  /** A `Retry-After` longer than this is not waited for: the error is returned at once. Default `5000`. */
  maxRetryAfterMs?: number;
  /** Answers larger than this are refused (`UpstreamProtocolError`). Default `1048576` (1 MiB). */
  maxResponseBytes?: number;
  /** Called after every attempt with a secret-free event, for logs and metrics. Default: none. */
  onAttempt?: AttemptObserver;
  /** Called on breaker changes, refused calls and skipped retries (secret-free). Default: none. */
  onResilienceEvent?: ResilienceObserver;
  /**
   * What Featurebase says of a key's rate limit, shared with other instances through the shared
   * state (src/upstream/resilience/shared-rate-limits.ts). Default: none.
   */
  sharedRateLimits?: SharedRateLimits;
  /** The breaker opens when at least this share of the calls in its window failed. Default `0.5`. */
  breakerFailureRatio?: number;
  /** ...and only once its window holds at least this many calls (failed or not). Default `10`. */
  breakerMinimumCalls?: number;
  /** The breaker's sliding window (whole seconds are exact). Default `10000`. */
  breakerWindowMs?: number;
  /** How long an open breaker refuses calls before letting one probe call through. Default `5000`. */
  breakerHalfOpenAfterMs?: number;
  /** Most upstream requests in flight at once (bulkhead); keep ≤ the agent's `connections`. Default `32`. */
  maxConcurrentRequests?: number;
  /** Most requests waiting for a free slot; beyond that they fail at once. Default `64`. */
  maxQueuedRequests?: number;
  /**
   * Most requests in flight for one tenant (an accepted API key, or one client address for keys
   * Featurebase has not accepted). Default `16` (half the bulkhead).
   */
  maxConcurrentPerTenant?: number;
  /** Most requests waiting for a slot for one tenant. Default `16` (a quarter of the queue). */
  maxQueuedPerTenant?: number;
  /** Keys remembered as accepted, and as refused (as hashes), each. Default `10000`. */
  keyVerdictMaxKeys?: number;
  /** How long a key Featurebase refused (401, 403) is refused without a call; `0` never. Default `60000`. */
  rejectedKeyTtlMs?: number;
  /** How long a key Featurebase accepted keeps a tenant share of its own without a new answer. Default `600000`. */
  acceptedKeyTtlMs?: number;
  /** Retries allowed per call over the budget window (0.2: at most 1.2 requests per call). Default `0.2`. */
  retryBudgetRatio?: number;
  /** Retries always allowed per budget window, however quiet the gateway. Default `10`. */
  retryBudgetMinRetries?: number;
  /** The retry budget's sliding window. Default `10000`. */
  retryBudgetWindowMs?: number;
  /** Most API keys the rate-limit gate remembers at once (as hashes); `0` turns it off. Default `10000`. */
  rateLimitGateMaxKeys?: number;
  /** The longest the gate holds a key back, whatever Featurebase says. Default `3600000` (1 h). */
  rateLimitGateMaxWaitMs?: number;
  /** The clock of the rate-limit gate and the retry budget, ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** The jitter source, a number in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Our `User-Agent`. Default `featurebase-webhooks-gateway/0.1.0`. */
  userAgent?: string;
  /**
   * Identical reads in flight at the same moment (same key, version, path and query) share one
   * call (`request/shared-reads.ts`). Default `true`.
   */
  shareReads?: boolean;
}

export interface FeaturebaseClient {
  webhooks: WebhooksResource;
  /** Breaker state and bulkhead occupancy, for `/health`: read-only, cheap, secret-free. */
  health(): UpstreamHealth;
  /**
   * Whether Featurebase accepted this key lately: a tenant it knows, served first when the
   * gateway must shed load. The key is hashed to look it up, never kept.
   */
  isAcceptedKey(apiKey: string): boolean;
}

export const CLIENT_DEFAULTS = {
  totalTimeoutFactor: 2.5,
  maxRetries: 2,
  retryBaseDelayMs: 250,
  retryMaxDelayMs: 2000,
  retryJitter: 'equal',
  maxRetryAfterMs: 5000,
  maxResponseBytes: 1024 * 1024,
  userAgent: 'featurebase-webhooks-gateway/0.1.0',
  // Catalogue F19: open after ≥ 10 calls with ≥ 50% failing in 10 s; probing after 5 s means
  // closing at most ~5 s (plus one probe call) after Featurebase recovers (required: ≤ 10 s).
  breakerFailureRatio: 0.5,
  breakerMinimumCalls: 10,
  breakerWindowMs: 10_000,
  breakerHalfOpenAfterMs: 5000,
  // Catalogue F20: 32 in flight (= the agent's connections). The queue holds two "rounds": a
  // queued attempt starts within about two upstream latencies; a caller waiting longer than
  // that is better served by a fast failure, and 64 waiting attempts cost almost no memory.
  maxConcurrentRequests: 32,
  maxQueuedRequests: 64,
  // Fairness: no tenant may take more than half the slots or a quarter of the queue, so made-up
  // keys (which share their address's tenant until Featurebase accepts one) cannot crowd out a
  // tenant Featurebase knows, nor one busy tenant all others.
  maxConcurrentPerTenant: 16,
  maxQueuedPerTenant: 16,
  // Verdicts on keys: a refusal is remembered a minute (a key just created may take a moment to
  // be known everywhere), an acceptance ten minutes after its last confirmation.
  keyVerdictMaxKeys: 10_000,
  rejectedKeyTtlMs: 60_000,
  acceptedKeyTtlMs: 600_000,
  // Catalogue F19: ≤ 1.2 × upstream amplification. The floor (10 per 10 s) only matters below
  // 5 calls a second, where it adds at most 1 request a second.
  retryBudgetRatio: 0.2,
  retryBudgetMinRetries: 10,
  retryBudgetWindowMs: 10_000,
  // Featurebase's windows are one minute [S18]; an hour bounds a bogus Retry-After.
  rateLimitGateMaxKeys: 10_000,
  rateLimitGateMaxWaitMs: 3_600_000,
} as const;

/** Timers beyond this overflow to 1 ms in Node. */
const MAX_TIMER_MS = 2_147_483_647;

/** Allowed range of each numeric option: `[min, max, whole numbers only]`. */
const RANGES = {
  timeoutMs: [1, MAX_TIMER_MS, true],
  totalTimeoutMs: [1, MAX_TIMER_MS, true],
  maxRetries: [0, 10, true],
  retryBaseDelayMs: [0, MAX_TIMER_MS, true],
  retryMaxDelayMs: [0, MAX_TIMER_MS, true],
  maxRetryAfterMs: [0, MAX_TIMER_MS, true],
  maxResponseBytes: [1, Number.MAX_SAFE_INTEGER, true],
  breakerFailureRatio: [0.01, 1, false],
  breakerMinimumCalls: [1, 1_000_000, true],
  breakerWindowMs: [100, 600_000, true],
  breakerHalfOpenAfterMs: [1, MAX_TIMER_MS, true],
  maxConcurrentRequests: [1, 100_000, true],
  maxQueuedRequests: [0, 1_000_000, true],
  retryBudgetRatio: [0, 10, false],
  retryBudgetMinRetries: [0, 1_000_000, true],
  retryBudgetWindowMs: [10, 3_600_000, true],
  rateLimitGateMaxKeys: [0, 10_000_000, true],
  rateLimitGateMaxWaitMs: [1000, MAX_TIMER_MS, true],
  maxConcurrentPerTenant: [1, 100_000, true],
  maxQueuedPerTenant: [0, 1_000_000, true],
  keyVerdictMaxKeys: [1, 10_000_000, true],
  rejectedKeyTtlMs: [0, MAX_TIMER_MS, true],
  acceptedKeyTtlMs: [1000, MAX_TIMER_MS, true],
} as const satisfies Record<string, readonly [number, number, boolean]>;

type RangedOption = keyof typeof RANGES;

export function createFeaturebaseClient(options: FeaturebaseClientOptions): FeaturebaseClient {
  /** The option as given, or its default; checked against its range either way. */
  const option = (name: RangedOption, fallback?: number): number => {
    const defaults: Partial<Record<RangedOption, number>> = CLIENT_DEFAULTS;
    const value = options[name] ?? fallback ?? defaults[name];
    const [min, max, whole] = RANGES[name];
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      (whole && !Number.isInteger(value)) ||
      value < min ||
      value > max
    ) {
      throw new RangeError(
        `${name} must be a ${whole ? 'whole ' : ''}number from ${min} to ${max}.`,
      );
    }
    return value;
  };
  const timeoutMs = option('timeoutMs');

  const resilience = new Resilience({
    breakerFailureRatio: option('breakerFailureRatio'),
    breakerMinimumCalls: option('breakerMinimumCalls'),
    breakerWindowMs: option('breakerWindowMs'),
    breakerHalfOpenAfterMs: option('breakerHalfOpenAfterMs'),
    maxConcurrentRequests: option('maxConcurrentRequests'),
    maxQueuedRequests: option('maxQueuedRequests'),
    retryBudgetRatio: option('retryBudgetRatio'),
    retryBudgetMinRetries: option('retryBudgetMinRetries'),
    retryBudgetWindowMs: option('retryBudgetWindowMs'),
    rateLimitGateMaxKeys: option('rateLimitGateMaxKeys'),
    rateLimitGateMaxWaitMs: option('rateLimitGateMaxWaitMs'),
    maxConcurrentPerTenant: option('maxConcurrentPerTenant'),
    maxQueuedPerTenant: option('maxQueuedPerTenant'),
    keyVerdictMaxKeys: option('keyVerdictMaxKeys'),
    rejectedKeyTtlMs: option('rejectedKeyTtlMs'),
    acceptedKeyTtlMs: option('acceptedKeyTtlMs'),
    now: options.now ?? Date.now,
    onEvent: options.onResilienceEvent,
    sharedRateLimits: options.sharedRateLimits,
  });
  const send = createRequestFunction({
    baseUrl: options.baseUrl,
    dispatcher: options.dispatcher,
    timeoutMs,
    totalTimeoutMs: option(
      'totalTimeoutMs',
      Math.round(timeoutMs * CLIENT_DEFAULTS.totalTimeoutFactor),
    ),
    retry: {
      maxRetries: option('maxRetries'),
      baseDelayMs: option('retryBaseDelayMs'),
      maxDelayMs: option('retryMaxDelayMs'),
      maxRetryAfterMs: option('maxRetryAfterMs'),
      jitter: options.retryJitter ?? CLIENT_DEFAULTS.retryJitter,
      random: options.random ?? Math.random,
    },
    maxResponseBytes: option('maxResponseBytes'),
    userAgent: options.userAgent ?? CLIENT_DEFAULTS.userAgent,
    onAttempt: options.onAttempt,
    resilience,
  });
  const reads = options.shareReads === false ? undefined : new SharedReads();
  const request: RequestFunction = reads ? (call) => reads.send(call, send) : send;
  return {
    webhooks: new WebhooksResource(request),
    health: () => resilience.health(),
    isAcceptedKey: (apiKey) => resilience.isAcceptedKey(apiKey),
  };
}
