/**
 * Every error code of design.md 1.4, end to end: the gateway over the simulator, with the
 * simulator's fault switch standing in for a misbehaving Featurebase.
 */

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  GetWebhookDocument,
  RotateWebhookSecretDocument,
} from '../../schema/generated/operations.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { API_KEY, type GraphQLResponse, startTestGateway } from '../support/gateway.ts';

/** A second key of the same workspace, for the test that closes a key's rate-limit gate. */
const LIMITED_KEY = 'sk_rate_limited_key';
const harness = await startTestGateway({
  simulator: {
    apiKeys: [
      { key: API_KEY, workspace: 'demo' },
      { key: LIMITED_KEY, workspace: 'demo' },
    ],
  },
  client: { timeoutMs: 300, totalTimeoutMs: 1500, retryBaseDelayMs: 10, retryMaxDelayMs: 20 },
});
afterAll(() => harness.close());
beforeEach(() => harness.simulator.reset());

const [id] = SEED_WEBHOOK_IDS as [string];
const upstreamCalls = () => harness.simulator.countRequests();
const rotate = () => harness.graphql(RotateWebhookSecretDocument, { id });
const read = () => harness.graphql(GetWebhookDocument, { id });

function onlyError(response: GraphQLResponse<unknown>) {
  expect(response.body.errors).toHaveLength(1);
  const [error] = response.body.errors ?? [];
  if (!error) throw new Error('no error');
  // Never a stack, a cause, or anything of the upstream's answer beyond status/type/code/param.
  expect(Object.keys(error.extensions ?? {}).sort()).toEqual(expect.arrayContaining(['code']));
  for (const key of Object.keys(error.extensions ?? {})) {
    expect(['code', 'upstream', 'retryAfter']).toContain(key);
  }
  expect(response.text).not.toMatch(/at .*\.ts:\d+|node:internal|stack/);
  return error;
}

const featurebaseError = (
  status: number,
  type: string,
  code: string,
  message = 'Something went wrong',
  param?: string,
) => ({
  status,
  body: { error: { type, code, message, status, ...(param ? { param } : {}) } },
});

describe('error codes', () => {
  it('UNAUTHENTICATED when Featurebase refuses the key (401), after one call', async () => {
    const response = await harness.graphql(
      GetWebhookDocument,
      { id },
      { authorization: 'Bearer sk_not_a_key' },
    );
    const error = onlyError(response);
    expect(error.extensions?.code).toBe('UNAUTHENTICATED');
    expect(error.extensions?.['upstream']).toMatchObject({
      status: 401,
      type: 'authentication_error',
    });
    expect(response.text).not.toContain('sk_not_a_key');
    expect(upstreamCalls()).toBe(1);
  });

  it('FORBIDDEN on 403', async () => {
    harness.simulator.injectFault(
      featurebaseError(
        403,
        'authorization_error',
        'plan_required',
        'Webhooks need the Growth plan',
      ),
    );
    const error = onlyError(await rotate());
    expect(error).toMatchObject({
      message: 'Featurebase does not allow this API key to do that: Webhooks need the Growth plan',
      extensions: {
        code: 'FORBIDDEN',
        upstream: { status: 403, type: 'authorization_error', code: 'plan_required' },
      },
    });
    expect(upstreamCalls()).toBe(1);
  });

  it('NOT_FOUND on 404 and 410 for a mutation', async () => {
    harness.simulator.injectFault(featurebaseError(410, 'invalid_request_error', 'resource_gone'));
    expect(onlyError(await rotate()).extensions?.code).toBe('NOT_FOUND');
  });

  it('a query reads 410 as null', async () => {
    harness.simulator.injectFault(featurebaseError(410, 'invalid_request_error', 'resource_gone'));
    expect((await read()).body).toEqual({ data: { webhook: null } });
  });

  it.each([400, 409, 422])(
    'BAD_USER_INPUT on %i, with the upstream details and a scrubbed message',
    async (status) => {
      harness.simulator.injectFault(
        featurebaseError(
          status,
          'invalid_request_error',
          'invalid_value',
          'Bad value whsec_leaky in\r\nurl',
          'url',
        ),
      );
      const error = onlyError(await rotate());
      expect(error.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        upstream: { status, type: 'invalid_request_error', code: 'invalid_value', param: 'url' },
      });
      expect(error.message).toBe('Featurebase refused the request: Bad value [redacted] in url');
      expect(upstreamCalls()).toBe(1);
    },
  );

  it('RATE_LIMITED with retryAfter, at once, when Featurebase asks for a long wait', async () => {
    harness.simulator.injectFault({
      ...featurebaseError(429, 'rate_limit_error', 'rate_limited'),
      headers: { 'retry-after': '3600' },
    });
    const limited = { authorization: `Bearer ${LIMITED_KEY}` };
    const started = performance.now();
    const error = onlyError(await harness.graphql(GetWebhookDocument, { id }, limited));
    // At once: well under the call's total budget (1.5 s), the longest it could have slept.
    expect(performance.now() - started).toBeLessThan(1500 / 2);
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 3600 });
    expect(upstreamCalls()).toBe(1);

    // Until then that key is refused here, without a call; other keys are not affected.
    const again = onlyError(await harness.graphql(GetWebhookDocument, { id }, limited));
    expect(again.extensions?.code).toBe('RATE_LIMITED');
    expect(again.extensions?.['retryAfter']).toBeGreaterThan(3500);
    expect(again.extensions?.['upstream']).toBeUndefined();
    expect(upstreamCalls()).toBe(1);
    expect((await read()).body.errors).toBeUndefined();
  });

  it('RATE_LIMITED on a rotation without Retry-After, not retried', async () => {
    harness.simulator.injectFault({ ...featurebaseError(429, 'rate_limit_error', 'rate_limited') });
    const error = onlyError(await rotate());
    expect(error.extensions?.code).toBe('RATE_LIMITED');
    expect(upstreamCalls()).toBe(1);
  });

  it('UPSTREAM_TIMEOUT when a rotation gets no answer in time, sent once, saying it may have happened', async () => {
    harness.simulator.injectFault({ delayMs: 1000 });
    const error = onlyError(await rotate());
    expect(error.extensions?.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.message).toMatch(/may (or may not )?have/);
    expect(upstreamCalls()).toBe(1);
  });

  it('UPSTREAM_UNAVAILABLE on a 5xx for a rotation, not retried', async () => {
    harness.simulator.injectFault({
      status: 503,
      body: '<html>bad gateway</html>',
      headers: { 'content-type': 'text/html' },
    });
    const response = await rotate();
    const error = onlyError(response);
    expect(error.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', upstream: { status: 503 } });
    expect(response.text).not.toContain('html');
    expect(upstreamCalls()).toBe(1);
  });

  it('a read survives one 5xx by retrying', async () => {
    harness.simulator.injectFault({ status: 502 });
    const response = await read();
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.webhook?.id).toBe(id);
    expect(upstreamCalls()).toBe(2);
  });

  it('UPSTREAM_UNAVAILABLE when a read keeps failing, after the retries', async () => {
    harness.simulator.injectFault({ status: 500, times: 10 });
    const error = onlyError(await read());
    expect(error.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(upstreamCalls()).toBe(3);
  });

  it('UPSTREAM_UNAVAILABLE on malformed JSON, without echoing it', async () => {
    harness.simulator.injectFault({
      status: 200,
      body: '{"id": "whsec_partial',
      headers: { 'content-type': 'application/json' },
    });
    const response = await rotate();
    expect(onlyError(response).extensions).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      upstream: { status: 200 },
    });
    expect(response.text).not.toContain('whsec_partial');
  });

  it('UPSTREAM_UNAVAILABLE on a redirect, which is never followed', async () => {
    harness.simulator.injectFault({
      status: 307,
      headers: { location: 'https://evil.example/steal' },
    });
    expect(onlyError(await rotate()).extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(upstreamCalls()).toBe(1);
  });

  it('UPSTREAM_UNAVAILABLE when the connection is reset, and a rotation is not sent again', async () => {
    harness.simulator.injectFault({ destroySocket: true });
    expect(onlyError(await rotate()).extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(upstreamCalls()).toBe(1);
  });

  it('INTERNAL_SERVER_ERROR, masked, for a status Featurebase does not document', async () => {
    harness.simulator.injectFault(
      featurebaseError(418, 'teapot_error', 'short_and_stout', 'I am a teapot'),
    );
    const response = await rotate();
    const error = onlyError(response);
    expect(error).toMatchObject({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(response.text).not.toContain('teapot');
  });

  it('the gateway serves normally after all of the above', async () => {
    const response = await rotate();
    expect(response.body.errors).toBeUndefined();
  });
});
