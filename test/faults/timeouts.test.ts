/**
 * Catalogue §3, F01-F02: an upstream that accepts the connection and then does not answer in
 * time. A scripted upstream (not the simulator): it can stall after the headers, and it counts
 * the sockets left open, which must drop to 0 once the gateway gave up.
 *
 * Attempt timeouts are scaled down (200-300 ms instead of the default 10 s) so each row takes
 * well under a second; the arithmetic of the bounds is in each test. Jitter is fixed
 * (`random: () => 0.5`, so equal jitter waits 3/4 of each backoff) to make the exact number of
 * attempts and the waits between them deterministic.
 *
 * The lower bounds are exact. The upper ones are set by the timer that would end the call if
 * the one under test did not: a total budget of 10 s where the attempt timeouts should end the
 * call, an attempt timeout of 5 s where the total budget should; each row asserts under half of
 * it, so a loaded machine cannot reach the bound and the bug it is there for cannot stay under.
 */

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type ClientOptions,
  expectNextRequestSucceeds,
  expectNoLeaks,
  type FaultGateway,
  LONG_TIMEOUT_MS,
  onlyError,
  READ,
  ROTATE,
  SAMPLE,
  type ScriptedUpstream,
  startGatewayOver,
  startScriptedUpstream,
  timed,
  WEBHOOK_ID,
  waitUntil,
} from '../support/faults.ts';

// Secret hygiene over every answer and log line of this file (test/support/faults.ts).
afterAll(expectNoLeaks);

let upstream: ScriptedUpstream;
let target: FaultGateway;

async function setUp(client: ClientOptions) {
  upstream = await startScriptedUpstream();
  target = startGatewayOver(upstream.url, {
    client,
    upstreamCalls: () => upstream.requests.length,
  });
}

afterEach(async () => {
  await target.close();
  await upstream.close();
});

/** Lets the next requests through normally (the upstream "recovers"). */
const recover = () => upstream.script(undefined);

/** A total budget that only a bug would reach: the attempt timeouts end these calls. */
const LONG_BUDGET_MS = 10_000;

describe('F01 GET that times out', () => {
  // 3 attempts of 200 ms, backoffs of 0.75 × 20 = 15 ms and 0.75 × 40 = 30 ms.
  const client = {
    timeoutMs: 200,
    totalTimeoutMs: LONG_BUDGET_MS,
    maxRetries: 2,
    retryBaseDelayMs: 20,
    retryMaxDelayMs: 40,
    random: () => 0.5,
  };
  const expected = 3 * 200 + 15 + 30;

  /** Each attempt was cut by its own 200 ms timer, and the waits were exactly the backoffs. */
  function expectThreeCutAttempts(ms: number) {
    const attempts = target.events.attempts;
    expect(attempts.map((attempt) => attempt.error)).toEqual([
      'UpstreamTimeoutError',
      'UpstreamTimeoutError',
      'UpstreamTimeoutError',
    ]);
    expect(attempts.map((attempt) => attempt.retryDelayMs)).toEqual([15, 30, undefined]);
    for (const attempt of attempts) expect(attempt.durationMs).toBeGreaterThanOrEqual(200 - 5);
    expect(ms).toBeGreaterThanOrEqual(expected - 5);
    expect(ms).toBeLessThan(LONG_BUDGET_MS / 2);
  }

  it('F01 headers delayed past the attempt timeout → UPSTREAM_TIMEOUT after 1 + 2 retries, ≈ 3 × timeout + backoff, no socket left open', async () => {
    await setUp(client);
    upstream.script(() => {
      // Accepts, reads the request, never answers.
    });
    const { value: response, ms } = await timed(() => target.graphql(READ, { id: WEBHOOK_ID }));

    const error = onlyError(response);
    expect(error.extensions?.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.message).toBe('Featurebase did not answer GET /v2/webhooks/:id within 200 ms.');
    expect(response.body.data).toEqual({ webhook: null });
    expect(upstream.requests).toHaveLength(3);
    expectThreeCutAttempts(ms);
    // Every attempt's socket is destroyed when it is given up, not left to the server to close.
    await waitUntil(() => upstream.openConnections() === 0, 'sockets closed', LONG_TIMEOUT_MS);
    expect(upstream.inFlight()).toBe(0);

    recover();
    await expectNextRequestSucceeds(target);
  });

  it('F01 headers in time, then the body stalls mid-stream → UPSTREAM_TIMEOUT (the attempt timer covers the body), 3 calls, no socket left open', async () => {
    await setUp(client);
    upstream.script(({ response }) => {
      const text = JSON.stringify({ ...SAMPLE, id: WEBHOOK_ID });
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      response.write(text.slice(0, 40));
      // ...and the rest never comes.
    });
    const { value: response, ms } = await timed(() => target.graphql(READ, { id: WEBHOOK_ID }));

    expect(onlyError(response).extensions?.code).toBe('UPSTREAM_TIMEOUT');
    expect(upstream.requests).toHaveLength(3);
    expect(target.events.attempts.map((attempt) => attempt.status)).toEqual([200, 200, 200]);
    expectThreeCutAttempts(ms);
    await waitUntil(() => upstream.openConnections() === 0, 'sockets closed', LONG_TIMEOUT_MS);

    recover();
    await expectNextRequestSucceeds(target);
  });

  it('F01 bounded by the total budget: 5 retries allowed, but the call ends at totalTimeoutMs', async () => {
    // Attempt 1 is answered 503 at once; after a 15 ms backoff, attempt 2 gets its headers
    // late, and is cut by the budget at 550 ms, long before its own 5 s attempt timeout.
    await setUp({ ...client, timeoutMs: LONG_TIMEOUT_MS, totalTimeoutMs: 550, maxRetries: 5 });
    upstream.script(({ recorded, response }) => {
      if (recorded.index === 0) {
        response.writeHead(503, { 'content-type': 'application/json' });
        response.end('{}');
      }
    });
    const { value: response, ms } = await timed(() => target.graphql(READ, { id: WEBHOOK_ID }));

    const error = onlyError(response);
    expect(error.extensions?.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.message).toBe(
      'Featurebase did not answer GET /v2/webhooks/:id within the total time allowed (550 ms).',
    );
    expect(upstream.requests).toHaveLength(2);
    expect(
      target.events.attempts.map(({ status, retryDelayMs }) => [status, retryDelayMs]),
    ).toEqual([
      [503, 15],
      [undefined, undefined],
    ]);
    expect(ms).toBeGreaterThanOrEqual(550 - 5);
    expect(ms).toBeLessThan(LONG_TIMEOUT_MS / 2);
    await waitUntil(() => upstream.openConnections() === 0, 'sockets closed', LONG_TIMEOUT_MS);

    recover();
    await expectNextRequestSucceeds(target);
  });
});

describe('F02 POST rotation that never gets an answer', () => {
  it('F02 → UPSTREAM_TIMEOUT after one attempt, exactly 1 call, "may or may not have happened", no socket left open', async () => {
    await setUp({
      timeoutMs: 200,
      totalTimeoutMs: LONG_BUDGET_MS,
      maxRetries: 2,
      retryBaseDelayMs: 20,
      retryMaxDelayMs: 40,
    });
    upstream.script(() => {});
    const { value: response, ms } = await timed(() => target.graphql(ROTATE, { id: WEBHOOK_ID }));

    const error = onlyError(response);
    expect(error.extensions?.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.message).toBe(
      'Featurebase did not answer POST /v2/webhooks/:id/secret within 200 ms; the operation may or may not have happened.',
    );
    expect(response.body.data).toBeNull();
    expect(upstream.requests.map(({ method, path }) => `${method} ${path}`)).toEqual([
      `POST /v2/webhooks/${WEBHOOK_ID}/secret`,
    ]);
    // One attempt, cut by its timeout (not by the 10 s budget), and not repeated.
    expect(target.events.attempts.map((attempt) => attempt.error)).toEqual([
      'UpstreamTimeoutError',
    ]);
    expect(ms).toBeGreaterThanOrEqual(200 - 5);
    expect(ms).toBeLessThan(LONG_BUDGET_MS / 2);
    await waitUntil(() => upstream.openConnections() === 0, 'socket closed', LONG_TIMEOUT_MS);

    recover();
    const again = await target.graphql<{ refreshWebhookSecret: { secret: string } }>(ROTATE, {
      id: WEBHOOK_ID,
    });
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data?.refreshWebhookSecret.secret).toMatch(/^whsec_scriptedRotation/);
    expect(upstream.requests).toHaveLength(2);
    await expectNextRequestSucceeds(target);
  });
});
