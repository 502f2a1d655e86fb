/**
 * Upstream resilience of the client (catalogue F19, F20): the circuit breaker around each call,
 * the bulkhead around each attempt, the retry budget, the events they report and `health()`.
 * The rate-limit gate is in `rate-limit-gate.test.ts`. Windows and delays are small, so the file
 * runs in a few seconds.
 */

import { setTimeout as delay } from 'node:timers/promises';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createFeaturebaseClient } from '../../src/upstream/client.ts';
import {
  CircuitOpenError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
  UnprocessableEntityError,
  UpstreamOverloadedError,
  UpstreamRefusedError,
} from '../../src/upstream/errors.ts';
import { Resilience } from '../../src/upstream/resilience/resilience.ts';
import type { ResilienceConfig } from '../../src/upstream/resilience/types.ts';
import {
  API_KEY,
  caller,
  errorBody,
  expectCheaperThanACall,
  ID,
  JSON_HEADERS,
  mockUpstream,
  ORIGIN,
  rejection,
  sendJson,
  startServer,
  type TestServer,
  testClient,
  WEBHOOK,
  waitFor,
} from './helpers.ts';

const GET = { path: `/v2/webhooks/${ID}`, method: 'GET' } as const;
const CREATE = { path: '/v2/webhooks', method: 'POST' } as const;
const NEW_WEBHOOK = { name: 'n', url: 'https://example.com/h', topics: ['post.created' as const] };

let upstream = mockUpstream();
const servers: TestServer[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await upstream.agent.close();
  upstream = mockUpstream();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});

/** No retries and a short open time: each call is one request, and probing comes quickly. */
const BREAKER = { maxRetries: 0, breakerHalfOpenAfterMs: 200 };
/**
 * For tests that need the breaker to stay open between two calls made one after the other: a
 * pause of a loaded machine between them must not let it half-open again unasked.
 */
const SLOW_HALF_OPEN_MS = 1000;
const SLOW_BREAKER = { maxRetries: 0, breakerHalfOpenAfterMs: SLOW_HALF_OPEN_MS };

const read = (client: ReturnType<typeof testClient>['client'], signal?: AbortSignal) =>
  client.webhooks.retrieve(ID, caller(signal ? { signal } : {}));

async function openBreaker(client: ReturnType<typeof testClient>['client']): Promise<void> {
  upstream.pool.intercept(GET).reply(503, {}).times(10);
  for (let i = 0; i < 10; i++) await rejection(read(client));
  expect(client.health().breaker).toBe('open');
}

describe('circuit breaker (F19)', () => {
  it('stays closed under 10 calls, and opens at the 10th when at least half failed', async () => {
    upstream.pool.intercept(GET).reply(503, {}).times(9);
    upstream.pool.intercept(GET).reply(502, {});
    const { client } = testClient(upstream.agent, BREAKER);
    for (let i = 0; i < 9; i++) {
      expect(await rejection(read(client))).toBeInstanceOf(InternalServerError);
    }
    expect(client.health().breaker).toBe('closed');
    expect(await rejection(read(client))).toBeInstanceOf(InternalServerError);
    expect(client.health().breaker).toBe('open');
    expect(upstream.calls()).toHaveLength(10);
  });

  it('opens at exactly 50% failing, not below', async () => {
    upstream.pool.intercept(GET).reply(200, WEBHOOK).times(6);
    upstream.pool.intercept(GET).reply(500, {}).persist();
    const { client } = testClient(upstream.agent, BREAKER);
    for (let i = 0; i < 6; i++) await read(client);
    for (let i = 0; i < 5; i++) await rejection(read(client));
    // 5 of 11 failed (45%): closed. The 12th makes 6 of 12 (50%): open.
    expect(client.health().breaker).toBe('closed');
    await rejection(read(client));
    expect(client.health().breaker).toBe('open');
  });

  it('while open, calls fail fast with CircuitOpenError and never reach Featurebase', async () => {
    const { client } = testClient(upstream.agent, { ...BREAKER, breakerHalfOpenAfterMs: 5000 });
    await openBreaker(client);
    for (let i = 0; i < 20; i++) {
      const call = i % 2 === 0 ? read(client) : client.webhooks.create(NEW_WEBHOOK, caller());
      const value = await rejection(call);
      expect(value).toBeInstanceOf(CircuitOpenError);
      expect(value).toBeInstanceOf(UpstreamRefusedError);
      expect((value as CircuitOpenError).retryAfterSeconds).toBe(5);
      expect((value as Error).message).toMatch(/stopped calling it for a few seconds/);
    }
    expect(upstream.calls()).toHaveLength(10);
    // Fast: cheaper than one call that reaches Featurebase.
    await expectCheaperThanACall(() => rejection(read(client)));
    expect(upstream.calls()).toHaveLength(10);
  });

  it('after halfOpenAfter lets one probe through, refuses the others meanwhile, and closes when it succeeds', async () => {
    const { client } = testClient(upstream.agent, BREAKER);
    await openBreaker(client);
    await delay(250);
    // The probe is out for a second: long enough that the others surely come while it is.
    upstream.pool.intercept(GET).reply(200, WEBHOOK).delay(1000);
    upstream.pool.intercept(GET).reply(200, WEBHOOK).persist();
    const probe = read(client);
    let probeSettled = false;
    probe.then(
      () => {
        probeSettled = true;
      },
      () => {
        probeSettled = true;
      },
    );
    expect(client.health().breaker).toBe('halfOpen');
    const others = await Promise.all([1, 2, 3, 4, 5].map(() => rejection(read(client))));
    for (const value of others) expect(value).toBeInstanceOf(CircuitOpenError);
    // Refused at once, not held until the probe's answer.
    expect(probeSettled, 'the others were answered while the probe was out').toBe(false);
    await expect(probe).resolves.toMatchObject({ id: ID });
    expect(client.health().breaker).toBe('closed');
    expect(upstream.calls()).toHaveLength(11);
    for (let i = 0; i < 3; i++) await expect(read(client)).resolves.toMatchObject({ id: ID });
    expect(upstream.calls()).toHaveLength(14);
  });

  it('a failing probe opens it again for another halfOpenAfter', async () => {
    const { client } = testClient(upstream.agent, SLOW_BREAKER);
    await openBreaker(client);
    await delay(SLOW_HALF_OPEN_MS + 50);
    upstream.pool.intercept(GET).reply(503, {});
    expect(await rejection(read(client))).toBeInstanceOf(InternalServerError);
    expect(client.health().breaker).toBe('open');
    expect(await rejection(read(client))).toBeInstanceOf(CircuitOpenError);
    expect(upstream.calls()).toHaveLength(11);
    await delay(SLOW_HALF_OPEN_MS + 50);
    upstream.pool.intercept(GET).reply(200, WEBHOOK);
    await expect(read(client)).resolves.toMatchObject({ id: ID });
    expect(client.health().breaker).toBe('closed');
  });

  it('a probe whose caller leaves keeps it open (nothing was learned)', async () => {
    const { client } = testClient(upstream.agent, SLOW_BREAKER);
    await openBreaker(client);
    await delay(SLOW_HALF_OPEN_MS + 50);
    upstream.pool.intercept(GET).reply(200, WEBHOOK).delay(1000);
    const controller = new AbortController();
    const probe = read(client, controller.signal);
    await delay(20);
    controller.abort(new Error('caller left'));
    expect(await rejection(probe)).toMatchObject({ message: 'caller left' });
    expect(client.health().breaker).toBe('open');
    expect(await rejection(read(client))).toBeInstanceOf(CircuitOpenError);
  });

  it('4xx and 429 answers never open it: Featurebase is answering', async () => {
    upstream.pool
      .intercept(GET)
      .reply(404, errorBody('not_found', 'x', 'no', 404))
      .times(6);
    upstream.pool
      .intercept(GET)
      .reply(429, errorBody('rate_limit_error', 'x', 'slow', 429))
      .times(6);
    upstream.pool
      .intercept(CREATE)
      .reply(422, errorBody('invalid_request', 'x', 'bad', 422))
      .times(4);
    const { client } = testClient(upstream.agent, BREAKER);
    for (let i = 0; i < 6; i++) expect(await rejection(read(client))).toBeInstanceOf(NotFoundError);
    for (let i = 0; i < 6; i++)
      expect(await rejection(read(client))).toBeInstanceOf(RateLimitError);
    for (let i = 0; i < 4; i++) {
      const error = await rejection(client.webhooks.create(NEW_WEBHOOK, caller()));
      expect(error).toBeInstanceOf(UnprocessableEntityError);
    }
    expect(upstream.calls()).toHaveLength(16);
    expect(client.health().breaker).toBe('closed');
  });

  it('counts answered 4xx as successes: 10 503s after 11 404s stay under half', async () => {
    upstream.pool.intercept(GET).reply(404, {}).times(11);
    upstream.pool.intercept(GET).reply(503, {}).times(10);
    const { client } = testClient(upstream.agent, BREAKER);
    for (let i = 0; i < 21; i++) await rejection(read(client));
    expect(client.health().breaker).toBe('closed');
  });

  it('callers that leave are not failures', async () => {
    upstream.pool.intercept(GET).reply(200, WEBHOOK).delay(1000).persist();
    const { client } = testClient(upstream.agent, BREAKER);
    for (let i = 0; i < 12; i++) {
      const controller = new AbortController();
      const call = read(client, controller.signal);
      await delay(2);
      controller.abort();
      await rejection(call);
    }
    expect(client.health().breaker).toBe('closed');
  });

  it('one call with all its retries is one sample', async () => {
    upstream.pool.intercept(GET).reply(503, {}).persist();
    const { client } = testClient(upstream.agent, { maxRetries: 2, retryBudgetMinRetries: 100 });
    for (let i = 0; i < 9; i++) await rejection(read(client));
    // 27 failed requests, but 9 calls: under the minimum of 10.
    expect(upstream.calls()).toHaveLength(27);
    expect(client.health().breaker).toBe('closed');
    await rejection(read(client));
    expect(client.health().breaker).toBe('open');
  });
});

describe('bulkhead (F20)', () => {
  /**
   * A slow upstream that measures how many requests it holds at once. The tests below look at
   * the bulkhead while the upstream holds calls, or start a call while another sleeps before its
   * retry: latencies and backoffs of 500 ms and more keep those moments far longer than any pause
   * of a loaded machine.
   */
  async function slowServer(latencyMs: number) {
    let current = 0;
    let max = 0;
    const server = await startServer(async (_request, response) => {
      current++;
      max = Math.max(max, current);
      await delay(latencyMs);
      current--;
      sendJson(response, 200, WEBHOOK);
    });
    servers.push(server);
    return { server, maxInFlight: () => max };
  }

  function serverClient(server: TestServer, overrides: Parameters<typeof testClient>[1]) {
    const agent = new Agent();
    agents.push(agent);
    return testClient(agent, overrides, server.url);
  }

  /**
   * One call first, so that Featurebase has accepted the key: a key it has not judged yet goes
   * one call at a time (key-verdicts.ts), and these rows are about concurrent calls. The
   * server's request list is emptied after it.
   */
  async function accepted(server: TestServer, client: ReturnType<typeof testClient>['client']) {
    await read(client);
    server.requests.length = 0;
  }

  it('limit 4, queue 2: 10 concurrent calls → ≤ 4 in flight, 6 succeed, 4 fail at once', async () => {
    const { server, maxInFlight } = await slowServer(500);
    const { client } = serverClient(server, { maxConcurrentRequests: 4, maxQueuedRequests: 2 });
    await accepted(server, client);
    const started = performance.now();
    const settled = [...Array(10)].map(() =>
      read(client).then(
        (value) => ({ value, ms: performance.now() - started }),
        (error: unknown) => ({ error, ms: performance.now() - started }),
      ),
    );
    await waitFor(() => server.requests.length === 4);
    expect(client.health()).toEqual({ breaker: 'closed', inFlight: 4, queued: 2, tenants: 1 });
    const results = await Promise.all(settled);
    const refused = results.filter((result) => 'error' in result);
    expect(results.filter((result) => 'value' in result)).toHaveLength(6);
    expect(refused).toHaveLength(4);
    for (const result of refused) {
      expect('error' in result && result.error).toBeInstanceOf(UpstreamOverloadedError);
    }
    // At once: every refusal came before the first answer (the upstream takes 500 ms), so none
    // of them waited for a slot.
    const firstAnswerMs = Math.min(...results.filter((r) => 'value' in r).map((r) => r.ms));
    expect(Math.max(...refused.map((result) => result.ms))).toBeLessThan(firstAnswerMs);
    expect(maxInFlight()).toBe(4);
    expect(server.requests).toHaveLength(6);
    expect(client.health()).toEqual({ breaker: 'closed', inFlight: 0, queued: 0, tenants: 0 });
    // An overload is the gateway's own state, not Featurebase failing.
    expect(client.health().breaker).toBe('closed');
  });

  it('a retry sleeping through its backoff holds no slot', async () => {
    const server = await startServer(async (_request, response, index) => {
      if (index === 0) return sendJson(response, 503, {});
      await delay(20);
      sendJson(response, 200, WEBHOOK);
    });
    servers.push(server);
    const { client, events } = serverClient(server, {
      maxConcurrentRequests: 1,
      maxQueuedRequests: 0,
      retryBaseDelayMs: 1000,
      retryMaxDelayMs: 1000,
    });
    const first = read(client);
    await waitFor(() => events.some((event) => event.retryDelayMs !== undefined));
    // The first call sleeps before its retry: its slot is free for another call.
    expect(client.health().inFlight).toBe(0);
    await expect(read(client)).resolves.toMatchObject({ id: ID });
    await expect(first).resolves.toMatchObject({ id: ID });
    expect(server.requests).toHaveLength(3);
  });

  it('a retry that finds no slot ends the call with its last error, not an overload', async () => {
    let release: () => void = () => {};
    const server = await startServer(async (_request, response, index) => {
      if (index === 0) return sendJson(response, 503, {});
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      sendJson(response, 200, WEBHOOK);
    });
    servers.push(server);
    const { client, events, resilienceEvents } = serverClient(server, {
      maxConcurrentRequests: 1,
      maxQueuedRequests: 0,
      retryBaseDelayMs: 1000,
      retryMaxDelayMs: 1000,
    });
    const first = read(client);
    await waitFor(() => events.some((event) => event.retryDelayMs !== undefined));
    const second = read(client); // takes the slot and holds it
    await waitFor(() => server.requests.length === 2);
    expect(await rejection(first)).toBeInstanceOf(InternalServerError);
    release();
    await expect(second).resolves.toMatchObject({ id: ID });
    expect(server.requests).toHaveLength(2);
    expect(resilienceEvents).toContainEqual({
      type: 'retry-skipped',
      reason: 'overloaded',
      attempt: 2,
      method: 'GET',
      pathTemplate: '/v2/webhooks/:id',
    });
  });

  it('a caller that leaves the queue is refused at once, and the attempt queued behind it still runs', async () => {
    const { server } = await slowServer(500);
    // A long attempt timeout: were the entry of the caller that left to keep the slot until its
    // turn timed out, `behind` would wait that long.
    const timeoutMs = 10_000;
    const { client } = serverClient(server, {
      maxConcurrentRequests: 1,
      maxQueuedRequests: 2,
      timeoutMs,
    });
    await accepted(server, client);
    const started = performance.now();
    const first = read(client);
    let firstSettled = false;
    first.then(
      () => {
        firstSettled = true;
      },
      () => {
        firstSettled = true;
      },
    );
    const controller = new AbortController();
    const leaving = read(client, controller.signal);
    const behind = read(client);
    await waitFor(() => client.health().queued === 2);
    controller.abort(new Error('caller left'));
    expect(await rejection(leaving)).toMatchObject({ message: 'caller left' });
    // At once: before the call holding the slot was answered.
    expect(firstSettled, 'the caller that left waited for the slot').toBe(false);
    await expect(first).resolves.toMatchObject({ id: ID });
    // The entry of the caller that left hands its turn on: `behind` is not stuck behind it
    // (two 500 ms answers, against an attempt timeout of 10 s).
    await expect(behind).resolves.toMatchObject({ id: ID });
    expect(performance.now() - started).toBeLessThan(timeoutMs / 2);
    expect(server.requests).toHaveLength(2);
    expect(client.health()).toEqual({ breaker: 'closed', inFlight: 0, queued: 0, tenants: 0 });
  });
});

describe('bulkhead queue wait (unit)', () => {
  const config: ResilienceConfig = {
    breakerFailureRatio: 0.5,
    breakerMinimumCalls: 10,
    breakerWindowMs: 10_000,
    breakerHalfOpenAfterMs: 5000,
    maxConcurrentRequests: 1,
    maxQueuedRequests: 1,
    retryBudgetRatio: 0.2,
    retryBudgetMinRetries: 10,
    retryBudgetWindowMs: 10_000,
    rateLimitGateMaxKeys: 100,
    rateLimitGateMaxWaitMs: 60_000,
    maxConcurrentPerTenant: 1,
    maxQueuedPerTenant: 1,
    keyVerdictMaxKeys: 100,
    rejectedKeyTtlMs: 60_000,
    acceptedKeyTtlMs: 600_000,
    now: Date.now,
  };
  const scope = { method: 'GET', pathTemplate: '/v2/webhooks/:id' } as const;
  const tenant = { keyId: 'k', partition: 'key:k', answered: () => {} };

  it('a queued attempt waits at most the time its call has left', async () => {
    const events: unknown[] = [];
    const resilience = new Resilience({ ...config, onEvent: (event) => events.push(event) });
    let release: () => void = () => {};
    const holding = resilience.withSlot(tenant, scope, 1, undefined, 1000, () => {
      return new Promise<string>((resolve) => {
        release = () => resolve('first');
      });
    });
    const started = performance.now();
    let gaveUpButRan = false;
    const waiting = resilience.withSlot(tenant, scope, 1, undefined, 50, async () => {
      gaveUpButRan = true;
      return 'never';
    });
    const error = await rejection(waiting);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(error).toBeInstanceOf(UpstreamOverloadedError);
    expect(events).toEqual([{ type: 'rejected', reason: 'queue-timeout', ...scope }]);
    // The one that gave up left the queue at once.
    expect(resilience.health()).toEqual({ breaker: 'closed', inFlight: 1, queued: 0, tenants: 1 });
    release();
    await expect(holding).resolves.toBe('first');
    expect(gaveUpButRan).toBe(false);
    let ran = 0;
    await expect(
      resilience.withSlot(tenant, scope, 1, undefined, 1000, async () => `third ${++ran}`),
    ).resolves.toBe('third 1');
    expect(resilience.health()).toEqual({ breaker: 'closed', inFlight: 0, queued: 0, tenants: 0 });
  });
});

describe('retry budget', () => {
  const NO_BREAKER = { breakerMinimumCalls: 1_000_000 };

  it('a permanently failing upstream gets ≤ 1.2 × calls + floor requests, not 3 ×', async () => {
    upstream.pool.intercept(GET).reply(503, {}).persist();
    const floor = 3;
    const { client, resilienceEvents } = testClient(upstream.agent, {
      ...NO_BREAKER,
      maxRetries: 2,
      retryBudgetMinRetries: floor,
    });
    const calls = 40;
    for (let i = 0; i < calls; i++) {
      expect(await rejection(read(client))).toBeInstanceOf(InternalServerError);
    }
    const requests = upstream.calls().length;
    expect(requests).toBeLessThanOrEqual(1.2 * calls + floor);
    // The floor and the ratio were used: 3 retries at first, then one per 5 calls (8 in all).
    expect(requests).toBe(calls + 8);
    // Every call but the first wanted a retry the budget refused.
    expect(resilienceEvents.filter((event) => event.type === 'retry-skipped')).toHaveLength(
      calls - 1,
    );
    expect(resilienceEvents).toContainEqual({
      type: 'retry-skipped',
      reason: 'retry-budget',
      attempt: 2,
      method: 'GET',
      pathTemplate: '/v2/webhooks/:id',
    });
  });

  it('a healthy upstream with one transient 503 still gets its retry', async () => {
    upstream.pool.intercept(GET).reply(503, {});
    upstream.pool.intercept(GET).reply(200, WEBHOOK);
    const { client } = testClient(upstream.agent);
    await expect(read(client)).resolves.toMatchObject({ id: ID });
    expect(upstream.calls()).toHaveLength(2);
  });

  it('once the window has passed, a quiet gateway may retry again', async () => {
    let now = 1_000_000;
    upstream.pool.intercept(GET).reply(503, {}).times(4);
    const { client, events } = testClient(upstream.agent, {
      ...NO_BREAKER,
      maxRetries: 2,
      retryBudgetMinRetries: 2,
      retryBudgetWindowMs: 1000,
      now: () => now,
    });
    await rejection(read(client)); // 3 requests: the floor of 2 retries
    await rejection(read(client)); // 1 request: spent
    expect(upstream.calls()).toHaveLength(4);
    expect(events.at(-1)?.retryDelayMs).toBeUndefined();
    now += 1000;
    upstream.pool.intercept(GET).reply(503, {});
    upstream.pool.intercept(GET).reply(200, WEBHOOK);
    await expect(read(client)).resolves.toMatchObject({ id: ID }); // a fresh floor
    expect(upstream.calls()).toHaveLength(6);
  });

  it('the error of the last attempt is what the caller gets when the budget is spent', async () => {
    upstream.pool.intercept(GET).reply(503, {}).persist();
    const { client } = testClient(upstream.agent, {
      ...NO_BREAKER,
      retryBudgetMinRetries: 0,
      retryBudgetRatio: 0,
    });
    const error = await rejection(read(client));
    expect(error).toBeInstanceOf(InternalServerError);
    expect(upstream.calls()).toHaveLength(1);
  });
});

describe('events and health', () => {
  it('report breaker changes and refusals, with no key, id or secret', async () => {
    const { client, resilienceEvents, events } = testClient(upstream.agent, SLOW_BREAKER);
    expect(client.health()).toEqual({ breaker: 'closed', inFlight: 0, queued: 0, tenants: 0 });
    await openBreaker(client);
    await rejection(client.webhooks.refreshSecret(ID, caller()));
    await delay(SLOW_HALF_OPEN_MS + 50);
    upstream.pool.intercept(GET).reply(200, WEBHOOK, { headers: JSON_HEADERS });
    await read(client);
    expect(resilienceEvents).toEqual([
      { type: 'breaker', state: 'open', cause: 'InternalServerError' },
      {
        type: 'rejected',
        reason: 'circuit-open',
        retryAfterSeconds: 1,
        method: 'POST',
        pathTemplate: '/v2/webhooks/:id/secret',
      },
      { type: 'breaker', state: 'halfOpen' },
      { type: 'breaker', state: 'closed' },
    ]);
    const logged = JSON.stringify([resilienceEvents, events]);
    expect(logged).not.toContain(API_KEY);
    expect(logged).not.toContain(ID);
    expect(logged).not.toContain('whsec_');
  });

  it('an observer that throws breaks nothing', async () => {
    upstream.pool.intercept(GET).reply(503, {}).times(10);
    const { client } = testClient(upstream.agent, {
      ...BREAKER,
      onResilienceEvent: () => {
        throw new Error('observer broke');
      },
    });
    for (let i = 0; i < 10; i++) await rejection(read(client));
    expect(await rejection(read(client))).toBeInstanceOf(CircuitOpenError);
  });
});

describe('resilience options', () => {
  it('are checked once, at creation', () => {
    const base = { baseUrl: ORIGIN, dispatcher: upstream.agent, timeoutMs: 1000 };
    expect(() => createFeaturebaseClient(base)).not.toThrow();
    for (const bad of [
      { breakerFailureRatio: 0 },
      { breakerFailureRatio: 1.5 },
      { breakerMinimumCalls: 0 },
      { breakerWindowMs: 50 },
      { breakerHalfOpenAfterMs: 0 },
      { maxConcurrentRequests: 0 },
      { maxQueuedRequests: -1 },
      { retryBudgetRatio: -0.1 },
      { retryBudgetRatio: Number.NaN },
      { retryBudgetMinRetries: 1.5 },
      { rateLimitGateMaxKeys: -1 },
      { rateLimitGateMaxWaitMs: 10 },
    ]) {
      expect(() => createFeaturebaseClient({ ...base, ...bad }), JSON.stringify(bad)).toThrow(
        RangeError,
      );
    }
  });
});
