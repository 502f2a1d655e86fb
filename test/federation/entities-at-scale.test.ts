/**
 * `_entities` in workspaces larger than one list page (issue 12): a router's batch is looked for
 * page after page (100 a page, following `nextCursor`) until every reference is found or the
 * listing ends, within `ENTITY_PAGES_PER_OPERATION` (10) pages counted apart from
 * `UPSTREAM_CALLS_PER_OPERATION` (10); what the pages leave is retrieved one by one, and what the
 * budget leaves fails alone with `ENTITY_BATCH_TOO_LARGE`. Every count here is of the requests
 * the simulator received over loopback HTTP, never of time.
 */

import { afterAll, describe, expect, it } from 'vitest';
import { describe as describeError } from '../../src/graphql/errors.ts';
import { SAMPLE_WEBHOOKS } from '../../src/simulator/index.ts';
import type { RecordedRequest } from '../../src/simulator/request-log.ts';
import { createFeaturebaseClient, createUpstreamAgent } from '../../src/upstream/index.ts';
import type { WireWebhook } from '../../src/upstream/wire.ts';
import { resolveCredentials } from '../../src/webhooks/credentials.ts';
import { WebhookOperations } from '../../src/webhooks/operations.ts';
import {
  API_KEY,
  errorCodes,
  startTestGateway,
  type TestGateway,
  type TestGatewayOptions,
} from '../support/gateway.ts';

/** The id of the n-th webhook of a workspace (1-based, creation order, which is list order). */
const webhookId = (n: number) => `8${n.toString(16).padStart(23, '0')}`;
/** Well-formed ids no workspace here holds. */
const absentId = (n: number) => `9${n.toString(16).padStart(23, '0')}`;
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index);

/** `size` webhooks shaped like the samples; the n-th is on list page ⌈n / 100⌉. */
function workspace(size: number): WireWebhook[] {
  return range(1, size).map((n) => {
    const sample = SAMPLE_WEBHOOKS[n % SAMPLE_WEBHOOKS.length] as WireWebhook;
    return { ...structuredClone(sample), id: webhookId(n), name: `Hook ${n}` };
  });
}

/** A gateway over a simulator holding one workspace of `size` webhooks (the limit raised with it). */
const startWorkspace = (size: number, limits?: TestGatewayOptions['limits']) =>
  startTestGateway({
    simulator: { seed: workspace(size), webhookLimit: size },
    ...(limits === undefined ? {} : { limits }),
  });

const thousand = await startWorkspace(1000);
const reported = await startWorkspace(150);
// 1,200 webhooks: 200 lie beyond the 10 pages one operation may read (default limits).
const beyondTheBudget = await startWorkspace(1200);
const onePage = await startWorkspace(150, { entityPagesPerOperation: 1 });
afterAll(async () => {
  await Promise.all(
    [thousand, reported, beyondTheBudget, onePage].map((harness) => harness.close()),
  );
});

const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Webhook { id name } }
}`;

type Entity = { id: string; name: string } | null;

async function resolve(harness: TestGateway, representations: unknown[]) {
  harness.simulator.reset();
  const response = await harness.graphql<{ _entities: Entity[] }>(ENTITIES, { representations });
  return { response, entities: response.body.data?._entities ?? [], calls: calls(harness) };
}

const references = (ids: readonly string[]) => ids.map((id) => ({ __typename: 'Webhook', id }));
const idsOf = (numbers: readonly number[]) => numbers.map(webhookId);

/**
 * What the simulator received: list pages (each checked to ask for 100, the first without a
 * cursor and each next one with the cursor the previous page gave) and retrieved ids, in order.
 */
function calls(harness: TestGateway) {
  const requests = harness.simulator.requests;
  const lists = requests.filter((request) => request.path === '/v2/webhooks');
  const retrieved = requests
    .filter((request) => request.path.startsWith('/v2/webhooks/'))
    .map((request) => request.path.slice('/v2/webhooks/'.length));
  for (const [index, list] of lists.entries()) {
    expect(list.method).toBe('GET');
    expect(list.query['limit']).toBe('100');
    expect(list.query['cursor'] === undefined).toBe(index === 0);
  }
  expect(requests.every((request: RecordedRequest) => request.method === 'GET')).toBe(true);
  expect(
    requests.every((request: RecordedRequest) => request.status === 200 || request.status === 404),
  ).toBe(true);
  return { total: requests.length, pages: lists.length, retrieved };
}

const expectResolved = (entities: Entity[], ids: readonly (string | null)[]) =>
  expect(entities.map((entity) => entity?.id ?? null)).toEqual(ids);

describe('a workspace of 1,000 webhooks', () => {
  const harness = thousand;

  it('a router batch of 100 references to the last 100 webhooks resolves whole, with the 10 pages and nothing else', async () => {
    const ids = idsOf(range(901, 1000)).reverse();
    const { response, entities, calls } = await resolve(harness, references(ids));
    expect(response.body.errors).toBeUndefined();
    expectResolved(entities, ids);
    expect(entities[0]).toEqual({ id: webhookId(1000), name: 'Hook 1000' });
    expect(calls).toEqual({ total: 10, pages: 10, retrieved: [] });
  });

  it('a batch of 100 references spread over every page resolves whole with the 10 pages', async () => {
    const ids = idsOf(range(1, 100).map((n) => n * 10));
    const { response, entities, calls } = await resolve(harness, references(ids));
    expect(response.body.errors).toBeUndefined();
    expectResolved(entities, ids);
    expect(calls).toEqual({ total: 10, pages: 10, retrieved: [] });
  });

  it('stops paging as soon as every reference is found', async () => {
    const ids = idsOf(range(250, 349));
    const { response, entities, calls } = await resolve(harness, references(ids));
    expect(response.body.errors).toBeUndefined();
    expectResolved(entities, ids);
    expect(calls).toEqual({ total: 4, pages: 4, retrieved: [] });
  });

  it('retrieves the one reference the first page left, rather than paging for it', async () => {
    const ids = idsOf([...range(1, 99), 1000]);
    const { response, entities, calls } = await resolve(harness, references(ids));
    expect(response.body.errors).toBeUndefined();
    expectResolved(entities, ids);
    expect(calls).toEqual({ total: 2, pages: 1, retrieved: [webhookId(1000)] });
  });

  it('references absent from the complete listing are null, without another call', async () => {
    const present = idsOf(range(951, 1000));
    const absent = range(1, 50).map(absentId);
    const ids = present.flatMap((id, index) => [id, absent[index] as string]);
    const { response, entities, calls } = await resolve(harness, references(ids));
    expect(response.body.errors).toBeUndefined();
    expectResolved(
      entities,
      ids.map((id) => (id.startsWith('8') ? id : null)),
    );
    // The 10th page ends the listing (nextCursor null): the 50 absent ids cost nothing more.
    expect(calls).toEqual({ total: 10, pages: 10, retrieved: [] });
  });

  it('mixed valid and invalid representations: each invalid one fails alone with BAD_USER_INPUT and no call, the valid ones resolve', async () => {
    const valid = idsOf(range(901, 950));
    const invalid: unknown[] = [
      { __typename: 'Webhook', id: '../../v2/admin' },
      { __typename: 'Webhook' },
      { __typename: 'Webhook', id: 42 },
      { __typename: 'Nope', id: webhookId(1) },
      { __typename: 'Webhook', id: 'zzzzzzzzzzzzzzzzzzzzzzzz' },
    ];
    const { response, entities, calls } = await resolve(harness, [
      ...invalid,
      ...references(valid),
    ]);
    expectResolved(entities, [...invalid.map(() => null), ...valid]);
    expect(errorCodes(response)).toEqual(invalid.map(() => 'BAD_USER_INPUT'));
    const paths = (response.body.errors ?? []).map((error) => error.path);
    paths.sort((a, b) => Number(a?.[1]) - Number(b?.[1]));
    expect(paths).toEqual(invalid.map((_, index) => ['_entities', index]));
    expect(calls).toEqual({ total: 10, pages: 10, retrieved: [] });
  });
});

describe('what a caller without a valid key costs', () => {
  const ids = idsOf(range(901, 1000));

  it('no key: every reference fails with UNAUTHENTICATED, no call', async () => {
    thousand.simulator.reset();
    const response = await thousand.graphql<{ _entities: Entity[] }>(
      ENTITIES,
      { representations: references(ids) },
      { authorization: null },
    );
    expect(errorCodes(response)).toEqual(ids.map(() => 'UNAUTHENTICATED'));
    expect(thousand.simulator.countRequests()).toBe(0);
  });

  it('a key Featurebase refuses: one call, then every reference fails with UNAUTHENTICATED', async () => {
    thousand.simulator.reset();
    const response = await thousand.graphql<{ _entities: Entity[] }>(
      ENTITIES,
      { representations: references(ids) },
      { authorization: 'Bearer sk_made_up_key_for_this_test' },
    );
    expect(errorCodes(response)).toEqual(ids.map(() => 'UNAUTHENTICATED'));
    expect(thousand.simulator.requests.map((request) => request.status)).toEqual([401]);
  });
});

describe('the reported case: a workspace of 150, a batch of 50 references to webhooks 101-150', () => {
  const harness = reported;

  it('resolves all 50 with 2 list calls', async () => {
    const ids = idsOf(range(101, 150));
    const { response, entities, calls } = await resolve(harness, references(ids));
    expect(response.body.errors).toBeUndefined();
    expectResolved(entities, ids);
    expect(calls).toEqual({ total: 2, pages: 2, retrieved: [] });
  });

  it('with ids absent from the workspace too: those are null after the same 2 list calls', async () => {
    const ids = [...idsOf(range(101, 150)), absentId(1), absentId(2)];
    const { response, entities, calls } = await resolve(harness, references(ids));
    expect(response.body.errors).toBeUndefined();
    expectResolved(entities, [...ids.slice(0, 50), null, null]);
    expect(calls).toEqual({ total: 2, pages: 2, retrieved: [] });
  });
});

describe('a batch that does not fit the budget', () => {
  const harness = beyondTheBudget;
  const NOT_LOOKED_UP =
    'Not looked up: the workspace holds more webhooks than one request may page through ' +
    '(10 list pages of 100), and too many of the webhooks asked for lie beyond them to fetch ' +
    "one by one within the request's 10 Featurebase calls. The reference itself is fine: send " +
    'fewer references per request.';

  it('resolves what the pages and the retrieves reach, and fails only the rest, each with ENTITY_BATCH_TOO_LARGE', async () => {
    const onPages = idsOf([...range(1, 5), ...range(996, 1000)]);
    const beyond = idsOf(range(1101, 1120));
    // Interleaved, so that the failed ones are not simply a tail of the batch.
    const ids = beyond.flatMap((id, index) => [
      id,
      ...(index < 10 ? [onPages[index] as string] : []),
    ]);
    const { response, entities, calls } = await resolve(harness, references(ids));

    // 10 pages find the 10 on them; the operation's 10 calls retrieve the first 10 beyond.
    const retrieved = beyond.slice(0, 10);
    const failed = beyond.slice(10);
    expect(calls).toEqual({ total: 20, pages: 10, retrieved });
    expectResolved(
      entities,
      ids.map((id) => (failed.includes(id) ? null : id)),
    );
    expect(errorCodes(response)).toEqual(failed.map(() => 'ENTITY_BATCH_TOO_LARGE'));
    const paths = (response.body.errors ?? []).map((error) => error.path);
    paths.sort((a, b) => Number(a?.[1]) - Number(b?.[1]));
    expect(paths).toEqual(failed.map((id) => ['_entities', ids.indexOf(id)]));
    for (const error of response.body.errors ?? []) expect(error.message).toBe(NOT_LOOKED_UP);
    expect(response.status).toBe(200);
  });

  it('the same batch, cut in two, resolves whole', async () => {
    const beyond = idsOf(range(1101, 1120));
    for (const half of [beyond.slice(0, 10), beyond.slice(10)]) {
      const { response, entities, calls } = await resolve(harness, references(half));
      expect(response.body.errors).toBeUndefined();
      expectResolved(entities, half);
      expect(calls).toEqual({ total: 20, pages: 10, retrieved: half });
    }
  });
});

describe('ENTITY_PAGES_PER_OPERATION', () => {
  const harness = onePage;

  it('at 1 page, the reported batch resolves 10 by retrieve and fails the other 40 with ENTITY_BATCH_TOO_LARGE, not BAD_USER_INPUT', async () => {
    const ids = idsOf(range(101, 150));
    const { response, entities, calls } = await resolve(harness, references(ids));
    expect(calls).toEqual({ total: 11, pages: 1, retrieved: ids.slice(0, 10) });
    expectResolved(entities, [...ids.slice(0, 10), ...ids.slice(10).map(() => null)]);
    expect(errorCodes(response)).toEqual(ids.slice(10).map(() => 'ENTITY_BATCH_TOO_LARGE'));
    expect(response.body.errors?.[0]?.message).toContain('(1 list page of 100)');
  });
});

describe('the loader behind a batch (WebhookOperations over the client)', () => {
  const harness = thousand;
  const agent = createUpstreamAgent();
  afterAll(() => agent.close());
  const client = createFeaturebaseClient({
    baseUrl: harness.upstreamUrl,
    dispatcher: agent,
    timeoutMs: 2000,
    maxRetries: 0,
    rejectedKeyTtlMs: 0,
  });
  const operations = (pages = 10, through = client) =>
    new WebhookOperations({
      client: through,
      credentials: resolveCredentials(new Headers({ authorization: `Bearer ${API_KEY}` }), {
        apiVersion: '2026-01-01.nova',
        fallbackApiKey: undefined,
      }),
      requestId: 'test-request',
      upstreamCallBudget: 10,
      entityPageBudget: pages,
    });

  it("primes the loader with the first page's other webhooks only: later pages are let go once scanned", async () => {
    harness.simulator.reset();
    const ops = operations();
    const ids = idsOf([1, 350, 351]);
    await Promise.all(ids.map((id) => ops.getReference(id)));
    expect(calls(harness)).toEqual({ total: 4, pages: 4, retrieved: [] });

    harness.simulator.clearRequests();
    expect((await ops.get(webhookId(2)))?.name).toBe('Hook 2');
    expect(harness.simulator.countRequests()).toBe(0);
    expect((await ops.get(webhookId(349)))?.name).toBe('Hook 349');
    expect(harness.simulator.requests.map((request) => request.path)).toEqual([
      `/v2/webhooks/${webhookId(349)}`,
    ]);
  });

  it('a page that fails mid-way: what earlier pages found resolves, the rest fail with its error, no call after it', async () => {
    harness.simulator.reset();
    // The third list call is answered 500 (not retried: maxRetries 0). The fault switch matches
    // paths, not cursors, so it is armed just before that call leaves.
    let lists = 0;
    const webhooks = {
      list: (...args: Parameters<typeof client.webhooks.list>) => {
        lists += 1;
        if (lists === 3) harness.simulator.injectFault({ match: { method: 'GET' }, status: 500 });
        return client.webhooks.list(...args);
      },
      retrieve: (...args: Parameters<typeof client.webhooks.retrieve>) =>
        client.webhooks.retrieve(...args),
    } as unknown as typeof client.webhooks;
    const ops = operations(10, { ...client, webhooks });
    const found = idsOf([10, 150]);
    const lost = idsOf([450, 460]);
    const settled = await Promise.allSettled([...found, ...lost].map((id) => ops.getReference(id)));

    expect(
      settled.map((result) =>
        result.status === 'fulfilled' ? result.value?.id : describeError(result.reason).code,
      ),
    ).toEqual([...found, 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);
    expect(harness.simulator.requests.map((request) => request.status)).toEqual([200, 200, 500]);
  });
});
