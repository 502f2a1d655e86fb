/**
 * SIGTERM during a burst: the gateway process stops accepting, finishes every request in flight,
 * and exits 0. Catalogue, process-level faults: 50 requests in flight against a 1 s upstream.
 */

import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, SEED_WEBHOOK_IDS, startSimulator } from '../../src/simulator/index.ts';
import { launch, stopAll, waitFor } from '../support/process.ts';

const upstream = await startSimulator();
afterAll(() => upstream.close());
afterEach(() => stopAll());

const IN_FLIGHT = 50;

/** One GraphQL POST on its own connection; resolves with the status and body, or the error. */
function post(endpoint: string, query: string): Promise<{ status: number; body: string } | Error> {
  return new Promise((resolve) => {
    const request = httpRequest(
      endpoint,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_API_KEY}` },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', (error) => resolve(error));
    request.end(JSON.stringify({ query }));
  });
}

describe('SIGTERM', () => {
  it('lets 50 in-flight requests finish, refuses new connections, and exits 0', async () => {
    upstream.simulator.injectFault({ delayMs: 1000, times: IN_FLIGHT });
    const gateway = launch('src/main.ts', {
      PORT: '0',
      LOG_LEVEL: 'warn',
      FEATUREBASE_API_URL: upstream.url,
    });
    const [, endpoint = ''] = await waitFor(gateway.stderr, /gateway: (http:\/\/\S+\/graphql)/);
    const query = `{ webhook(id: "${SEED_WEBHOOK_IDS[0]}") { id name } }`;

    const burst = Array.from({ length: IN_FLIGHT }, () => post(endpoint, query));
    // The requests are inside the gateway (most of them waiting on Featurebase, the rest queued
    // behind the upstream concurrency cap) before the signal.
    while (upstream.simulator.countRequests() < Math.min(IN_FLIGHT, 30)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const exited = once(gateway, 'exit');
    gateway.kill('SIGTERM');
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
