/**
 * What reaches a client (and the logs, and Featurebase) of values the gateway did not make:
 * the caller's `X-Request-Id`, Featurebase's error `type`/`code`/`param` and `Retry-After`, and
 * the caller's own variable and literal values in GraphQL errors.
 */

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { GetWebhookDocument } from '../../schema/generated/operations.ts';
import { maskError } from '../../src/graphql-errors.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import {
  CircuitOpenError,
  RateLimitError,
  RateLimitGateError,
  UpstreamOverloadedError,
} from '../../src/upstream/errors.ts';
import { API_KEY, startTestGateway } from '../support/gateway.ts';

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
afterAll(() => harness.close());
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
