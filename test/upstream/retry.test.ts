import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
  UpstreamConnectionError,
  UpstreamHttpError,
  UpstreamProtocolError,
  UpstreamTimeoutError,
} from '../../src/upstream/errors.ts';
import {
  backoffDelay,
  decideRetry,
  isIdempotent,
  isRetryable,
  parseRetryAfter,
  type RetryPolicy,
  retryAfterSeconds,
} from '../../src/upstream/request/retry.ts';

const refused = new UpstreamConnectionError('refused', false);
const reset = new UpstreamConnectionError('reset', true);
const timeout = new UpstreamTimeoutError('timeout');
const http = (status: number) =>
  status === 429
    ? new RateLimitError(429, {})
    : status >= 500
      ? new InternalServerError(status, {})
      : new UpstreamHttpError(status, {});

describe('isRetryable', () => {
  it('knows which methods are idempotent', () => {
    expect(isIdempotent('GET')).toBe(true);
    expect(isIdempotent('DELETE')).toBe(true);
    expect(isIdempotent('POST')).toBe(false);
    expect(isIdempotent('PATCH')).toBe(false);
  });

  it.each(['GET', 'DELETE'])(
    'retries %s on connection errors, timeouts, 408, 429 and 5xx',
    (method) => {
      for (const error of [
        refused,
        reset,
        timeout,
        http(408),
        http(429),
        http(500),
        http(502),
        http(503),
        http(504),
      ]) {
        expect(isRetryable(method, error)).toBe(true);
      }
    },
  );

  it.each(['POST', 'PATCH'])('retries %s only when the request certainly never left', (method) => {
    expect(isRetryable(method, refused)).toBe(true);
    for (const error of [reset, timeout, http(408), http(429), http(500), http(502), http(503)]) {
      expect(isRetryable(method, error)).toBe(false);
    }
  });

  it.each(['GET', 'POST'])(
    'never retries %s on a client error, a protocol error or a foreign error',
    (method) => {
      const errors = [
        new BadRequestError(400, {}),
        new AuthenticationError(401, {}),
        new NotFoundError(404, {}),
        http(422),
        new UpstreamProtocolError('bad json', 200),
        new TypeError('a bug'),
        'a string',
      ];
      for (const error of errors) expect(isRetryable(method, error)).toBe(false);
    },
  );
});

describe('backoffDelay', () => {
  const base = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('doubles from the base up to the cap (equal jitter at its top)', () => {
    const top = { ...base, jitter: 'equal' as const, random: () => 0.999999 };
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, top))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('full jitter spans [0, d], equal jitter [d/2, d]', () => {
    expect(backoffDelay(2, { ...base, jitter: 'full', random: () => 0 })).toBe(0);
    expect(backoffDelay(2, { ...base, jitter: 'full', random: () => 0.5 })).toBe(200);
    expect(backoffDelay(2, { ...base, jitter: 'equal', random: () => 0 })).toBe(200);
    expect(backoffDelay(2, { ...base, jitter: 'equal', random: () => 0.5 })).toBe(300);
  });

  it('survives a random source out of range', () => {
    expect(backoffDelay(0, { ...base, jitter: 'full', random: () => Number.NaN })).toBe(0);
    expect(backoffDelay(0, { ...base, jitter: 'full', random: () => 7 })).toBe(100);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter({ 'retry-after': '1' }, now)).toBe(1000);
    expect(parseRetryAfter({ 'retry-after': '3600' }, now)).toBe(3_600_000);
    expect(parseRetryAfter({ 'retry-after': '0' }, now)).toBe(0);
  });

  it('reads an HTTP-date, a past date meaning now', () => {
    expect(parseRetryAfter({ 'retry-after': 'Sun, 01 Mar 2026 13:00:00 GMT' }, now)).toBe(
      3_600_000,
    );
    expect(parseRetryAfter({ 'retry-after': 'Sun, 01 Mar 2026 11:00:00 GMT' }, now)).toBe(0);
  });

  it('prefers retry-after-ms', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '3' }, now)).toBe(250);
    expect(parseRetryAfter({ 'retry-after-ms': 'soon', 'retry-after': '3' }, now)).toBe(3000);
  });

  it('ignores what it cannot read', () => {
    for (const value of [
      '',
      '-1',
      '1.5',
      'soon',
      'tomorrow 12:00',
      'Sun, 01 Mar 2026 13:00:00',
      '99999999999999999999',
    ]) {
      expect(parseRetryAfter({ 'retry-after': value }, now)).toBeUndefined();
    }
    expect(parseRetryAfter({}, now)).toBeUndefined();
  });

  it('rounds to whole seconds upwards for the error', () => {
    expect(retryAfterSeconds(3_600_000)).toBe(3600);
    expect(retryAfterSeconds(250)).toBe(1);
    expect(retryAfterSeconds(undefined)).toBeUndefined();
  });
});

describe('decideRetry', () => {
  const policy: RetryPolicy = {
    maxRetries: 2,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    maxRetryAfterMs: 5000,
    jitter: 'equal',
    random: () => 0,
  };
  const input = { method: 'GET', error: http(503), retriesDone: 0, remainingMs: 10_000 };

  it('backs off, then stops when the retries are used up', () => {
    expect(decideRetry(input, policy)).toEqual({ retry: true, delayMs: 50 });
    expect(decideRetry({ ...input, retriesDone: 1 }, policy)).toEqual({
      retry: true,
      delayMs: 100,
    });
    expect(decideRetry({ ...input, retriesDone: 2 }, policy)).toEqual({
      retry: false,
      reason: 'no-retries-left',
    });
  });

  it('honours a Retry-After within the cap and the budget', () => {
    expect(decideRetry({ ...input, error: http(429), retryAfterMs: 1000 }, policy)).toEqual({
      retry: true,
      delayMs: 1000,
    });
  });

  it('stops at once on a Retry-After over the cap (catalogue F10)', () => {
    expect(decideRetry({ ...input, error: http(429), retryAfterMs: 3_600_000 }, policy)).toEqual({
      retry: false,
      reason: 'retry-after-too-long',
    });
  });

  it('stops when the wait does not fit into the time left', () => {
    expect(
      decideRetry({ ...input, error: http(429), retryAfterMs: 3000, remainingMs: 2000 }, policy),
    ).toEqual({
      retry: false,
      reason: 'no-time-left',
    });
    expect(decideRetry({ ...input, remainingMs: 10 }, policy)).toEqual({
      retry: false,
      reason: 'no-time-left',
    });
  });

  it('never retries a rotation that may have reached Featurebase', () => {
    expect(decideRetry({ ...input, method: 'POST' }, policy)).toEqual({
      retry: false,
      reason: 'not-retryable',
    });
    expect(decideRetry({ ...input, method: 'POST', error: reset }, policy).retry).toBe(false);
    expect(decideRetry({ ...input, method: 'POST', error: refused }, policy).retry).toBe(true);
  });
});
