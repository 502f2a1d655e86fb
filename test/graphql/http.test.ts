/**
 * The HTTP edge of the gateway: GraphQL-over-HTTP statuses, cache headers, health (GraphiQL: graphiql.test.ts).
 */

import { afterAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway.ts';

const harness = await startTestGateway();
afterAll(() => harness.close());

describe('HTTP', () => {
  it('marks every GraphQL response no-store, since any of them may carry a secret', async () => {
    const response = await harness.graphql('{ __typename }');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('answers a syntax error with 400 and GRAPHQL_PARSE_FAILED', async () => {
    const response = await harness.graphql('{ webhook(id: ');
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('answers /health with 200', async () => {
    const response = await harness.gateway.fetch('http://gateway.test/health');
    expect(response.status).toBe(200);
  });

  it('refuses batched requests', async () => {
    const response = await harness.gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
  });
});
