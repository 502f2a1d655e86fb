/**
 * Behaviour no other test held: each of these was broken on purpose once and the suite still
 * passed. An unexpected exception is masked on every path that serves requests; a version with
 * the right codename but an older date is refused; the per-operation upstream budget is exact.
 */

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/graphql/gateway.ts';
import { SEED_WEBHOOK_IDS, startSimulator } from '../../src/simulator/index.ts';
import { createFeaturebaseClient, createUpstreamAgent } from '../../src/upstream/index.ts';
import { API_KEY, captureLogger, sendGraphQL, startTestGateway } from '../support/gateway.ts';
import { sleep } from '../support/hostile.ts';
import { postGraphQL, startProductionServer } from '../support/production-server.ts';
import { waitFor } from '../upstream/helpers.ts';

const harness = await startTestGateway();
afterAll(() => harness.close());
beforeEach(() => harness.simulator.reset());
const [id] = SEED_WEBHOOK_IDS as [string];

describe('an unexpected exception inside a resolver', () => {
  /** What the bug says; it may be logged, but must never reach a client. */
  const DETAIL = "Cannot read properties of undefined (reading 'SENTINEL_DETAIL')";
  const QUERY = '{ webhooks(first: 2) { nodes { id } } }';

  async function gatewayWithBrokenList() {
    const simulator = await startSimulator({ host: '127.0.0.1', port: 0 });
    const agent = createUpstreamAgent();
    const client = createFeaturebaseClient({
      baseUrl: simulator.url,
      dispatcher: agent,
      timeoutMs: 2000,
    });
    // The client seam: a real client with one method that fails like a bug would.
    client.webhooks.list = () => {
      throw new TypeError(DETAIL);
    };
    const { logger, captured } = captureLogger();
    const gateway = createGateway({
      client,
      logger,
      credentialDefaults: { apiVersion: '2026-01-01.nova', fallbackApiKey: undefined },
    });
    return {
      gateway,
      simulator: simulator.simulator,
      /** Error-level log lines that name the bug. */
      loggedBugs: () =>
        captured
          .join('')
          .split('\n')
          .filter((line) => line.includes('"level":"error"') && line.includes(DETAIL)),
      close: async () => {
        await agent.close();
        await simulator.close();
      },
    };
  }

  function expectMasked(text: string) {
    const body = JSON.parse(text) as { errors?: unknown[] };
    expect(body.errors).toEqual([
      {
        message: 'Unexpected error.',
        locations: [{ line: 1, column: 3 }],
        path: ['webhooks'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    for (const detail of ['TypeError', 'SENTINEL_DETAIL', 'Cannot read', 'stack', '.ts:']) {
      expect(text).not.toContain(detail);
    }
  }

  it('reaches a client through Yoga masked as INTERNAL_SERVER_ERROR, and is logged as an error', async () => {
    const broken = await gatewayWithBrokenList();
    try {
      const response = await sendGraphQL(broken.gateway, QUERY);
      expect(response.status).toBe(200);
      expectMasked(response.text);
      expect(broken.loggedBugs()).toHaveLength(1);
      // Server side, the bug is described in full (its stack starts with the TypeError).
      expect(broken.loggedBugs()[0]).toContain('TypeError: ');
      expect(broken.simulator.countRequests()).toBe(0);
    } finally {
      await broken.close();
    }
  });

  it('reaches a client through the production server masked, on the direct path with its text new and then cached, and is logged each time', async () => {
    const broken = await gatewayWithBrokenList();
    const server = await startProductionServer(broken.gateway);
    try {
      for (let round = 1; round <= 2; round++) {
        const answer = await postGraphQL(
          server.url,
          { query: QUERY },
          { authorization: `Bearer ${API_KEY}` },
        );
        expect(answer.status).toBe(200);
        expectMasked(answer.text);
        expect(broken.loggedBugs()).toHaveLength(round);
      }
      // The first time parsed and validated, then from Yoga's caches: every plugin both times.
      expect(server.served).toEqual(['direct', 'direct']);
    } finally {
      await server.close();
      await broken.close();
    }
  });
});

describe('the per-operation upstream budget (UPSTREAM_CALLS_PER_OPERATION, default 10)', () => {
  /** `count` aliased pages of different sizes: each is a list call of its own. */
  const pages = (count: number) =>
    `{ ${Array.from({ length: count }, (_, index) => `p${index + 1}: webhooks(first: ${index + 1}) { nodes { id } }`).join(' ')} }`;

  it('lets an operation that needs exactly 10 calls make all of them', async () => {
    const response = await harness.graphql(pages(10));
    expect(response.body.errors).toBeUndefined();
    expect(Object.keys(response.body.data ?? {})).toHaveLength(10);
    // Not batched: one list call per alias, each with its own page size.
    const limits = harness.simulator.requests.map((request) => request.query['limit']);
    expect(limits.sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 10 }, (_, index) => String(index + 1)),
    );
    expect(harness.simulator.countRequests({ method: 'GET', path: '/v2/webhooks' })).toBe(10);
  });

  it('stops an operation that needs 11 at 10 calls: the 11th field fails with BAD_USER_INPUT', async () => {
    const response = await harness.graphql(pages(11));
    expect(response.body.data).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors?.[0]).toMatchObject({
      path: ['p11'],
      message: 'This operation needs more than 10 Featurebase calls; split it into smaller ones.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    // `webhooks` is non-null, so the failed field nulls the whole answer, which is sent before
    // the first ten calls come back: wait for all ten to be answered, and for no eleventh.
    const answered = () => harness.simulator.requests.filter((request) => request.status !== 0);
    await waitFor(() => answered().length >= 10);
    await sleep(100);
    expect(harness.simulator.countRequests()).toBe(10);
    expect(answered()).toHaveLength(10);
  });
});

describe('Featurebase-Version with the right codename but an older date', () => {
  it.each(['2025-12-12.nova', '2025-12-31.nova', '2025-01-01.nova'])(
    '%s is refused with UNSUPPORTED_API_VERSION before any upstream call',
    async (version) => {
      const response = await harness.graphql(`{ webhook(id: "${id}") { id } }`, undefined, {
        'featurebase-version': version,
      });
      expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual([
        'UNSUPPORTED_API_VERSION',
      ]);
      expect(response.body.errors?.[0]?.message).toContain('2026-01-01.nova');
      expect(harness.simulator.countRequests()).toBe(0);
    },
  );
});
