/**
 * The retry policy, as pure functions (no I/O, no clock, no randomness of their own).
 *
 * Only what is safe to repeat is repeated. GET and DELETE are idempotent: repeating them after
 * a lost answer changes nothing, so connection errors, timeouts, 408, 429 and 5xx are retried.
 * POST and PATCH are not: a create could happen twice, and a repeated `refreshSecret` silently
 * invalidates the secret the caller just received. They are retried ONLY when the request
 * certainly never reached Featurebase (connection refused, DNS failure, connect timeout), never
 * after a reset, a timeout once sent, a 5xx or a 429. (Stainless SDKs, featurebase-node
 * included, retry every method; we deliberately do not.)
 */

import { UpstreamConnectionError, UpstreamHttpError, UpstreamTimeoutError } from '../errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** `full`: uniform in [0, d]. `equal`: uniform in [d/2, d] (never retries at once). */
export type JitterMode = 'full' | 'equal';

export interface RetryPolicy {
  /** Retries after the first attempt (so at most `maxRetries + 1` calls). */
  maxRetries: number;
  /** Backoff of the first retry, doubled for each next one. */
  baseDelayMs: number;
  /** Upper bound of one backoff delay. */
  maxDelayMs: number;
  /** A server-directed wait (`Retry-After`) longer than this is not waited for. */
  maxRetryAfterMs: number;
  jitter: JitterMode;
  /** A number in [0, 1), like `Math.random`; injectable for tests. */
  random: () => number;
}

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'PUT',
  'DELETE',
]);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** Statuses worth another try for an idempotent request: the next answer may differ. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Whether the failed attempt may be repeated, judged only by what happened and the method.
 * `error` is what the attempt ended with; anything not from this client is never retried.
 */
export function isRetryable(method: string, error: unknown): boolean {
  if (error instanceof UpstreamConnectionError) {
    return isIdempotent(method) || !error.mayHaveReachedUpstream;
  }
  if (!isIdempotent(method)) return false;
  if (error instanceof UpstreamTimeoutError) return true;
  if (error instanceof UpstreamHttpError) return isRetryableStatus(error.status);
  return false;
}

/**
 * The backoff before retry number `retryIndex` (0 for the first retry):
 * `min(base × 2^retryIndex, max)`, then jittered.
 */
export function backoffDelay(
  retryIndex: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'jitter' | 'random'>,
): number {
  const ceiling = Math.min(policy.baseDelayMs * 2 ** Math.max(0, retryIndex), policy.maxDelayMs);
  const r = clampUnit(policy.random());
  const delay = policy.jitter === 'full' ? ceiling * r : ceiling / 2 + (ceiling / 2) * r;
  return Math.round(delay);
}

function clampUnit(value: number): number {
  if (!Number.isFinite(value) || value < 0) return 0;
  return Math.min(value, 1);
}

/** The response headers that can direct a wait (lower-case names, first value). */
export interface RetryAfterHeaders {
  'retry-after'?: string | undefined;
  'retry-after-ms'?: string | undefined;
}

const DELTA_SECONDS = /^\d+$/;
const MILLISECONDS = /^\d+(\.\d+)?$/;
/** IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and the obsolete RFC 850 form, both in GMT. */
const HTTP_DATE = /^[A-Za-z]{3,9}, \d{2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * How long the server asks us to wait, in milliseconds, or `undefined` when it does not say (or
 * says something unreadable). `retry-after-ms` wins when present (more precise); `Retry-After`
 * is delta-seconds or an HTTP-date (a date in the past means "now": 0).
 */
export function parseRetryAfter(headers: RetryAfterHeaders, nowMs: number): number | undefined {
  const ms = headers['retry-after-ms']?.trim();
  if (ms !== undefined && MILLISECONDS.test(ms)) {
    const value = Number(ms);
    if (Number.isFinite(value)) return value;
  }
  const raw = headers['retry-after']?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (DELTA_SECONDS.test(raw)) {
    const seconds = Number(raw);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  if (HTTP_DATE.test(raw)) {
    const at = Date.parse(raw);
    if (Number.isFinite(at)) return Math.max(0, at - nowMs);
  }
  return undefined;
}

/** The wait as whole seconds, for `RateLimitError.retryAfterSeconds` (rounded up). */
export function retryAfterSeconds(retryAfterMs: number | undefined): number | undefined {
  return retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000);
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | {
      retry: false;
      reason: 'not-retryable' | 'no-retries-left' | 'retry-after-too-long' | 'no-time-left';
    };

export interface RetryInput {
  method: string;
  /** What the last attempt ended with. */
  error: unknown;
  /** Retries already made (0 after the first attempt). */
  retriesDone: number;
  /** Time left in the total budget, in milliseconds. */
  remainingMs: number;
  /** The server-directed wait of the last answer, from `parseRetryAfter`. */
  retryAfterMs?: number | undefined;
}

/**
 * Whether to try again, and after how long. A server-directed wait is honoured as given when
 * it is at most `maxRetryAfterMs` and fits into the time left; otherwise we stop at once (no
 * sleeping on a wait we cannot finish) and the caller sees the error with its `retryAfter`.
 */
export function decideRetry(input: RetryInput, policy: RetryPolicy): RetryDecision {
  if (!isRetryable(input.method, input.error)) return { retry: false, reason: 'not-retryable' };
  if (input.retriesDone >= policy.maxRetries) return { retry: false, reason: 'no-retries-left' };
  let delayMs: number;
  if (input.retryAfterMs !== undefined) {
    if (input.retryAfterMs > policy.maxRetryAfterMs) {
      return { retry: false, reason: 'retry-after-too-long' };
    }
    delayMs = Math.ceil(input.retryAfterMs);
  } else {
    delayMs = backoffDelay(input.retriesDone, policy);
  }
  if (delayMs >= input.remainingMs) return { retry: false, reason: 'no-time-left' };
  return { retry: true, delayMs };
}
