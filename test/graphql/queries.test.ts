import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  GetWebhookDocument,
  ListWebhooksWithHealthDocument,
} from '../../schema/generated/operations.ts';
import { SAMPLE_WEBHOOKS, SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { API_KEY, errorCodes, startTestGateway } from '../support/gateway.ts';

const harness = await startTestGateway();
afterAll(() => harness.close());
beforeEach(() => harness.simulator.reset());

const [firstId, secondId] = SEED_WEBHOOK_IDS as [string, string];
const retrievals = () =>
  harness.simulator.countRequests({ method: 'GET', path: /^\/v2\/webhooks\/[^/]+$/ });
const upstreamCalls = () => harness.simulator.countRequests();

describe('Query.webhook', () => {
  it('returns every field of the upstream object, converted to the schema', async () => {
    const stored = SAMPLE_WEBHOOKS[0];
    if (!stored) throw new Error('no seed');
    const response = await harness.graphql(GetWebhookDocument, { id: stored.id });

    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.webhook).toEqual({
      id: stored.id,
      name: stored.name,
      url: stored.url,
      description: stored.description,
      topics: ['POST_CREATED', 'POST_UPDATED'],
      unrecognizedTopics: [],
      status: 'ACTIVE',
      unrecognizedStatus: null,
      version: stored.version,
      secret: stored.secret,
      requestConfig: {
        timeoutMs: stored.requestConfig.timeoutMs,
        headers: [{ name: 'X-Custom-Header', value: 'value' }],
      },
      lastStatus: stored.lastStatus,
      health: stored.health,
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
    });
    expect(upstreamCalls()).toBe(1);
  });

  it('reads null lastStatus, null description and null lastSuccessAt as null', async () => {
    const created = harness.simulator.patchWebhook(API_KEY, secondId, {
      lastStatus: null,
      health: {
        avgResponseTime: 0,
        lastResponseTime: 0,
        lastSuccessAt: null,
        errorsSinceLastSuccess: 0,
        consecutiveFailures: 0,
      },
    });
    const response = await harness.graphql(GetWebhookDocument, { id: created.id });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.webhook).toMatchObject({
      description: null,
      lastStatus: null,
      health: { lastSuccessAt: null },
    });
  });

  it('is null, without an error, when Featurebase has no such webhook', async () => {
    const response = await harness.graphql(GetWebhookDocument, { id: 'aaaaaaaaaaaaaaaaaaaaaaaa' });
    expect(response.body).toEqual({ data: { webhook: null } });
    expect(retrievals()).toBe(1);
  });

  it.each([
    ['too short', 'abc'],
    ['not hex', 'zzzzzzzzzzzzzzzzzzzzzzzz'],
    ['a path', '../../v2/admin'],
    ['a suffix', `${'a'.repeat(24)}/secret`],
    ['a query', `${'a'.repeat(24)}?x=1`],
    ['encoded dots', '%2e%2e%2f'],
    ['full-width digits', '５０７f1f77bcf86cd799439011'],
    ['empty', ''],
    // Just under the 64 KB bound on variables, so that it reaches the resolver.
    ['huge', 'a'.repeat(60_000)],
  ])('refuses an id that is %s with BAD_USER_INPUT and no upstream call', async (_, id) => {
    const response = await harness.graphql(GetWebhookDocument, { id });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0]?.message).toBe('A webhook id is 24 hexadecimal characters.');
    expect(response.text.length).toBeLessThan(1000);
    expect(upstreamCalls()).toBe(0);
  });

  it('fetches a repeated id once per operation (DataLoader)', async () => {
    const response = await harness.graphql(
      `query {
        a: webhook(id: "${firstId}") { id name }
        b: webhook(id: "${firstId}") { id secret }
        c: webhook(id: "${firstId.toUpperCase()}") { id }
      }`,
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toMatchObject({
      a: { id: firstId },
      b: { id: firstId },
      c: { id: firstId },
    });
    expect(retrievals()).toBe(1);
    expect(upstreamCalls()).toBe(1);
  });

  it('reads several different ids with one list call instead of one retrieve each', async () => {
    const response = await harness.graphql(
      `query {
        a: webhook(id: "${firstId}") { id }
        b: webhook(id: "${secondId}") { id }
        c: webhook(id: "${'f'.repeat(24)}") { id }
      }`,
    );
    expect(response.body).toEqual({ data: { a: { id: firstId }, b: { id: secondId }, c: null } });
    expect(
      harness.simulator.requests.map((request) => `${request.method} ${request.path}`),
    ).toEqual(['GET /v2/webhooks']);
    expect(harness.simulator.requests[0]?.query).toEqual({ limit: '100' });
  });

  it('does not share the memo between requests', async () => {
    await harness.graphql(GetWebhookDocument, { id: firstId });
    await harness.graphql(GetWebhookDocument, { id: firstId });
    expect(retrievals()).toBe(2);
  });
});

describe('unknown values from Featurebase', () => {
  it('keeps a topic or status this gateway does not know, as UNKNOWN plus its name', async () => {
    harness.simulator.patchWebhook(API_KEY, firstId, {
      topics: ['post.created', 'roadmap.shipped'],
      status: 'archived',
    });
    const response = await harness.graphql(
      `query ($id: ID!) { webhook(id: $id) { topics unrecognizedTopics status unrecognizedStatus } }`,
      { id: firstId },
    );
    expect(response.body).toEqual({
      data: {
        webhook: {
          topics: ['POST_CREATED', 'UNKNOWN'],
          unrecognizedTopics: ['roadmap.shipped'],
          status: 'UNKNOWN',
          unrecognizedStatus: 'archived',
        },
      },
    });
  });

  it('turns a malformed field into an error on that webhook only, without echoing the value', async () => {
    harness.simulator.patchWebhook(API_KEY, secondId, {
      createdAt: 12 as unknown as string,
      name: { $gt: 'x' } as unknown as string,
    });
    const response = await harness.graphql(
      `{ webhooks(first: 4) { edges { node { id name createdAt } } } }`,
    );

    const nodes = (
      response.body.data as { webhooks: { edges: { node: unknown }[] } }
    ).webhooks.edges.map((edge) => edge.node);
    expect(nodes).toHaveLength(4);
    expect(nodes[1]).toBeNull();
    expect(nodes.filter((node) => node !== null)).toHaveLength(3);
    expect(errorCodes(response).every((code) => code === 'UPSTREAM_UNAVAILABLE')).toBe(true);
    expect(response.body.errors?.[0]?.path).toEqual([
      'webhooks',
      'edges',
      1,
      'node',
      expect.any(String),
    ]);
    expect(response.text).not.toContain('$gt');
  });
});

describe('Query.webhooks', () => {
  const list = (variables: {
    first?: number;
    after?: string | null;
    status?: 'ACTIVE' | 'PAUSED' | 'SUSPENDED';
  }) => harness.graphql(ListWebhooksWithHealthDocument, variables);

  it('pages through every webhook with endCursor, one upstream call per page', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const response = await list({ first: 3, after });
      expect(response.body.errors).toBeUndefined();
      const connection = response.body.data?.webhooks;
      if (!connection) throw new Error('no data');
      pages += 1;
      seen.push(...connection.edges.map((edge) => edge.node?.id ?? 'null'));
      expect(connection.pageInfo.hasPreviousPage).toBe(false);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(SEED_WEBHOOK_IDS);
    expect(pages).toBe(2);
    expect(harness.simulator.countRequests({ method: 'GET', path: '/v2/webhooks' })).toBe(2);
    const limits = harness.simulator.requests.map((request) => request.query['limit']);
    expect(limits).toEqual(['3', '3']);
  });

  it('includes health in every node', async () => {
    const response = await list({ first: 10 });
    const health = response.body.data?.webhooks.edges.map((edge) => edge.node?.health);
    expect(health).toEqual(SAMPLE_WEBHOOKS.map((webhook) => webhook.health));
    expect(response.body.data?.webhooks.pageInfo.hasNextPage).toBe(false);
  });

  it('resumes after any edge cursor, not only the end of a page', async () => {
    const firstPage = await list({ first: 3 });
    const middle = firstPage.body.data?.webhooks.edges[0]?.cursor;
    if (!middle) throw new Error('no cursor');
    const resumed = await list({ first: 2, after: middle });
    expect(resumed.body.data?.webhooks.edges.map((edge) => edge.node?.id)).toEqual(
      SEED_WEBHOOK_IDS.slice(1, 3),
    );
    expect(resumed.body.data?.webhooks.pageInfo.hasNextPage).toBe(true);
    const last = await list({
      first: 5,
      after: resumed.body.data?.webhooks.pageInfo.endCursor ?? null,
    });
    expect(last.body.data?.webhooks.edges.map((edge) => edge.node?.id)).toEqual(
      SEED_WEBHOOK_IDS.slice(3),
    );
  });

  it('filters by status, and keeps the filter across pages', async () => {
    const response = await list({ first: 1, status: 'ACTIVE' });
    expect(response.body.data?.webhooks.edges.map((edge) => edge.node?.status)).toEqual(['ACTIVE']);
    const next = await list({
      first: 5,
      status: 'ACTIVE',
      after: response.body.data?.webhooks.pageInfo.endCursor ?? null,
    });
    expect(next.body.data?.webhooks.edges.map((edge) => edge.node?.id)).toEqual([secondId]);
    expect(harness.simulator.requests.map((request) => request.query['status'])).toEqual([
      'active',
      'active',
    ]);
  });

  it.each([
    ['first: 0', { first: 0 }],
    ['first: -1', { first: -1 }],
    ['first: 101', { first: 101 }],
    ['first: 1000000', { first: 1_000_000 }],
    ['a cursor it did not make', { after: 'eyJpZCI6IjEyMyJ9' }],
    ['a 10,000-character cursor', { after: 'a'.repeat(10_000) }],
    [
      'a cursor with a bad skip',
      { after: Buffer.from(JSON.stringify([null, 500])).toString('base64url') },
    ],
  ])('refuses %s with BAD_USER_INPUT and no upstream call', async (_, variables) => {
    const response = await list(variables);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.data).toBeNull();
    expect(upstreamCalls()).toBe(0);
  });

  it('refuses UNKNOWN as a status filter', async () => {
    const response = await harness.graphql('{ webhooks(status: UNKNOWN) { edges { cursor } } }');
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(upstreamCalls()).toBe(0);
  });

  it('refuses a first that is not an Int during validation', async () => {
    const response = await harness.graphql('{ webhooks(first: 1e309) { edges { cursor } } }');
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(upstreamCalls()).toBe(0);
  });
});
