/**
 * design.md 1.2: only the caller's key and version go upstream; no key or a bad version is
 * refused before any call; introspection needs no key.
 */

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { GetWebhookDocument } from '../../schema/generated/operations.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { API_KEY, errorCodes, startTestGateway } from '../support/gateway.ts';

const harness = await startTestGateway();
afterAll(() => harness.close());
beforeEach(() => harness.simulator.reset());

const [id] = SEED_WEBHOOK_IDS as [string];
const upstreamCalls = () => harness.simulator.countRequests();
const read = (headers: Record<string, string | null>) =>
  harness.graphql(GetWebhookDocument, { id }, headers);

describe('what is forwarded', () => {
  it('sends the caller key, the version and a request id, and nothing of the incoming request', async () => {
    const response = await read({
      'featurebase-version': '2026-08-19.orbit',
      cookie: 'session=abc',
      'x-forwarded-for': '127.0.0.1',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      'x-request-id': 'trace-123',
      'x-custom': 'nope',
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.headers.get('x-request-id')).toBe('trace-123');
    const [request] = harness.simulator.requests;
    expect(request?.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      'featurebase-version': '2026-08-19.orbit',
      'x-request-id': 'trace-123',
    });
    expect(Object.keys(request?.headers ?? {}).sort()).toEqual(
      [
        'accept',
        'authorization',
        'connection',
        'featurebase-version',
        'host',
        'user-agent',
        'x-request-id',
      ].sort(),
    );
    expect(request?.headers['host']).toBe(new URL(harness.upstreamUrl).host);
  });

  it('sends the configured default version when the caller sends none', async () => {
    await read({});
    expect(harness.simulator.requests[0]?.headers['featurebase-version']).toBe('2026-01-01.nova');
  });

  it('makes a new request id when the incoming one is unsafe', async () => {
    const response = await read({ 'x-request-id': 'a b\tc' });
    const sent = harness.simulator.requests[0]?.headers['x-request-id'];
    expect(sent).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-request-id')).toBe(sent);
  });
});

describe('credentials', () => {
  it.each([
    ['no Authorization header', null],
    ['a Basic scheme', 'Basic Zm9vOmJhcg=='],
    ['an empty bearer', 'Bearer '],
    ['two bearers in one header', 'Bearer a, Bearer b'],
    ['a 10 KB token', `Bearer ${'k'.repeat(10_240)}`],
    ['a token with spaces', 'Bearer sk_a b'],
  ])('answers UNAUTHENTICATED for %s, with no upstream call', async (_, authorization) => {
    const response = await read({ authorization });
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.body.errors?.[0]?.message).toMatch(/Bearer/);
    if (authorization) expect(response.text).not.toContain(authorization.slice(7, 40) || '\u0000');
    expect(upstreamCalls()).toBe(0);
  });

  it.each([
    ['the Clover version', '2025-12-12.clover'],
    ['garbage', 'garbage'],
    ['an impossible date', '2026-02-30.nova'],
    ['the first day with another codename', '2026-01-01.clover'],
    ['an upper-case codename', '2026-08-19.ORBIT'],
  ])(
    'answers UNSUPPORTED_API_VERSION for %s, naming the minimum, with no upstream call',
    async (_, version) => {
      const response = await read({ 'featurebase-version': version });
      expect(errorCodes(response)).toEqual(['UNSUPPORTED_API_VERSION']);
      expect(response.body.errors?.[0]?.message).toContain('2026-01-01.nova');
      expect(upstreamCalls()).toBe(0);
    },
  );

  it('answers the introspection query and __typename without a key', async () => {
    const response = await harness.graphql(
      '{ __typename __schema { queryType { name } mutationType { name } } }',
      undefined,
      { authorization: null },
    );
    expect(response.body).toEqual({
      data: {
        __typename: 'Query',
        __schema: { queryType: { name: 'Query' }, mutationType: { name: 'Mutation' } },
      },
    });
    expect(upstreamCalls()).toBe(0);
  });
});

describe('FEATUREBASE_API_KEY fallback', () => {
  it('is used only when a request has no Authorization at all', async () => {
    const withFallback = await startTestGateway({ fallbackApiKey: API_KEY });
    try {
      const anonymous = await withFallback.graphql(
        GetWebhookDocument,
        { id },
        { authorization: null },
      );
      expect(anonymous.body.errors).toBeUndefined();
      expect(withFallback.simulator.requests[0]?.headers['authorization']).toBe(
        `Bearer ${API_KEY}`,
      );

      const badHeader = await withFallback.graphql(
        GetWebhookDocument,
        { id },
        { authorization: 'Basic x' },
      );
      expect(errorCodes(badHeader)).toEqual(['UNAUTHENTICATED']);
      expect(withFallback.simulator.countRequests()).toBe(1);
    } finally {
      await withFallback.close();
    }
  });
});
