/**
 * The rate-limit gate (catalogue F09-F12): once Featurebase said a key's quota is used up, calls
 * for that key fail at once with 0 upstream calls until the time it gave, while other keys go on
 * and the retry that Featurebase itself invited (a short `Retry-After`) still happens.
 */

import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimitError, RateLimitGateError } from '../../src/upstream/errors.ts';
import { RateLimitGate } from '../../src/upstream/resilience/rate-limit-gate.ts';
import {
  API_KEY,
  caller,
  errorBody,
  expectCheaperThanACall,
  ID,
  JSON_HEADERS,
  mockUpstream,
  rejection,
  testClient,
  WEBHOOK,
  waitFor,
} from './helpers.ts';

const GET = { path: `/v2/webhooks/${ID}`, method: 'GET' } as const;
const ROTATE = { path: `/v2/webhooks/${ID}/secret`, method: 'POST' } as const;
const OTHER_KEY = 'sk_test_OTHER_KEY_9876543210';
const RATE_LIMITED = errorBody('rate_limit_error', 'rate_limit_exceeded', 'Too many requests', 429);
/** 2023-11-14T22:13:20Z: a fixed "now" for the Unix-time cases. */
const NOW = 1_700_000_000_000;

let upstream = mockUpstream();
afterEach(async () => {
  await upstream.agent.close();
  upstream = mockUpstream();
});

function quota(remaining: number, reset: number | string) {
  return {
    headers: {
      ...JSON_HEADERS,
      'x-ratelimit-limit': '2000',
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(reset),
    },
  };
}

/** A client on a clock the test moves. */
function clockedClient(overrides: Parameters<typeof testClient>[1] = {}) {
  const clock = { now: NOW };
  const test = testClient(upstream.agent, { now: () => clock.now, ...overrides });
  return { ...test, clock };
}

const read = (client: ReturnType<typeof testClient>['client'], apiKey = API_KEY) =>
  client.webhooks.retrieve(ID, caller({ apiKey }));

async function timedRejection(promise: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  const error = await rejection(promise);
  return { ms: performance.now() - started, error };
}

describe('X-RateLimit-Remaining: 0 (F12)', () => {
  it('refuses the next calls for that key at once, until the reset; other keys go on', async () => {
    upstream.pool.intercept(GET).reply(200, WEBHOOK, quota(0, 2));
    upstream.pool.intercept(GET).reply(200, WEBHOOK, quota(1999, 60)).persist();
    const { client, clock, resilienceEvents } = clockedClient();
    await read(client);
    expect(upstream.calls()).toHaveLength(1);

    // Refused without a call (how fast: the test after this one).
    for (const call of [read(client), client.webhooks.refreshSecret(ID, caller())]) {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(RateLimitGateError);
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error).toMatchObject({ status: 429, retryAfterSeconds: 2 });
      expect((error as Error).message).not.toContain(API_KEY);
    }
    expect(upstream.calls()).toHaveLength(1);

    await expect(read(client, OTHER_KEY)).resolves.toMatchObject({ id: ID });
    expect(upstream.calls()).toHaveLength(2);

    clock.now += 1500;
    expect(await rejection(read(client))).toMatchObject({ retryAfterSeconds: 1 });
    clock.now += 500;
    await expect(read(client)).resolves.toMatchObject({ id: ID });
    expect(upstream.calls()).toHaveLength(3);

    expect(resilienceEvents).toEqual([
      {
        type: 'rate-limit-noted',
        status: 200,
        waitSeconds: 2,
        method: 'GET',
        pathTemplate: '/v2/webhooks/:id',
      },
      {
        type: 'rejected',
        reason: 'rate-limited',
        retryAfterSeconds: 2,
        method: 'GET',
        pathTemplate: '/v2/webhooks/:id',
      },
      {
        type: 'rejected',
        reason: 'rate-limited',
        retryAfterSeconds: 2,
        method: 'POST',
        pathTemplate: '/v2/webhooks/:id/secret',
      },
      {
        type: 'rejected',
        reason: 'rate-limited',
        retryAfterSeconds: 1,
        method: 'GET',
        pathTemplate: '/v2/webhooks/:id',
      },
    ]);
  });

  it('refuses at once: a refusal costs less than one call that reaches Featurebase', async () => {
    upstream.pool.intercept(GET).reply(200, WEBHOOK, quota(0, 60));
    const { client } = clockedClient();
    await read(client);
    expect(await rejection(read(client))).toBeInstanceOf(RateLimitGateError);
    await expectCheaperThanACall(() => rejection(read(client)));
    expect(upstream.calls()).toHaveLength(1);
  });

  it('reads a Reset above 1e9 as a Unix time in seconds, and above 1e12 in milliseconds', async () => {
    upstream.pool.intercept(GET).reply(200, WEBHOOK, quota(0, NOW / 1000 + 30));
    upstream.pool.intercept(GET).reply(200, WEBHOOK, quota(0, NOW + 45_000));
    const { client, clock } = clockedClient();
    await read(client);
    expect(await rejection(read(client))).toMatchObject({ retryAfterSeconds: 30 });
    await read(client, OTHER_KEY);
    expect(await rejection(read(client, OTHER_KEY))).toMatchObject({ retryAfterSeconds: 45 });
    clock.now += 30_000;
    upstream.pool.intercept(GET).reply(200, WEBHOOK);
    await expect(read(client)).resolves.toMatchObject({ id: ID });
    expect(upstream.calls()).toHaveLength(3);
  });

  it('holds nothing back for a Reset already past, or Remaining 0 without a Reset', async () => {
    upstream.pool.intercept(GET).reply(200, WEBHOOK, quota(0, NOW / 1000 - 5));
    upstream.pool
      .intercept(GET)
      .reply(200, WEBHOOK, { headers: { ...JSON_HEADERS, 'x-ratelimit-remaining': '0' } });
    upstream.pool.intercept(GET).reply(200, WEBHOOK);
    const { client } = clockedClient();
    for (let i = 0; i < 3; i++) await read(client);
    expect(upstream.calls()).toHaveLength(3);
  });
});

describe('429 (F09-F11)', () => {
  it('Retry-After: 3600 → RateLimitError at once, 1 call; the next calls for that key make none (F10)', async () => {
    upstream.pool.intercept(GET).reply(429, RATE_LIMITED, {
      headers: { ...JSON_HEADERS, 'retry-after': '3600' },
    });
    const { client, clock, events } = clockedClient();
    const first = await timedRejection(read(client));
    expect(first.error).toBeInstanceOf(RateLimitError);
    expect(first.error).not.toBeInstanceOf(RateLimitGateError);
    expect(first.error).toMatchObject({ retryAfterSeconds: 3600 });
    // At once: no wait was planned, and none happened. The longest the call could have slept
    // is its total budget (2.5 × the 2 s attempt timeout).
    expect(events).toHaveLength(1);
    expect(events[0]).not.toHaveProperty('retryDelayMs');
    expect(first.ms).toBeLessThan((2.5 * 2000) / 2);
    clock.now += 600_000;
    for (const call of [read(client), client.webhooks.refreshSecret(ID, caller())]) {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(RateLimitGateError);
      expect(error).toMatchObject({ retryAfterSeconds: 3000 });
    }
    expect(upstream.calls()).toHaveLength(1);
  });

  it('a longer wait than rateLimitGateMaxWaitMs is cut to it', async () => {
    upstream.pool.intercept(GET).reply(429, RATE_LIMITED, {
      headers: { ...JSON_HEADERS, 'retry-after': '100000' },
    });
    const { client } = clockedClient({ rateLimitGateMaxWaitMs: 60_000 });
    expect(await rejection(read(client))).toMatchObject({ retryAfterSeconds: 100_000 });
    expect(await rejection(read(client))).toMatchObject({ retryAfterSeconds: 60 });
  });

  it('Retry-After: 1 on a GET is still waited for and retried (F09), while other calls for the key are held back', async () => {
    upstream.pool.intercept(GET).reply(429, RATE_LIMITED, {
      headers: { ...JSON_HEADERS, 'retry-after': '1' },
    });
    upstream.pool.intercept(GET).reply(200, WEBHOOK, { headers: JSON_HEADERS });
    const { client, events } = testClient(upstream.agent);
    const started = performance.now();
    const invited = read(client);
    await waitFor(() => events.length === 1);
    expect(events[0]).toMatchObject({ status: 429, retryDelayMs: 1000 });
    const meanwhile = await timedRejection(read(client));
    expect(meanwhile.error).toBeInstanceOf(RateLimitGateError);
    expect(meanwhile.error).toMatchObject({ retryAfterSeconds: 1 });
    await expect(invited).resolves.toMatchObject({ id: ID });
    const elapsed = performance.now() - started;
    // The one wait Featurebase asked for, and not a second one (a retry held back by the gate).
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(2 * 1000);
    expect(upstream.calls()).toHaveLength(2);
  });

  it('a 429 without Retry-After or Reset on a rotation: 1 call, not retried, and nothing held back (F11)', async () => {
    upstream.pool.intercept(ROTATE).reply(429, RATE_LIMITED, { headers: JSON_HEADERS });
    upstream.pool.intercept(ROTATE).reply(200, WEBHOOK, { headers: JSON_HEADERS });
    const { client } = clockedClient();
    const error = await rejection(client.webhooks.refreshSecret(ID, caller()));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(upstream.calls()).toHaveLength(1);
    await expect(client.webhooks.refreshSecret(ID, caller())).resolves.toMatchObject({ id: ID });
    expect(upstream.calls()).toHaveLength(2);
  });

  it('a 429 on a rotation with Retry-After is not retried, and holds the key back', async () => {
    upstream.pool.intercept(ROTATE).reply(429, RATE_LIMITED, {
      headers: { ...JSON_HEADERS, 'retry-after': '1' },
    });
    const { client } = clockedClient();
    expect(await rejection(client.webhooks.refreshSecret(ID, caller()))).toMatchObject({
      retryAfterSeconds: 1,
    });
    expect(await rejection(read(client))).toBeInstanceOf(RateLimitGateError);
    expect(upstream.calls()).toHaveLength(1);
  });

  it('rateLimitGateMaxKeys 0 turns the gate off', async () => {
    upstream.pool.intercept(GET).reply(200, WEBHOOK, quota(0, 60)).times(2);
    const { client } = clockedClient({ rateLimitGateMaxKeys: 0 });
    await read(client);
    await read(client);
    expect(upstream.calls()).toHaveLength(2);
  });
});

describe('RateLimitGate (unit)', () => {
  function gate(maxKeys = 100) {
    const clock = { now: NOW };
    return {
      gate: new RateLimitGate({ maxKeys, maxWaitMs: 3_600_000, now: () => clock.now }),
      clock,
    };
  }

  it('keys its map by a salted hash, never the key or its plain SHA-256', () => {
    const { gate: a } = gate();
    const { gate: b } = gate();
    const key = a.keyFor(API_KEY);
    expect(key).toBe(a.keyFor(API_KEY));
    expect(key).not.toBe(a.keyFor(OTHER_KEY));
    expect(key).not.toBe(b.keyFor(API_KEY));
    expect(key).not.toContain(API_KEY);
    for (const encoding of ['hex', 'base64', 'base64url'] as const) {
      expect(key).not.toBe(createHash('sha256').update(API_KEY).digest(encoding));
    }
  });

  it('an answer still showing quota left (sent before the limit) does not reopen it', () => {
    const { gate: g } = gate();
    const key = g.keyFor(API_KEY);
    expect(g.observe(key, { status: 200, rateLimit: { remaining: 0, reset: 30 } })).toBe(30_000);
    expect(g.observe(key, { status: 200, rateLimit: { remaining: 5, reset: 30 } })).toBeUndefined();
    expect(g.waitMs(key)).toBe(30_000);
  });

  it('keeps the later of two ends, and takes the longer of Retry-After and Reset', () => {
    const { gate: g } = gate();
    const key = g.keyFor(API_KEY);
    g.observe(key, { status: 429, retryAfterMs: 10_000 });
    expect(g.observe(key, { status: 429, retryAfterMs: 5000 })).toBeUndefined();
    expect(g.waitMs(key)).toBe(10_000);
    g.observe(key, { status: 429, retryAfterMs: 2000, rateLimit: { remaining: 0, reset: 20 } });
    expect(g.waitMs(key)).toBe(20_000);
  });

  it('is bounded: expired entries go first, then the oldest', () => {
    const { gate: g, clock } = gate(3);
    const keys = ['a', 'b', 'c', 'd', 'e'].map((name) => g.keyFor(name));
    const [a, b, c, d, e] = keys as [string, string, string, string, string];
    g.observe(a, { status: 429, retryAfterMs: 1000 });
    g.observe(b, { status: 429, retryAfterMs: 60_000 });
    g.observe(c, { status: 429, retryAfterMs: 60_000 });
    clock.now += 2000;
    g.observe(d, { status: 429, retryAfterMs: 60_000 });
    expect(g.size).toBe(3);
    expect(g.waitMs(b)).toBeGreaterThan(0);
    g.observe(e, { status: 429, retryAfterMs: 60_000 });
    expect(g.size).toBe(3);
    expect(g.waitMs(b)).toBeUndefined();
    for (const key of [c, d, e]) expect(g.waitMs(key)).toBeGreaterThan(0);
  });

  it('drops an expired entry when it is next looked at', () => {
    const { gate: g, clock } = gate();
    const key = g.keyFor(API_KEY);
    g.observe(key, { status: 429, retryAfterMs: 1000 });
    expect(g.size).toBe(1);
    clock.now += 1000;
    expect(g.waitMs(key)).toBeUndefined();
    expect(g.size).toBe(0);
  });
});
