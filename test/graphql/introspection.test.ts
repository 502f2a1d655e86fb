/**
 * Introspection is on by default (tooling needs it) and can be turned off for deployments that
 * only serve a router; `_service` works either way, and field suggestions never leak the schema.
 */

import { getIntrospectionQuery } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { API_KEY, startTestGateway } from '../support/gateway.ts';
import { postGraphQL, startProductionServer } from '../support/production-server.ts';

const open = await startTestGateway();
const closed = await startTestGateway({ introspection: false });
const closedServer = await startProductionServer(closed.gateway);
afterAll(async () => {
  await closedServer.close();
  await open.close();
  await closed.close();
});

const MISSPELT = '{ webhok(id: "65a0f1c2e4b0a1b2c3d4e501") { id } }';

describe('introspection on (default)', () => {
  it('answers the full standard introspection query, without a key', async () => {
    const response = await open.graphql(getIntrospectionQuery(), undefined, {
      authorization: null,
    });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.text).toContain('"name":"refreshWebhookSecret"');
  });

  it('does not suggest field names for a misspelt field', async () => {
    const response = await open.graphql(MISSPELT);
    expect(response.body.errors?.[0]?.message).toBeDefined();
    expect(response.text).not.toMatch(/Did you mean/i);
    expect(response.text).not.toContain('"webhook"');
  });
});

describe('introspection off', () => {
  it('refuses __schema and __type', async () => {
    for (const query of [
      '{ __schema { types { name } } }',
      '{ __type(name: "Webhook") { name } }',
    ]) {
      const response = await closed.graphql(query);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(response.text).not.toContain('refreshWebhookSecret');
    }
  });

  it.each([
    ['a comma before the arguments', '{ __type , (name: "Mutation") { fields { name } } }'],
    ['a comment between name and arguments', '{ __type #x\n (name: "Mutation") { name } }'],
    ['a fragment', '{ ...F } fragment F on Query { __schema { types { name } } }'],
    ['an alias', '{ t: __type(name: "Webhook") { fields { name } } }'],
    ['a text without a string literal (kept in memory)', '{ __schema { queryType { name } } }'],
  ])('refuses %s on every path of the production server, each time', async (_, query) => {
    // Twice: the first time its text is new, the second time Yoga's caches know it. Neither may
    // answer it.
    for (const round of [1, 2]) {
      const answer = await postGraphQL(
        closedServer.url,
        { query },
        { authorization: `Bearer ${API_KEY}` },
      );
      expect(answer.json.errors?.[0]?.extensions?.['code'], `round ${round}`).toBe(
        'GRAPHQL_VALIDATION_FAILED',
      );
      expect(answer.json.data, `round ${round}`).toBeUndefined();
      expect(answer.text).not.toMatch(/refreshWebhookSecret|"name":/);
    }
  });

  it('keeps _service { sdl } and __typename working, for routers', async () => {
    const response = await closed.graphql<{ _service: { sdl: string }; __typename: string }>(
      '{ __typename _service { sdl } }',
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.__typename).toBe('Query');
    expect(response.body.data?._service.sdl).toContain('refreshWebhookSecret');
  });

  it('does not suggest field names either', async () => {
    const response = await closed.graphql(MISSPELT);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.text).not.toMatch(/Did you mean/i);
  });

  it('still serves ordinary queries', async () => {
    const response = await closed.graphql('{ webhooks(first: 1) { nodes { id } } }');
    expect(response.body.errors).toBeUndefined();
  });
});
