/**
 * Catalogue §3, process-level faults: the keep-alive race. The upstream closes an idle
 * connection after 1 s and the gateway's client idles 1.1 s between requests. If the client
 * wrote its next request onto that socket, a GET would fail (or need a silent retry) and a POST
 * rotation might be lost or, worse, replayed. Expected: no user-visible error, no retry at all
 * (every attempt succeeds first time), and exactly one POST recorded per rotation.
 *
 * Two upstreams, each with several trials at once (one gateway and one production agent per
 * trial, so every trial has its own idle socket):
 * - a Node server with `keepAliveTimeout` 1 s, which announces `Keep-Alive: timeout=1`;
 * - a load balancer that closes idle connections after 1 s WITHOUT announcing it, so the client
 *   keeps the socket in its pool (the agent's own idle limit is 4 s) and must notice the close.
 */

import { afterAll, describe, it } from 'vitest';
import {
  expectNoLeaks,
  type FaultGateway,
  LONG_TIMEOUT_MS,
  NO_WAIT_MS,
  READ,
  ROTATE,
  type ScriptedUpstream,
  type ScriptedUpstreamOptions,
  sleep,
  startGatewayOver,
  startScriptedUpstream,
  WEBHOOK_ID,
} from '../support/faults.ts';

// Secret hygiene over every answer and log line of this file (test/support/faults.ts).
afterAll(expectNoLeaks);

const TRIALS = 4;
const IDLE_MS = 1100;

interface Trial {
  id: string;
  target: FaultGateway;
  errors: unknown[];
}

async function runTrial(
  upstream: ScriptedUpstream,
  id: string,
  onFinished: (close: () => Promise<void>) => void,
): Promise<Trial> {
  // Production agent and retry settings; the attempt timeout is long (no step may wait for it).
  const target = startGatewayOver(upstream.url, { client: { timeoutMs: LONG_TIMEOUT_MS } });
  onFinished(() => target.close());
  const errors: unknown[] = [];
  const step = async (query: string, requestId: string) => {
    const response = await target.graphql(query, { id: WEBHOOK_ID }, { 'x-request-id': requestId });
    if (response.body.errors) errors.push(...response.body.errors);
  };
  await step(READ, `${id}-warm`);
  await sleep(IDLE_MS);
  await step(ROTATE, `${id}-rotate`);
  await sleep(IDLE_MS);
  await step(READ, `${id}-read`);
  return { id, target, errors };
}

describe('keep-alive race', () => {
  it.concurrent.for([
    ['a Node upstream with keepAliveTimeout 1 s', { keepAliveTimeoutMs: 1000 }],
    ['a load balancer closing idle sockets after 1 s unannounced', { silentIdleCloseMs: 1000 }],
  ] as [string, ScriptedUpstreamOptions][])(
    'keep-alive race against %s, the client idling 1.1 s: no visible error, no retry, one POST per rotation (4 trials)',
    async ([, options], { expect, onTestFinished }) => {
      // Per test, not afterEach: the two tests run at the same time.
      const onFinished = (close: () => Promise<void>) => onTestFinished(close);
      const upstream = await startScriptedUpstream(options);
      onFinished(() => upstream.close());
      const started = performance.now();
      const trials = await Promise.all(
        Array.from({ length: TRIALS }, (_, index) => runTrial(upstream, `ka-${index}`, onFinished)),
      );
      const ms = performance.now() - started;

      for (const { id, target, errors } of trials) {
        const of = (step: string) =>
          upstream.requests.filter(
            (request) => request.headers['x-request-id'] === `${id}-${step}`,
          );
        expect(errors, id).toEqual([]);
        // Each step reached the upstream exactly once: the rotation was never replayed, and the
        // reads never needed a second try.
        expect(of('warm').map((request) => request.method)).toEqual(['GET']);
        expect(of('rotate').map((request) => request.method)).toEqual(['POST']);
        expect(of('read').map((request) => request.method)).toEqual(['GET']);
        expect(target.events.attempts.map(({ attempt, outcome }) => [attempt, outcome])).toEqual([
          [1, 'success'],
          [1, 'success'],
          [1, 'success'],
        ]);
        // After each idle period the request went out on a fresh connection: the one the upstream
        // had closed was not written to.
        const connections = ['warm', 'rotate', 'read'].map((step) => of(step)[0]?.connection);
        expect(new Set(connections).size, `${id} connections ${connections}`).toBe(3);
        expect(upstream.isOpen(of('warm')[0]?.connection ?? 0)).toBe(false);
      }
      // The two idle periods and three quick requests; nothing waited on a timeout (5 s).
      expect(ms).toBeGreaterThanOrEqual(2 * IDLE_MS);
      expect(ms).toBeLessThan(2 * IDLE_MS + NO_WAIT_MS);
    },
  );
});
