/**
 * The HTTP edge of the gateway: GraphQL-over-HTTP statuses, cache headers, health (GraphiQL: graphiql.test.ts).
 */

import { afterAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/graphql/gateway.ts';
import type { Readiness } from '../../src/graphql/plugins/health.ts';
import { createFeaturebaseClient, createUpstreamAgent } from '../../src/upstream/index.ts';
import { captureLogger, startTestGateway } from '../support/gateway.ts';

const harness = await startTestGateway();
const agent = createUpstreamAgent();
afterAll(() => Promise.all([harness.close(), agent.close()]));

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

  it('refuses a text over the token limit (1,000) while parsing it, without giving the limit away', async () => {
    const typenames = (count: number) => '__typename '.repeat(count);
    // 1,001 tokens: the braces and 999 names.
    const over = await harness.graphql(`{ ${typenames(999)}}`);
    expect(over.status).toBe(400);
    expect(over.body).toEqual({
      errors: [
        {
          message: 'Syntax Error: Query validation error.',
          extensions: { code: 'GRAPHQL_PARSE_FAILED' },
        },
      ],
    });
    // 1,000 tokens and a comment, which is no token: parsed, then refused by validation.
    const at = await harness.graphql(`# ${'x '.repeat(100)}\n{ ${typenames(998)}}`);
    expect(at.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('answers /health with 200', async () => {
    const response = await harness.gateway.fetch('http://gateway.test/health');
    expect(response.status).toBe(200);
  });

  it('answers /ready with 200 when ready, 503 while starting or draining, and no upstream call', async () => {
    let state: Readiness = 'starting';
    const gateway = createGateway({
      client: createFeaturebaseClient({
        baseUrl: harness.upstreamUrl,
        dispatcher: agent,
        timeoutMs: 2000,
      }),
      credentialDefaults: { apiVersion: '2026-01-01.nova', fallbackApiKey: undefined },
      logger: captureLogger().logger,
      readiness: () => state,
    });
    const calls = harness.simulator.countRequests();
    const ready = async () => {
      const response = await gateway.fetch('http://gateway.test/ready');
      return { status: response.status, body: await response.json() };
    };
    expect(await ready()).toEqual({ status: 503, body: { status: 'starting' } });
    state = 'ready';
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready' } });
    state = 'draining';
    expect(await ready()).toEqual({ status: 503, body: { status: 'draining' } });
    expect(harness.simulator.countRequests()).toBe(calls);
    // No credentials needed, and the default is ready.
    expect((await harness.gateway.fetch('http://gateway.test/ready')).status).toBe(200);
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
