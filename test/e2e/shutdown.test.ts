/**
 * SIGTERM during a burst: the gateway process stops accepting, finishes every request in flight,
 * and exits 0. Catalogue, process-level faults: 50 requests in flight against a 1 s upstream.
 */

import { once } from 'node:events';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, SEED_WEBHOOK_IDS, startSimulator } from '../../src/simulator/index.ts';
import { launch, postOnNewConnection, stopAll, waitFor } from '../support/process.ts';

const upstream = await startSimulator();
afterAll(() => upstream.close());
afterEach(() => stopAll());

const IN_FLIGHT = 50;

const post = (endpoint: string, query: string) =>
  postOnNewConnection(endpoint, query, DEMO_API_KEY);

describe('SIGTERM', () => {
  it('lets 50 in-flight requests finish, refuses new connections, and exits 0', async () => {
    // At info, the gateway logs (on stdout) when it starts shutting down. One client bursting
    // 50 requests: its share of the upstream is the whole of it here (by default one tenant may
    // hold half the slots and a quarter of the queue).
    const gateway = launch('src/main.ts', {
      PORT: '0',
      LOG_LEVEL: 'info',
      FEATUREBASE_API_URL: upstream.url,
      UPSTREAM_MAX_CONCURRENCY_PER_TENANT: '32',
      UPSTREAM_MAX_QUEUE_PER_TENANT: '64',
      // 50 calls in flight: the burst's identical reads would otherwise share one.
      UPSTREAM_SHARE_READS: 'false',
    });
    const [, endpoint = ''] = await waitFor(gateway.stderr, /gateway: (http:\/\/\S+\/graphql)/);
    const query = `{ webhook(id: "${SEED_WEBHOOK_IDS[0]}") { id name } }`;
    // Featurebase has accepted the key before the burst (a key it has not judged yet goes one
    // call at a time, which would hold the burst back by one answer).
    expect(await post(endpoint, query)).toMatchObject({ status: 200 });
    upstream.simulator.injectFault({ delayMs: 1000, times: IN_FLIGHT });

    const burst = Array.from({ length: IN_FLIGHT }, () => post(endpoint, query));
    // Every request is inside the gateway before the signal: on the wire to Featurebase or
    // queued behind the upstream concurrency cap, as `/health` counts them. (A connection still
    // in the accept queue when the server closes is refused, which is what shutting down means.)
    const health = endpoint.replace(/\/graphql$/, '/health');
    for (;;) {
      const { upstream: state } = (await (await fetch(health)).json()) as {
        upstream: { inFlight: number; queued: number };
      };
      if (state.inFlight + state.queued >= IN_FLIGHT) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const exited = once(gateway, 'exit');
    const shuttingDown = waitFor(gateway.stdout, /shutting down: draining requests/);
    gateway.kill('SIGTERM');
    // Once the gateway has taken the signal (however long a busy machine makes that), and a
    // moment more for it to stop listening, which it does right after saying so.
    await shuttingDown;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const late = await post(endpoint, query);

    const results = await Promise.all(burst);
    const [code] = await exited;

    expect(late).toBeInstanceOf(Error);
    expect((late as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    for (const result of results) {
      expect(result).not.toBeInstanceOf(Error);
      const { status, body } = result as { status: number; body: string };
      expect(status).toBe(200);
      expect(JSON.parse(body)).toEqual({
        data: { webhook: { id: SEED_WEBHOOK_IDS[0], name: 'Production Webhook' } },
      });
    }
    expect(code).toBe(0);
  });
});
