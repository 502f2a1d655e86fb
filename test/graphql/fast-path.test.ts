/**
 * The fast path (src/http/fast-path.ts: Yoga's handler behind a light request view) must answer as
 * Yoga does. Two real servers over the same gateway and simulator: one with the fast path in
 * front, as main.ts builds it, one with Yoga alone. Every request goes to both; status, content
 * type, caching and body must match, and the fast path must really have served every JSON
 * request, refusals included, the first time and again once Yoga's caches know the text.
 */

import { request as httpRequest } from 'node:http';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServedBy } from '../../src/http/fast-path.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { API_KEY, startTestGateway } from '../support/gateway.ts';
import { startProductionServer, startYogaOnlyServer } from '../support/production-server.ts';

const harness = await startTestGateway();
const withFastPath = await startProductionServer(harness.gateway);
const { served } = withFastPath;
const yogaOnly = await startYogaOnlyServer(harness.gateway);
afterAll(async () => {
  await withFastPath.close();
  await yogaOnly.close();
  await harness.close();
});
beforeEach(() => {
  harness.simulator.reset();
  served.length = 0;
});

const [id] = SEED_WEBHOOK_IDS as [string];
const FULL = `query Full($id: ID!) { webhook(id: $id) {
  id name url description topics unrecognizedTopics status unrecognizedStatus secret version
  requestConfig { timeoutMs headers { name value } } lastStatus { code message timestamp }
  health { avgResponseTime lastResponseTime lastSuccessAt errorsSinceLastSuccess consecutiveFailures }
  createdAt updatedAt } }`;
const JSON_HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };

interface Answer {
  status: number;
  contentType: string | null;
  cacheControl: string | null;
  hasRequestId: boolean;
  body: unknown;
}

async function send(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: compared as text
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
    hasRequestId: response.headers.has('x-request-id'),
    body,
  };
}

/**
 * Sends the same request to both servers and expects the same answer, twice (the second time
 * Yoga's parse and validation caches know the text); returns it.
 */
async function same(init: RequestInit, path: ServedBy = 'direct'): Promise<Answer> {
  const fast = await send(withFastPath.url, init);
  expect(served).toEqual([path]);
  const yoga = await send(yogaOnly.url, init);
  expect(fast).toEqual(yoga);
  served.length = 0;
  const again = await send(withFastPath.url, init);
  expect(served).toEqual([path]);
  expect(again).toEqual(await send(yogaOnly.url, init));
  return again;
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { ...JSON_HEADERS, ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('the fast path answers as Yoga does', () => {
  it.each([
    ['every field of a webhook', { query: FULL, variables: { id } }],
    [
      'a page of webhooks',
      {
        query:
          '{ webhooks(first: 3) { edges { cursor node { id health { consecutiveFailures } } } pageInfo { hasNextPage endCursor } } }',
      },
    ],
    ['a webhook that does not exist', { query: FULL, variables: { id: 'a'.repeat(24) } }],
    ['an id that is not an id (BAD_USER_INPUT)', { query: FULL, variables: { id: '../x' } }],
    [
      'one operation of several, by name',
      { query: `query A { __typename } ${FULL}`, operationName: 'Full', variables: { id } },
    ],
    ['extensions', { query: '{ __typename }', extensions: { persistedQuery: null } }],
    ['introspection', { query: '{ __schema { queryType { name } } }' }],
    [
      '_entities',
      {
        query:
          'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Webhook { id name } } }',
        variables: { r: [{ __typename: 'Webhook', id }, { __typename: 'Nope' }] },
      },
    ],
  ])('%s (served by the fast path)', async (_, body) => {
    const answer = await same(post(body));
    expect(answer.status).toBe(200);
    expect(answer.cacheControl).toBe('no-store');
    expect(answer.hasRequestId).toBe(true);
  });

  it.each<[string, Record<string, string>]>([
    ['an unusable Authorization (UNAUTHENTICATED)', { authorization: 'Basic x' }],
    ['a version that is too old', { 'featurebase-version': '2025-12-12.clover' }],
  ])('%s (served by the fast path)', async (_, headers) => {
    const answer = await same(post({ query: FULL, variables: { id } }, headers));
    expect(JSON.stringify(answer.body)).toMatch(/UNAUTHENTICATED|UNSUPPORTED_API_VERSION/);
  });

  it.each([
    ['no Accept', undefined],
    ['*/*', '*/*'],
    ['application/json', 'application/json'],
    ['application/graphql-response+json', 'application/graphql-response+json'],
    ['both, response type first', 'application/graphql-response+json, application/json;q=0.9'],
    ['both, JSON first', 'application/json, application/graphql-response+json'],
  ])('negotiates the same content type for Accept: %s', async (_, accept) => {
    const answer = await same(post({ query: '{ __typename }' }, accept ? { accept } : {}));
    expect(answer.contentType).toMatch(/^application\/(graphql-response\+)?json; charset=utf-8$/);
  });

  it.each([
    ['a syntax error', { query: '{ webhook(id: ' }],
    ['a validation error', { query: '{ webhok { id } }' }],
    ['a variable coercion error', { query: FULL, variables: { id: { $ne: null } } }],
    [
      'too many aliases',
      {
        query: `{ ${Array.from({ length: 16 }, (_, n) => `a${n}: webhooks { pageInfo { hasNextPage } }`).join(' ')} }`,
      },
    ],
    ['a subscription', { query: 'subscription { x }' }],
    ['a query longer than the limit', { query: `{ __typename ${' '.repeat(20_001)}}` }],
  ])('%s (refused on the direct path as Yoga refuses it)', async (_, body) => {
    const answer = await same(post(body));
    expect(answer.body).toMatchObject({ errors: [expect.anything()] });
    expect(answer.body).not.toHaveProperty('data.webhook');
  });

  it.each([
    ['an unknown parameter', { query: '{ __typename }', foo: 1 }],
    ['variables that are not an object', { query: '{ __typename }', variables: 'x' }],
    ['a batch (off)', [{ query: '{ __typename }' }, { query: '{ __typename }' }]],
    ['malformed JSON', '{"query":'],
    ['JSON that is not an object', '42'],
  ])('%s (refused by Yoga behind the light view, as Yoga refuses it)', async (_, body) => {
    const answer = await same(post(body), 'fast');
    expect(answer.body).toMatchObject({ errors: [expect.anything()] });
  });

  it.each([
    [
      'a text/plain POST (CSRF)',
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '{"query":"{ __typename }"}',
      },
    ],
    ['a GET', { method: 'GET', headers: { accept: 'application/json' } }],
  ])('%s (not JSON: never served by the fast path)', async (_, init) => {
    const url = (base: string) => (init.method === 'GET' ? `${base}?query=%7B__typename%7D` : base);
    const fast = await send(url(withFastPath.url), init);
    expect(served).toEqual(['yoga']);
    const yoga = await send(url(yogaOnly.url), init);
    expect(fast).toEqual(yoga);
  });

  it('rotates a secret once and answers with the secret Featurebase holds', async () => {
    const answer = await send(
      withFastPath.url,
      post({
        query: 'mutation ($id: ID!) { refreshWebhookSecret(id: $id) { id secret } }',
        variables: { id },
      }),
    );
    expect(served).toEqual(['direct']);
    expect(answer.status).toBe(200);
    const secret = (answer.body as { data: { refreshWebhookSecret: { secret: string } } }).data
      .refreshWebhookSecret.secret;
    expect(secret).toBe(harness.simulator.peekWebhook(API_KEY, id)?.secret);
    expect(harness.simulator.countRequests({ method: 'POST' })).toBe(1);
  });

  it('echoes a safe X-Request-Id and forwards it upstream', async () => {
    const response = await fetch(
      withFastPath.url,
      post({ query: FULL, variables: { id } }, { 'x-request-id': 'trace-fast-1' }),
    );
    await response.text();
    expect(served).toEqual(['direct']);
    expect(response.headers.get('x-request-id')).toBe('trace-fast-1');
    expect(harness.simulator.requests[0]?.headers['x-request-id']).toBe('trace-fast-1');
  });

  it('refuses a known text whose variables do not coerce as Yoga does', async () => {
    await same(post({ query: FULL, variables: { id } }));
    served.length = 0;
    const answer = await same(post({ query: FULL, variables: { id: 42.5 } }));
    expect(answer.status).toBe(400);
  });

  it.each([
    ['no CORS origin allowed', 'https://evil.example'],
    ['a preflight-less simple origin', 'http://localhost:3000'],
  ])('answers a browser request with an Origin as Yoga does (%s)', async (_, origin) => {
    const fast = await fetch(withFastPath.url, post({ query: '{ __typename }' }, { origin }));
    const yoga = await fetch(yogaOnly.url, post({ query: '{ __typename }' }, { origin }));
    expect(served).toEqual(['fast']);
    expect(fast.status).toBe(yoga.status);
    expect(await fast.text()).toBe(await yoga.text());
    const corsHeaders = (response: Response) =>
      [...response.headers].filter(
        ([name]) => name.startsWith('access-control-') || name === 'vary',
      );
    expect(corsHeaders(fast)).toEqual(corsHeaders(yoga));
  });

  it('masks an upstream failure on a known text as Yoga does', async () => {
    await same(post({ query: FULL, variables: { id } }));
    served.length = 0;
    // A refusal (never retried) whose body says more than Featurebase documents.
    harness.simulator.injectFault({ status: 403, body: { secret: 'whsec_leak' }, times: 2 });
    const logged = harness.logs().length;
    const answer = await send(withFastPath.url, post({ query: FULL, variables: { id } }));
    expect(served).toEqual(['direct']);
    // Logged as Yoga logs what it masks: the public code, never the upstream body.
    const newLines = harness.logs().slice(logged);
    expect(newLines).toMatch(/"msg":"operation failed"/);
    expect(newLines).not.toContain('whsec_leak');
    const yoga = await send(yogaOnly.url, post({ query: FULL, variables: { id } }));
    expect(answer).toEqual(yoga);
    expect(JSON.stringify(answer.body)).not.toContain('whsec_leak');
    expect(JSON.stringify(answer.body)).toMatch(/"code":"[A-Z_]+"/);
    expect(answer.body).toMatchObject({ data: { webhook: null } });
  });

  it('serves a text with a string literal as Yoga does, each time', async () => {
    const init = post({ query: `{ webhook(id: "${id}") { id name } }` });
    for (const _ of [1, 2]) {
      served.length = 0;
      const fast = await send(withFastPath.url, init);
      expect(served).toEqual(['direct']);
      expect(fast).toEqual(await send(yogaOnly.url, init));
    }
  });

  it('runs a known text under each operation name it has, and refuses others', async () => {
    const query = `query A { webhooks(first: 1) { pageInfo { hasNextPage } } } ${FULL}`;
    await same(post({ query, operationName: 'Full', variables: { id } }));
    served.length = 0;
    await same(post({ query, operationName: 'A' }));
    served.length = 0;
    const unknown = await same(post({ query, operationName: 'Nope' }));
    expect(unknown.status).toBe(400);
  });

  it.each([
    ['a text seen for the first time', 'query First($id: ID!) { webhook(id: $id) { id name } }'],
    ['a text Yoga has cached', FULL],
  ])('stops the upstream call when the client goes away (%s)', async (_, query) => {
    // Sent first, so the second case runs on a cached text.
    await same(post({ query, variables: { id } }));
    harness.simulator.injectFault({ match: { method: 'GET' }, delayMs: UPSTREAM_DELAY_MS });
    const logged = harness.logs().length;
    const callsBefore = harness.simulator.countRequests();
    const client = httpRequest(withFastPath.url, { method: 'POST', headers: JSON_HEADERS });
    client.on('error', () => {});
    client.end(JSON.stringify({ query, variables: { id } }));
    // Gone while the call is at the (slow) upstream.
    await waitFor(() => (harness.simulator.countRequests() > callsBefore ? true : undefined));
    client.destroy();

    const attempt = await waitFor(() =>
      harness
        .logs()
        .slice(logged)
        .split('\n')
        .filter((line) => line.includes('"upstream attempt"'))
        .map((line) => JSON.parse(line) as { upstream: { error?: string; durationMs: number } })
        .find((entry) => entry.upstream.error !== undefined),
    );
    expect(attempt.upstream.error).toMatch(/Abort/);
    // A client leaving is not a fault of this service: logged at info, never at error.
    const gone = await waitFor(() =>
      harness
        .logs()
        .slice(logged)
        .split('\n')
        .find((line) => line.includes('CLIENT_CLOSED_REQUEST')),
    );
    expect(JSON.parse(gone)).toMatchObject({ level: 'info', msg: 'operation failed' });
    expect(harness.logs().slice(logged)).not.toContain('"level":"error"');
    // Stopped when the client left, not when the answer (3 s) or the attempt timeout (2 s) came.
    expect(attempt.upstream.durationMs).toBeLessThan(2000 / 2);
  });
});

/** The upstream answer's delay in the tests of a client that goes away. */
const UPSTREAM_DELAY_MS = 3000;

async function waitFor<T>(find: () => T | undefined, timeoutMs = 2000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (performance.now() > deadline) throw new Error('not logged in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the access log', () => {
  /** The access log line of the request that got this `x-request-id`. */
  function accessLine(requestId: string | null): Record<string, unknown> | undefined {
    return harness
      .logs()
      .split('\n')
      .filter((line) => line.includes('"msg":"request"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line['requestId'] === requestId);
  }

  async function loggedName(url: string, body: unknown): Promise<unknown> {
    const response = await fetch(url, post(body));
    await response.text();
    const line = accessLine(response.headers.get('x-request-id'));
    expect(line).toBeDefined();
    return line?.['operationName'];
  }

  it('names the operation from the document when the client sends no operationName, on every path', async () => {
    // A text no other test sent, so its first time goes through Yoga's pipeline.
    const body = { query: `${FULL} # access log`, variables: { id } };
    expect(await loggedName(withFastPath.url, body)).toBe('Full');
    expect(await loggedName(withFastPath.url, body)).toBe('Full');
    expect(served).toEqual(['direct', 'direct']);
    expect(await loggedName(yogaOnly.url, body)).toBe('Full');
    // yoga.fetch, as tests and embedders call it.
    const viaFetch = await harness.graphql(FULL, { id });
    expect(accessLine(viaFetch.headers.get('x-request-id'))?.['operationName']).toBe('Full');
  });

  it('keeps the name the client sent, and names no anonymous operation', async () => {
    const several = {
      query: `query A { __typename } ${FULL}`,
      operationName: 'Full',
      variables: { id },
    };
    expect(await loggedName(withFastPath.url, several)).toBe('Full');
    expect(await loggedName(withFastPath.url, { query: '{ __typename }' })).toBeUndefined();
    expect(await loggedName(yogaOnly.url, { query: 'query { __typename }' })).toBeUndefined();
  });
});
