/**
 * What reaches a client (and the logs, and Featurebase) of values the gateway did not make:
 * the caller's `X-Request-Id`, Featurebase's error `type`/`code`/`param` and `Retry-After`, and
 * the caller's own variable and literal values in GraphQL errors.
 */

import { type ExecutionResult, GraphQLError } from 'graphql';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { GetWebhookDocument } from '../../schema/generated/operations.ts';
import { maskError, scrubLeakyErrors } from '../../src/graphql/errors.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import {
  CircuitOpenError,
  RateLimitError,
  RateLimitGateError,
  UpstreamOverloadedError,
} from '../../src/upstream/errors.ts';
import { API_KEY, startTestGateway } from '../support/gateway.ts';
import { postGraphQL, startProductionServer } from '../support/production-server.ts';

/** A second key of the demo workspace, for the test that closes a key's rate-limit gate. */
const LIMITED_KEY = 'sk_hygiene_rate_limited';
const harness = await startTestGateway({
  simulator: {
    apiKeys: [
      { key: API_KEY, workspace: 'demo' },
      { key: LIMITED_KEY, workspace: 'demo' },
    ],
  },
});
const server = await startProductionServer(harness.gateway);
afterAll(async () => {
  await server.close();
  await harness.close();
});
beforeEach(() => harness.simulator.reset());

const [id] = SEED_WEBHOOK_IDS as [string];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('X-Request-Id', () => {
  it.each([
    ['a UUID', '3f2504e0-4f89-41d3-9a63-83e9e3bd0c47'],
    ['a ULID', '01ARZ3NDEKTSV4RRFFQ69G5FAV'],
    ['a W3C trace id', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['a short id', 'req-123'],
    ['a dotted id with a colon', 'checkout.v2:42'],
  ])('keeps %s: logged, sent upstream and echoed', async (_, requestId) => {
    const response = await harness.graphql(
      GetWebhookDocument,
      { id },
      { 'x-request-id': requestId },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.headers.get('x-request-id')).toBe(requestId);
    expect(harness.simulator.requests[0]?.headers['x-request-id']).toBe(requestId);
    expect(harness.logs()).toContain(`"requestId":"${requestId}"`);
  });

  it.each([
    ['a Featurebase key', 'sk_live_abc123def456'],
    ['a webhook secret', 'whsec_Zx81kQ'],
    ['a publishable key', 'pk_test_123'],
    ['a restricted key', 'rk_live_123'],
    ['a key behind a prefix', 'req-sk_live_abc123'],
    ['a random token', 'aB3dE5fG7hJ9kL1mN3pQ5rS7'],
    ['a line break', 'a\u000bb'],
    ['a space', 'a b'],
    ['129 characters', 'r'.repeat(129)],
  ])(
    'refuses %s: a fresh UUID instead, and the value is not logged, sent or echoed',
    async (_, requestId) => {
      const response = await harness.graphql(
        GetWebhookDocument,
        { id },
        { 'x-request-id': requestId },
      );
      expect(response.body.errors).toBeUndefined();
      const used = response.headers.get('x-request-id');
      expect(used).toMatch(UUID);
      const [sent] = harness.simulator.requests;
      expect(sent?.headers['x-request-id']).toBe(used);
      expect(JSON.stringify(sent?.headers)).not.toContain(requestId);
      expect(response.text).not.toContain(requestId);
      expect(harness.logs()).not.toContain(requestId);
    },
  );
});

describe('X-Request-Id over the production server', () => {
  it('is refused the same way on the direct path, its text new and then cached', async () => {
    const refused = 'sk_live_SENTINEL_REQUEST_ID_42';
    server.served.length = 0;
    for (let round = 0; round < 2; round++) {
      harness.simulator.clearRequests();
      const response = await fetch(server.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${API_KEY}`,
          'x-request-id': refused,
        },
        body: JSON.stringify({
          query: 'query Get($id: ID!) { webhook(id: $id) { id } }',
          variables: { id },
        }),
      });
      await response.text();
      const used = response.headers.get('x-request-id');
      expect(used).toMatch(UUID);
      expect(harness.simulator.requests[0]?.headers['x-request-id']).toBe(used);
    }
    expect(server.served).toEqual(['direct', 'direct']);
    expect(harness.logs()).not.toContain(refused);
  });
});

describe('extensions.upstream', () => {
  const rotate = () => harness.graphql(`mutation { refreshWebhookSecret(id: "${id}") { id } }`);
  const refusal = (fields: Record<string, string>) => ({
    status: 400,
    body: { error: { message: 'Refused', status: 400, ...fields } },
  });

  it('passes on documented types, snake_case codes and field paths', async () => {
    for (const [type, code, param] of [
      ['invalid_request_error', 'parameter_invalid', 'requestConfig.headers[0].name'],
      ['invalid_request_error', 'webhook_limit_reached', 'requestConfig.timeoutMs'],
      ['authorization_error', 'resource_not_found', 'name'],
      ['api_error', 'internal_error', 'Featurebase-Version'],
    ] as const) {
      harness.simulator.injectFault(refusal({ type, code, param }));
      const response = await rotate();
      expect(response.body.errors?.[0]?.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        upstream: { status: 400, type, code, param },
      });
    }
  });

  it.each([
    ['an undocumented type', { type: 'teapot_error' }],
    ['a type with markup', { type: '<img src=x onerror=alert(1)>' }],
    ['a key as the type', { type: 'sk_live_SENTINEL_type_0123' }],
    ['a key as the code', { code: 'sk_live_sentinel_code_0123' }],
    ['a webhook secret as the code', { code: 'whsec_sentinel_code' }],
    ['a code that is not snake_case', { code: 'Parameter Invalid!' }],
    ['a camelCase code', { code: 'parameterInvalid' }],
    ['a code over 64 characters', { code: `code_${'x'.repeat(60)}` }],
    ['a key as the param', { param: 'sk_live_SENTINEL_param_0123' }],
    ['a random token as the param', { param: 'aB3dE5fG7hJ9kL1mN3pQ5rS7' }],
    ['a param that is not a field path', { param: 'name; DROP TABLE' }],
    ['a param with a line break', { param: 'name\r\nX-Evil: 1' }],
    ['a param over 64 characters', { param: `p${'x'.repeat(64)}` }],
  ])('leaves out %s, keeping the status and the rest', async (_, fields) => {
    const documented = {
      type: 'invalid_request_error',
      code: 'parameter_invalid',
      param: 'url',
    };
    harness.simulator.injectFault(refusal({ ...documented, ...fields }));
    const response = await rotate();
    const [key, value] = Object.entries(fields)[0] as [keyof typeof documented, string];
    const expected: Record<string, unknown> = { status: 400, ...documented };
    delete expected[key];
    expect(response.body.errors?.[0]?.extensions?.['upstream']).toEqual(expected);
    expect(response.text).not.toContain(JSON.stringify(value).slice(1, -1));
  });
});

describe("Featurebase's message", () => {
  it('is passed on without anything secret-shaped in it', async () => {
    harness.simulator.injectFault({
      status: 400,
      body: {
        error: {
          type: 'invalid_request_error',
          code: 'parameter_invalid',
          message: 'Bad key pk_live_42 or token aB3dE5fG7hJ9kL1mN3pQ5rS7 (Bearer abc.def)',
          status: 400,
        },
      },
    });
    const response = await harness.graphql(`mutation { refreshWebhookSecret(id: "${id}") { id } }`);
    expect(response.body.errors?.[0]?.message).toBe(
      'Featurebase refused the request: Bad key [redacted] or token [redacted] (Bearer [redacted])',
    );
  });
});

describe('retryAfter', () => {
  it('is at most an hour, however long Featurebase asks to wait', async () => {
    harness.simulator.injectFault({
      status: 429,
      headers: { 'retry-after': '99999999999' },
      body: {
        error: {
          type: 'rate_limit_error',
          code: 'rate_limit_exceeded',
          message: 'Slow down',
          status: 429,
        },
      },
    });
    const limited = { authorization: `Bearer ${LIMITED_KEY}` };
    const first = await harness.graphql(GetWebhookDocument, { id }, limited);
    expect(first.body.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfter: 3600,
    });
    expect(first.text).not.toContain('99999999999');
    // The key's gate is now closed: refused here, still with a sane wait.
    const again = await harness.graphql(GetWebhookDocument, { id }, limited);
    expect(again.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(again.body.errors?.[0]?.extensions?.['retryAfter']).toBeLessThanOrEqual(3600);
    expect(harness.simulator.countRequests()).toBe(1);
  });

  it.each([
    ['a 429 answer', new RateLimitError(429, {}, 99_999_999_999)],
    ['the rate-limit gate', new RateLimitGateError(7200)],
    ['an open breaker', new CircuitOpenError(10_000_000)],
    ['a full bulkhead', new UpstreamOverloadedError('Too many calls.', 86_400)],
  ])('is clamped to 3600 seconds for %s', (_, error) => {
    expect(maskError(error).extensions['retryAfter']).toBe(3600);
  });

  it('keeps a short wait as it is', () => {
    expect(maskError(new RateLimitError(429, {}, 30)).extensions['retryAfter']).toBe(30);
  });
});

describe('caller values in error messages', () => {
  /** Shaped like a live key: passed where a value goes, it must never come back. */
  const KEY = 'sk_live_SENTINEL_VALUE_0123456789';
  /** A delivery header value: not secret-shaped, so only the value rules keep it out. */
  const HEADER_VALUE = 'ops-team-SENTINEL-header-value';
  const SENTINELS = [KEY, HEADER_VALUE, '123456789012', 'SENTINEL'];

  const GET = 'query Get($id: ID!) { webhook(id: $id) { id } }';
  const CREATE =
    'mutation Create($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }';
  const PAGE = 'query Page($first: Int) { webhooks(first: $first) { nodes { id } } }';
  const input = (extra: Record<string, unknown>) => ({
    name: 'Hygiene',
    url: 'https://hooks.example.com/hygiene',
    topics: ['POST_CREATED'],
    ...extra,
  });

  const variableCases: [string, string, Record<string, unknown>, string][] = [
    [
      'an object for an ID',
      GET,
      { id: { $ne: KEY } },
      'Variable "$id" got an invalid value; ID cannot represent this value (a string or an integer).',
    ],
    [
      'an object for a header value',
      CREATE,
      {
        input: input({
          requestConfig: { headers: [{ name: 'X-Team', value: { v: HEADER_VALUE } }] },
        }),
      },
      'Variable "$input" got an invalid value at "input.requestConfig.headers[0].value"; String cannot represent a non-string value.',
    ],
    [
      'a key for a topic',
      CREATE,
      { input: input({ topics: [KEY] }) },
      'Variable "$input" got an invalid value at "input.topics[0]"; The value does not exist in "WebhookTopic" enum.',
    ],
    [
      'a key as an unknown field name',
      CREATE,
      { input: input({ requestConfig: { [KEY]: HEADER_VALUE } }) },
      'Variable "$input" got an invalid value at "input.requestConfig"; A field is not defined by type "WebhookRequestConfigInput".',
    ],
    [
      'an unknown field holding a header value',
      CREATE,
      { input: input({ requestConfig: { timeout: HEADER_VALUE } }) },
      'Variable "$input" got an invalid value at "input.requestConfig"; Field "timeout" is not defined by type "WebhookRequestConfigInput".',
    ],
    [
      'a missing required field',
      CREATE,
      { input: { name: HEADER_VALUE, topics: ['POST_CREATED'] } },
      'Variable "$input" got an invalid value; Field "url" of required type "String!" was not provided.',
    ],
    [
      'a null header value',
      CREATE,
      { input: input({ requestConfig: { headers: [{ name: HEADER_VALUE, value: null }] } }) },
      'Variable "$input" got an invalid value at "input.requestConfig.headers[0].value"; Expected non-nullable type "String!" not to be null.',
    ],
    [
      'a key for an input object',
      CREATE,
      { input: KEY },
      'Variable "$input" got an invalid value; Expected type "CreateWebhookInput" to be an object.',
    ],
    [
      'a key for an Int',
      PAGE,
      { first: KEY },
      'Variable "$first" got an invalid value; Int cannot represent a non-integer value.',
    ],
    [
      'a huge number for an Int',
      PAGE,
      { first: 123456789012 },
      'Variable "$first" got an invalid value; Int cannot represent a value outside the 32-bit signed range.',
    ],
  ];

  const literalCases: [string, string, string][] = [
    [
      'a huge Int',
      'mutation { createWebhook(input: { name: "n", url: "https://hooks.example.com/x", topics: [POST_CREATED], requestConfig: { timeoutMs: 123456789012 } }) { id } }',
      'Int cannot represent a value outside the 32-bit signed range.',
    ],
    [
      'a key for an Int',
      `{ webhooks(first: "${KEY}") { nodes { id } } }`,
      'Int cannot represent a non-integer value.',
    ],
    [
      'a key for an enum',
      `{ webhooks(status: ${KEY}) { nodes { id } } }`,
      'The value does not exist in "WebhookStatus" enum.',
    ],
    [
      'an object for an ID',
      `{ webhook(id: { token: "${KEY}" }) { id } }`,
      'ID cannot represent a non-string and non-integer value.',
    ],
    [
      'a key for an input object',
      `mutation { createWebhook(input: { name: "n", url: "https://hooks.example.com/x", topics: [POST_CREATED], requestConfig: "${KEY}" }) { id } }`,
      'Expected a value of type "WebhookRequestConfigInput" here.',
    ],
    [
      'a key as a field name',
      `mutation { createWebhook(input: { name: "n", url: "https://hooks.example.com/x", topics: [POST_CREATED], requestConfig: { ${KEY}: 1 } }) { id } }`,
      'A field is not defined by type "WebhookRequestConfigInput".',
    ],
  ];

  const expectClean = (text: string) => {
    for (const sentinel of SENTINELS) expect(text).not.toContain(sentinel);
  };

  it.each(variableCases)(
    'a variable with %s: its value is not echoed',
    async (_, query, variables, message) => {
      const response = await harness.graphql(query, variables);
      expect(response.body.errors?.map((error) => error.message)).toEqual([message]);
      expectClean(response.text);
    },
  );

  it.each(literalCases)('a literal with %s: its value is not echoed', async (_, query, message) => {
    const response = await harness.graphql(query);
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((error) => error.message)).toEqual([message]);
    expectClean(response.text);
  });

  it.each([
    [`{ webhook(id: "x" "${HEADER_VALUE}") { id } }`, 'Syntax Error: Expected Name, found String.'],
    [`{ webhook(id: "x" 123456789012) { id } }`, 'Syntax Error: Expected Name, found Int.'],
    [`query "${KEY}" { __typename }`, 'Syntax Error: Expected "{", found String.'],
  ])('a literal the parser did not expect: not echoed (%s)', async (query, message) => {
    const response = await harness.graphql(query);
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((error) => error.message)).toEqual([message]);
    expectClean(response.text);
  });

  it('an argument literal that does not coerce at execution: not echoed', async () => {
    const response = await harness.graphql(
      `mutation Create($name: String = "x") { createWebhook(input: { name: $name, url: "https://hooks.example.com/${HEADER_VALUE}", topics: [POST_CREATED] }) { id } }`,
      { name: null },
    );
    expect(response.body.errors?.map((error) => error.message)).toEqual([
      'Argument "input" has an invalid value.',
    ]);
    expectClean(response.text);
  });

  it('a cached validation error is cleaned the same way every time', async () => {
    // No string literal: Yoga keeps its validation errors between requests.
    const query = 'mutation { deleteWebhook(id: 123456789012.5) { id } }';
    const answers = [];
    for (let round = 0; round < 3; round++) answers.push((await harness.graphql(query)).text);
    expect(new Set(answers).size).toBe(1);
    expect(JSON.parse(answers[0] ?? '').errors[0].message).toBe(
      'ID cannot represent a non-string and non-integer value.',
    );
    expectClean(answers[0] ?? '');
  });

  it('over the production server: the fast path hands refused variables to Yoga, which cleans them', async () => {
    const headers = { authorization: `Bearer ${API_KEY}` };
    for (const [, query, variables, message] of variableCases) {
      for (let round = 0; round < 2; round++) {
        const answer = await postGraphQL(server.url, { query, variables }, headers);
        expect(answer.json.errors?.map((error) => error.message)).toEqual([message]);
        expectClean(answer.text);
      }
    }
    for (const [, query, message] of literalCases) {
      const answer = await postGraphQL(server.url, { query }, headers);
      expect(answer.json.errors?.map((error) => error.message)).toEqual([message]);
      expectClean(answer.text);
    }
  });

  it('over the production server: an execution error in an answer the fast path serves is cleaned', async () => {
    server.served.length = 0;
    const answer = await postGraphQL(
      server.url,
      {
        query: `mutation Create($name: String = "x") { createWebhook(input: { name: $name, url: "https://hooks.example.com/${HEADER_VALUE}", topics: [POST_CREATED] }) { id } }`,
        variables: { name: null },
      },
      { authorization: `Bearer ${API_KEY}` },
    );
    expect(server.served).toEqual(['direct']);
    expect(answer.json.errors?.map((error) => error.message)).toEqual([
      'Argument "input" has an invalid value.',
    ]);
    expectClean(answer.text);
  });

  it('scrubLeakyErrors leaves what it cleaned unchanged when it runs again', () => {
    const error = new GraphQLError(`String cannot represent a non string value: "${KEY}"`);
    const result: ExecutionResult = { errors: [error] };
    scrubLeakyErrors(result);
    const once = error.message;
    scrubLeakyErrors(result);
    expect(error.message).toBe(once);
    expect(once).toBe('String cannot represent a non-string value.');
  });
});

describe('an answer about another webhook than the one asked for', () => {
  const [, otherId] = SEED_WEBHOOK_IDS as [string, string];
  const otherOf = () => harness.simulator.peekWebhook(API_KEY, otherId);

  it('is UPSTREAM_UNAVAILABLE for a query, without the other webhook', async () => {
    const other = otherOf();
    harness.simulator.injectFault({
      match: { method: 'GET', pathPattern: `/v2/webhooks/${id}` },
      status: 200,
      body: other,
    });
    const response = await harness.graphql(`{ webhook(id: "${id}") { id name secret } }`);
    expect(response.body.data).toEqual({ webhook: null });
    expect(response.body.errors?.[0]?.extensions).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      upstream: { status: 200 },
    });
    for (const text of [otherId, other?.name, other?.secret])
      expect(response.text).not.toContain(text);
    expect(harness.logs()).not.toContain(other?.secret);
  });

  it('is UPSTREAM_UNAVAILABLE for a rotation, without the other secret', async () => {
    const other = otherOf();
    harness.simulator.injectFault({
      match: { method: 'POST', pathPattern: `/v2/webhooks/${id}/secret` },
      status: 200,
      body: other,
    });
    const response = await harness.graphql(
      `mutation { refreshWebhookSecret(id: "${id}") { id secret } }`,
    );
    expect(response.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(response.body.data).toBeNull();
    for (const text of [otherId, other?.secret]) expect(response.text).not.toContain(text);
    expect(harness.simulator.countRequests()).toBe(1);
  });
});
