/**
 * Catalogue §3, process-level faults: SIGTERM with 50 requests in flight against a 1 s upstream.
 *
 * `test/e2e/shutdown.test.ts` already covers this row (all 50 complete with their data, a new
 * connection is refused, exit code 0) and is not repeated here. What it leaves implicit is two of
 * the four things every row of this suite asserts: the exact number of upstream calls, and the
 * latency bound (exit once drained, well within the drain deadline, measured from the signal
 * rather than inferred from exit code 0). This test adds those two, with all 50 calls in flight
 * at Featurebase at the moment of the signal (concurrency raised to 64, for the one tenant too,
 * so none waits in the bulkhead) and the production drain deadline of 10 s: the drain itself takes what is left of
 * the 1 s upstream, so exiting in under half the deadline tells "exited when drained" from
 * "cut at the deadline" on any machine. "The next request succeeds" does not apply: the process
 * is gone.
 */

import { once } from 'node:events';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SEED_WEBHOOK_IDS, startSimulator } from '../../src/simulator/index.ts';
import { API_KEY } from '../support/gateway.ts';
import { launch, postOnNewConnection, stopAll, waitFor } from '../support/process.ts';

const upstream = await startSimulator();
afterAll(() => upstream.close());
afterEach(() => stopAll());

const IN_FLIGHT = 50;
const UPSTREAM_MS = 1000;
const GRACE_MS = 10_000;

const post = (endpoint: string, query: string) => postOnNewConnection(endpoint, query, API_KEY);

describe('SIGTERM (complements test/e2e/shutdown.test.ts)', () => {
  it('SIGTERM with 50 calls in flight at a 1 s upstream: exactly 50 upstream calls, 50 answers, exit 0 once drained, in under half the drain deadline', async () => {
    const gateway = launch('src/main.ts', {
      PORT: '0',
      LOG_LEVEL: 'warn',
      FEATUREBASE_API_URL: upstream.url,
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      // One client's burst: its tenant may use the whole bulkhead here.
      UPSTREAM_MAX_CONCURRENCY: '64',
      UPSTREAM_MAX_CONCURRENCY_PER_TENANT: '64',
      // 50 calls: the burst's identical reads would otherwise share one (the row is the drain).
      UPSTREAM_SHARE_READS: 'false',
    });
    const [, endpoint = ''] = await waitFor(gateway.stderr, /gateway: (http:\/\/\S+\/graphql)/);
    const id = SEED_WEBHOOK_IDS[0];
    // Featurebase has accepted the key before the burst (a key it has not judged yet goes one
    // call at a time); then the count starts from nothing.
    expect(await post(endpoint, `{ webhook(id: "${id}") { id } }`)).toMatchObject({ status: 200 });
    upstream.simulator.reset();
    upstream.simulator.injectFault({ delayMs: UPSTREAM_MS, times: IN_FLIGHT });
    const burst = Array.from({ length: IN_FLIGHT }, () =>
      post(endpoint, `{ webhook(id: "${id}") { id name } }`),
    );
    // Every call is at Featurebase (and will take up to 1 s more) when the signal comes.
    const waitStarted = performance.now();
    while (upstream.simulator.countRequests() < IN_FLIGHT) {
      if (performance.now() - waitStarted > 10_000) throw new Error('the burst never arrived');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const exited = once(gateway, 'exit');
    const signalledAt = performance.now();
    gateway.kill('SIGTERM');
    const results = await Promise.all(burst);
    const [code] = await exited;
    const exitMs = performance.now() - signalledAt;

    expect(code).toBe(0);
    // Exit follows the drain (the calls still had up to 1 s to go), not the deadline.
    expect(exitMs).toBeLessThan(GRACE_MS / 2);
    expect(results.filter((result) => result instanceof Error)).toEqual([]);
    for (const result of results) {
      const { status, body } = result as { status: number; body: string };
      expect(status).toBe(200);
      expect(JSON.parse(body)).toEqual({ data: { webhook: { id, name: 'Production Webhook' } } });
    }
    // One call per request, none repeated or cut and retried during the drain.
    expect(upstream.simulator.countRequests()).toBe(IN_FLIGHT);
    expect(upstream.simulator.countRequests({ method: 'GET', status: 200 })).toBe(IN_FLIGHT);
  });
});
