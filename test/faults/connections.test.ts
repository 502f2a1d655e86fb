/**
 * Catalogue §3, F03-F05 and F18: the connection itself fails (refused, DNS, reset before or in
 * the middle of the answer), or the answer sends the gateway somewhere else. The rule under test
 * (design.md 1.5): a request that certainly never left may be sent again, whatever its method;
 * one that may have reached Featurebase is repeated only if it is a GET.
 *
 * F03 uses the production retry delays (backoff 250 ms then 500 ms, before jitter) on purpose:
 * "total < 1 s" is a property of those defaults, not of a test's fast settings. It is read from
 * the client's attempt reports (the waits it chose add up to less than 1 s, and no attempt
 * waited for the connect timeout), so a busy machine does not decide it.
 */

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { UpstreamAttemptEvent } from '../../src/upstream/index.ts';
import {
  expectNextRequestSucceeds,
  expectNoLeaks,
  type FaultGateway,
  LONG_TIMEOUT_MS,
  NO_WAIT_MS,
  onlyError,
  READ,
  ROTATE,
  SAMPLE,
  type ScriptedUpstream,
  type SimulatorFaultGateway,
  startGatewayOver,
  startScriptedUpstream,
  timed,
  WEBHOOK_ID,
  withEvents,
} from '../support/faults.ts';
import { API_KEY } from '../support/gateway.ts';
import { closedPort } from '../upstream/helpers.ts';

// Secret hygiene over every answer and log line of this file (test/support/faults.ts).
afterAll(expectNoLeaks);

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/** Shaped like a live key: it must appear in no answer and no log line. */
const SENTINEL_KEY = 'sk_live_F03_SENTINEL_0123456789';
const sentinel = { authorization: `Bearer ${SENTINEL_KEY}` };

function over(url: string, upstreamCalls?: () => number): FaultGateway {
  const target = startGatewayOver(url, {
    // Production retry settings. A connection that fails at once waits for neither timeout.
    client: { timeoutMs: LONG_TIMEOUT_MS },
    agent: { connectTimeoutMs: LONG_TIMEOUT_MS },
    ...(upstreamCalls ? { upstreamCalls } : {}),
  });
  cleanup.push(() => target.close());
  return target;
}

/**
 * "3 attempts in < 1 s" for connections that fail at once: the waits the client chose between
 * the attempts add up to less than 1 s (a property of the production backoffs), no attempt took
 * anywhere near the connect timeout, and the whole call took the waits plus no timer's worth
 * more.
 */
function expectFailedFastThrice(
  attempts: readonly UpstreamAttemptEvent[],
  code: string,
  ms: number,
): void {
  expect(attempts.map((attempt) => attempt.errorCode)).toEqual([code, code, code]);
  const waits = attempts.reduce((sum, attempt) => sum + (attempt.retryDelayMs ?? 0), 0);
  expect(attempts.map((attempt) => attempt.retryDelayMs !== undefined)).toEqual([
    true,
    true,
    false,
  ]);
  expect(waits, 'the waits between the attempts').toBeLessThan(1000);
  for (const attempt of attempts) expect(attempt.durationMs).toBeLessThan(NO_WAIT_MS);
  // The waits were waited (timers have millisecond granularity).
  expect(ms).toBeGreaterThanOrEqual(waits - 5);
  expect(ms).toBeLessThan(waits + NO_WAIT_MS);
}

async function simulator(): Promise<SimulatorFaultGateway> {
  const target = await withEvents({
    client: { timeoutMs: LONG_TIMEOUT_MS, retryBaseDelayMs: 20, retryMaxDelayMs: 40 },
  });
  cleanup.push(() => target.close());
  return target;
}

describe('F03 connection refused, DNS failure', () => {
  it.each([
    ['GET', READ, 'webhook'],
    ['POST rotation (it never left, so it may be sent again)', ROTATE, 'refreshWebhookSecret'],
  ])(
    'F03 %s on a closed port → UPSTREAM_UNAVAILABLE after 3 attempts in < 1 s; no key or URL in answer or logs; back when the port is',
    async (_label, operation) => {
      const port = await closedPort();
      const origin = `127.0.0.1:${port}`;
      let comeBack: ScriptedUpstream | undefined;
      const target = over(`http://${origin}`, () => comeBack?.requests.length ?? 0);

      const { value: response, ms } = await timed(() =>
        target.graphql(operation, { id: WEBHOOK_ID }, sentinel),
      );
      const error = onlyError(response);
      expect(error.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(error.message).toBe('Could not connect to Featurebase (ECONNREFUSED).');
      // Nothing listens, so no server counts calls: the client's own attempt reports do.
      expectFailedFastThrice(target.events.attempts, 'ECONNREFUSED', ms);
      for (const text of [response.text, target.logs()]) {
        expect(text).not.toContain(SENTINEL_KEY);
        expect(text).not.toContain(origin);
      }
      // The attempts were logged (so the check above looked at something).
      expect(target.logs()).toContain('ECONNREFUSED');

      // Featurebase comes back on the same port: the next request goes through at once.
      comeBack = await startScriptedUpstream({ port });
      cleanup.push(() => (comeBack as ScriptedUpstream).close());
      await expectNextRequestSucceeds(target);
    },
  );

  it('F03 DNS failure (does-not-exist.invalid) → UPSTREAM_UNAVAILABLE after 3 attempts in < 1 s; no key or host in answer or logs', async () => {
    const target = over('http://does-not-exist.invalid');
    const { value: response, ms } = await timed(() =>
      target.graphql(READ, { id: WEBHOOK_ID }, sentinel),
    );
    const error = onlyError(response);
    expect(error.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toBe('Could not connect to Featurebase (ENOTFOUND).');
    expectFailedFastThrice(target.events.attempts, 'ENOTFOUND', ms);
    for (const text of [response.text, target.logs()]) {
      expect(text).not.toContain(SENTINEL_KEY);
      expect(text).not.toContain('does-not-exist');
    }
    expect(target.logs()).toContain('ENOTFOUND');

    // A name that never resolves cannot "come back", so the next request cannot succeed here.
    // What can be checked: the gateway is unharmed (one failed call does not open the breaker)
    // and the next request fails the same way, at once, rather than hanging or crashing.
    const health = await target.health();
    expect(health).toEqual({
      status: 200,
      upstream: { breaker: 'closed', inFlight: 0, queued: 0, tenants: 0 },
    });
    const { value: again, ms: againMs } = await timed(() =>
      target.graphql(READ, { id: WEBHOOK_ID }),
    );
    expect(onlyError(again).extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expectFailedFastThrice(target.events.attempts.slice(3), 'ENOTFOUND', againMs);
  });
});

describe('F04-F05 resets', () => {
  it('F04 GET reset mid-body (half the JSON written, then the socket destroyed) → retried → success, 2 calls', async () => {
    const target = await simulator();
    const text = JSON.stringify({ ...SAMPLE, id: WEBHOOK_ID });
    target.harness.simulator.injectFault({
      match: { method: 'GET' },
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: text.slice(0, Math.floor(text.length / 2)),
      destroySocket: true,
    });
    const { value: response, ms } = await timed(() => target.graphql(READ, { id: WEBHOOK_ID }));

    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toEqual({
      webhook: {
        id: WEBHOOK_ID,
        name: SAMPLE.name,
        status: 'ACTIVE',
        createdAt: SAMPLE.createdAt,
      },
    });
    expect(target.upstreamCalls()).toBe(2);
    expect(
      target.events.attempts.map(({ outcome, error, status }) => [outcome, error, status]),
    ).toEqual([
      ['error', 'UpstreamConnectionError', 200],
      ['success', undefined, 200],
    ]);
    // One backoff (≤ 40 ms, the configured maximum) and two quick answers: no attempt waited
    // for its timeout.
    expect(target.events.attempts[0]?.retryDelayMs).toBeLessThanOrEqual(40);
    expect(ms).toBeLessThan(NO_WAIT_MS);
    await expectNextRequestSucceeds(target);
  });

  it('F05 POST rotation reset after the request was written → UPSTREAM_UNAVAILABLE, exactly 1 call, never retried', async () => {
    const target = await simulator();
    const { simulator: upstream } = target.harness;
    const secretBefore = upstream.peekWebhook(API_KEY, WEBHOOK_ID)?.secret;
    upstream.injectFault({ match: { method: 'POST' }, destroySocket: true });
    const { value: response, ms } = await timed(() => target.graphql(ROTATE, { id: WEBHOOK_ID }));

    const error = onlyError(response);
    expect(error.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toMatch(
      /^The connection to Featurebase failed before it answered \([A-Z_]+\); the operation may or may not have happened\.$/,
    );
    expect(upstream.countRequests({ method: 'POST' })).toBe(1);
    expect(target.upstreamCalls()).toBe(1);
    expect(target.events.attempts).toHaveLength(1);
    expect(ms).toBeLessThan(NO_WAIT_MS);
    // The fault stood for the network: the simulator never rotated.
    expect(upstream.peekWebhook(API_KEY, WEBHOOK_ID)?.secret).toBe(secretBefore);

    const again = await target.graphql<{ refreshWebhookSecret: { secret: string } }>(ROTATE, {
      id: WEBHOOK_ID,
    });
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data?.refreshWebhookSecret.secret).toBe(
      upstream.peekWebhook(API_KEY, WEBHOOK_ID)?.secret,
    );
    expect(upstream.countRequests({ method: 'POST' })).toBe(2);
    await expectNextRequestSucceeds(target);
  });
});

describe('F18 redirects', () => {
  it.each([
    [301, 'GET', READ],
    [307, 'GET', READ],
    [307, 'POST rotation', ROTATE],
  ])(
    'F18 %i on a %s to another origin → UPSTREAM_UNAVAILABLE, not followed, 1 call; the other origin sees nothing',
    async (status, _label, operation) => {
      const target = await simulator();
      const elsewhere = await startScriptedUpstream();
      cleanup.push(() => elsewhere.close());
      target.harness.simulator.injectFault({
        status,
        headers: { location: `${elsewhere.url}/v2/webhooks/${WEBHOOK_ID}` },
      });
      const { value: response, ms } = await timed(() =>
        target.graphql(operation, { id: WEBHOOK_ID }, sentinel),
      );

      const error = onlyError(response);
      expect(error.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', upstream: { status } });
      expect(response.text).not.toContain(elsewhere.url);
      expect(target.upstreamCalls()).toBe(1);
      expect(ms).toBeLessThan(NO_WAIT_MS);
      // Anything following the redirect would have happened by now; give it a moment anyway.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(elsewhere.requests).toHaveLength(0);
      expect(elsewhere.connections()).toBe(0);
      await expectNextRequestSucceeds(target);
    },
  );
});
