/**
 * Catalogue §3, F09-F12: Featurebase's rate limit. A short server-directed wait is honoured on
 * a GET (F09); a long one is returned at once with `retryAfter` (F10); a rotation is never
 * repeated (F11); and once Featurebase says a key's quota is used up, calls for that key are
 * refused here without reaching it until the window resets (F12, the rate-limit gate).
 *
 * The gate is per API key, so every row that closes it uses a key of its own (all keys name the
 * same simulator workspace); the demo key stays usable for the check that ends each row.
 */

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  expectNextRequestSucceeds,
  expectNoLeaks,
  KNOWN_GOOD,
  LONG_TIMEOUT_MS,
  NO_WAIT_MS,
  onlyError,
  READ,
  ROTATE,
  SAMPLE,
  type SimulatorFaultGateway,
  sleep,
  timed,
  WEBHOOK_ID,
  withEvents,
} from '../support/faults.ts';
import { API_KEY } from '../support/gateway.ts';

// Secret hygiene over every answer and log line of this file (test/support/faults.ts).
afterAll(expectNoLeaks);

const F10_KEY = 'sk_faults_f10_seconds';
const F10_DATE_KEY = 'sk_faults_f10_http_date';
const F12_KEY = 'sk_faults_f12_remaining_zero';

let target: SimulatorFaultGateway;
afterEach(() => target.close());

async function setUp() {
  target = await withEvents({
    simulator: {
      apiKeys: [API_KEY, F10_KEY, F10_DATE_KEY, F12_KEY].map((key) => ({ key, workspace: 'demo' })),
    },
    // A total budget that can hold a 1 s Retry-After plus an attempt (F09); maxRetryAfterMs is
    // the production default (5 s). The attempt timeout is long: no row waits for it.
    client: {
      timeoutMs: LONG_TIMEOUT_MS,
      totalTimeoutMs: 2 * LONG_TIMEOUT_MS,
      retryBaseDelayMs: 20,
      retryMaxDelayMs: 40,
    },
  });
  return target.harness.simulator;
}

const as = (key: string) => ({ authorization: `Bearer ${key}` });

const rateLimited = (headers: Record<string, string> = {}) => ({
  status: 429,
  headers,
  body: {
    error: {
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      message: 'Rate limit of 100 requests per minute per API key reached',
      status: 429,
    },
  },
});
const RATE_LIMIT_UPSTREAM = { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' };

describe('F09 a short Retry-After on a GET', () => {
  it('F09 429 with Retry-After: 1, then 200 → waits ≈ 1 s (the gate does not block the invited retry), 2 calls, success', async () => {
    const upstream = await setUp();
    upstream.injectFault({ match: { method: 'GET' }, ...rateLimited({ 'retry-after': '1' }) });
    const { value: response, ms } = await timed(() => target.graphql(READ, { id: WEBHOOK_ID }));

    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toMatchObject({ webhook: { id: WEBHOOK_ID, name: SAMPLE.name } });
    expect(target.upstreamCalls()).toBe(2);
    const [first, second] = upstream.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(
      target.events.attempts.map(({ status, retryDelayMs }) => [status, retryDelayMs]),
    ).toEqual([
      [429, 1000],
      [200, undefined],
    ]);
    // The one wait Featurebase asked for, and not a second one.
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(ms).toBeLessThan(2 * 1000);
    await expectNextRequestSucceeds(target);
  });
});

describe('F10 a long Retry-After', () => {
  it('F10 429 with Retry-After: 3600 → RATE_LIMITED at once with retryAfter 3600, 1 call, no sleeping; the key is then held back without calls', async () => {
    const upstream = await setUp();
    upstream.injectFault(rateLimited({ 'retry-after': '3600' }));
    const { value: response, ms } = await timed(() =>
      target.graphql(READ, { id: WEBHOOK_ID }, as(F10_KEY)),
    );

    const error = onlyError(response);
    expect(error.extensions).toEqual({
      code: 'RATE_LIMITED',
      retryAfter: 3600,
      upstream: RATE_LIMIT_UPSTREAM,
    });
    expect(target.upstreamCalls()).toBe(1);
    // No sleeping: no wait planned, and none of the budget spent.
    expect(target.events.attempts.map((attempt) => attempt.retryDelayMs)).toEqual([undefined]);
    expect(ms).toBeLessThan(NO_WAIT_MS);

    // The gate remembers it: the same key is refused here, with no call.
    const { value: again, ms: againMs } = await timed(() =>
      target.graphql(KNOWN_GOOD, { id: WEBHOOK_ID }, as(F10_KEY)),
    );
    const gated = onlyError(again);
    expect(gated.extensions?.code).toBe('RATE_LIMITED');
    expect(gated.extensions?.['retryAfter']).toBeGreaterThan(3590);
    expect(gated.extensions?.['retryAfter']).toBeLessThanOrEqual(3600);
    expect(target.upstreamCalls()).toBe(1);
    expect(againMs).toBeLessThan(NO_WAIT_MS);
    await expectNextRequestSucceeds(target);
  });

  it('F10 429 with Retry-After as an HTTP date an hour ahead → RATE_LIMITED at once with retryAfter ≈ 3600, 1 call', async () => {
    const upstream = await setUp();
    const inAnHour = new Date(Date.now() + 3600 * 1000).toUTCString();
    upstream.injectFault(rateLimited({ 'retry-after': inAnHour }));
    const { value: response, ms } = await timed(() =>
      target.graphql(READ, { id: WEBHOOK_ID }, as(F10_DATE_KEY)),
    );

    const error = onlyError(response);
    expect(error.extensions?.code).toBe('RATE_LIMITED');
    expect(error.extensions?.['upstream']).toEqual(RATE_LIMIT_UPSTREAM);
    // An HTTP date has whole seconds, and a few milliseconds pass before it is read.
    expect(error.extensions?.['retryAfter']).toBeGreaterThanOrEqual(3598);
    expect(error.extensions?.['retryAfter']).toBeLessThanOrEqual(3600);
    expect(target.upstreamCalls()).toBe(1);
    expect(target.events.attempts.map((attempt) => attempt.retryDelayMs)).toEqual([undefined]);
    expect(ms).toBeLessThan(NO_WAIT_MS);
    await expectNextRequestSucceeds(target);
  });
});

describe('F11 429 without Retry-After on a rotation', () => {
  it('F11 → RATE_LIMITED without retryAfter, 1 call, not retried; the key is not held back', async () => {
    const upstream = await setUp();
    const secretBefore = upstream.peekWebhook(API_KEY, WEBHOOK_ID)?.secret;
    upstream.injectFault(rateLimited());
    const { value: response, ms } = await timed(() => target.graphql(ROTATE, { id: WEBHOOK_ID }));

    const error = onlyError(response);
    expect(error.extensions).toEqual({ code: 'RATE_LIMITED', upstream: RATE_LIMIT_UPSTREAM });
    expect(error.message).toBe('Featurebase rate limit reached; try again later.');
    expect(target.upstreamCalls()).toBe(1);
    expect(ms).toBeLessThan(NO_WAIT_MS);
    expect(upstream.peekWebhook(API_KEY, WEBHOOK_ID)?.secret).toBe(secretBefore);
    // A 429 that says nothing of when closes nothing: the same key goes on at once.
    await expectNextRequestSucceeds(target, API_KEY);
  });
});

describe('F12 X-RateLimit-Remaining: 0 on a success', () => {
  it('F12 200 with Remaining 0 and Reset 1 → the next calls for that key fail fast with RATE_LIMITED and 0 calls; other keys go on; the key is back after the reset', async () => {
    const upstream = await setUp();
    const webhook = upstream.peekWebhook(F12_KEY, WEBHOOK_ID);
    upstream.injectFault({
      status: 200,
      body: webhook,
      headers: {
        'x-ratelimit-limit': '100',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '1',
      },
    });
    const first = await target.graphql(READ, { id: WEBHOOK_ID }, as(F12_KEY));
    const closedAt = performance.now();
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data).toMatchObject({ webhook: { id: WEBHOOK_ID } });
    expect(target.upstreamCalls()).toBe(1);

    for (const [operation, variables] of [
      [READ, { id: WEBHOOK_ID }],
      ['{ webhooks(first: 5) { nodes { id } } }', {}],
      [ROTATE, { id: WEBHOOK_ID }],
    ] as const) {
      const { value: response, ms } = await timed(() =>
        target.graphql(operation, variables, as(F12_KEY)),
      );
      const error = onlyError(response);
      expect(error.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: 1 });
      expect(error.message).toBe(
        'The rate limit of this API key is used up; no call was made to Featurebase.',
      );
      // Refused, not held until the reset (1 s). How fast a refusal is, against a call:
      // test/upstream/rate-limit-gate.test.ts.
      expect(ms).toBeLessThan(1000 / 2);
    }
    expect(target.upstreamCalls()).toBe(1);

    // Another key is not held back.
    await expectNextRequestSucceeds(target, API_KEY);
    // After the reset, the key itself works again.
    await sleep(Math.max(0, closedAt + 1000 - performance.now()) + 50);
    await expectNextRequestSucceeds(target, F12_KEY);
  });
});
