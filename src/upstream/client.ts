/**
 * The Featurebase client: `createFeaturebaseClient(options).webhooks.<method>(…, caller)`.
 * Every option is checked once here, and every default lives here.
 */

import type { Dispatcher } from 'undici';
import { type AttemptObserver, createRequestFunction } from './request.ts';
import type { JitterMode } from './retry.ts';
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
  /** Retries after the first attempt, for what may be retried (see `retry.ts`). Default `2`. */
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
  /** The jitter source, a number in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Our `User-Agent`. Default `featurebase-webhooks-gateway/0.1.0`. */
  userAgent?: string;
}

export interface FeaturebaseClient {
  webhooks: WebhooksResource;
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
} as const;

/** Timers beyond this overflow to 1 ms in Node. */
const MAX_TIMER_MS = 2_147_483_647;

export function createFeaturebaseClient(options: FeaturebaseClientOptions): FeaturebaseClient {
  const timeoutMs = checked('timeoutMs', options.timeoutMs, 1, MAX_TIMER_MS);
  const request = createRequestFunction({
    baseUrl: options.baseUrl,
    dispatcher: options.dispatcher,
    timeoutMs,
    totalTimeoutMs: checked(
      'totalTimeoutMs',
      options.totalTimeoutMs ?? Math.round(timeoutMs * CLIENT_DEFAULTS.totalTimeoutFactor),
      1,
      MAX_TIMER_MS,
    ),
    retry: {
      maxRetries: checked('maxRetries', options.maxRetries ?? CLIENT_DEFAULTS.maxRetries, 0, 10),
      baseDelayMs: checked(
        'retryBaseDelayMs',
        options.retryBaseDelayMs ?? CLIENT_DEFAULTS.retryBaseDelayMs,
        0,
        MAX_TIMER_MS,
      ),
      maxDelayMs: checked(
        'retryMaxDelayMs',
        options.retryMaxDelayMs ?? CLIENT_DEFAULTS.retryMaxDelayMs,
        0,
        MAX_TIMER_MS,
      ),
      maxRetryAfterMs: checked(
        'maxRetryAfterMs',
        options.maxRetryAfterMs ?? CLIENT_DEFAULTS.maxRetryAfterMs,
        0,
        MAX_TIMER_MS,
      ),
      jitter: options.retryJitter ?? CLIENT_DEFAULTS.retryJitter,
      random: options.random ?? Math.random,
    },
    maxResponseBytes: checked(
      'maxResponseBytes',
      options.maxResponseBytes ?? CLIENT_DEFAULTS.maxResponseBytes,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    userAgent: options.userAgent ?? CLIENT_DEFAULTS.userAgent,
    onAttempt: options.onAttempt,
  });
  return { webhooks: new WebhooksResource(request) };
}

function checked(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}.`);
  }
  return value;
}
