/**
 * Catalogue §3, F07 and F13-F16: Featurebase (or a load balancer in front of it) answers with an
 * error status. Through the simulator's fault switch, which answers before authentication, like
 * a load balancer would. Each row runs on a fresh gateway: retry budget and breaker start empty,
 * so no row depends on another's failures.
 *
 * The read is a GET (a method the gateway may retry), so "not retried" says something about the
 * status, not about the method; the rotation is the POST that must never be repeated.
 */

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  expectNextRequestSucceeds,
  expectNoLeaks,
  LONG_TIMEOUT_MS,
  NO_WAIT_MS,
  onlyError,
  READ,
  ROTATE,
  type SimulatorFaultGateway,
  timed,
  WEBHOOK_ID,
  withEvents,
} from '../support/faults.ts';
import { API_KEY } from '../support/gateway.ts';

// Secret hygiene over every answer and log line of this file (test/support/faults.ts).
afterAll(expectNoLeaks);

let target: SimulatorFaultGateway;
afterEach(() => target.close());

// Backoffs of 10-20 ms then 20-40 ms: a retried GET costs at most 60 ms of waiting. Every
// answer here comes at once: no attempt may wait for its (long) timeout.
async function setUp() {
  target = await withEvents({
    client: { timeoutMs: LONG_TIMEOUT_MS, retryBaseDelayMs: 20, retryMaxDelayMs: 40 },
  });
  return target.harness.simulator;
}

/** The waits the client chose between attempts: each within the configured backoff. */
function expectBackoffs(count: number) {
  const waits = target.events.attempts.flatMap((attempt) =>
    attempt.retryDelayMs === undefined ? [] : [attempt.retryDelayMs],
  );
  expect(waits).toHaveLength(count);
  for (const wait of waits) expect(wait).toBeLessThanOrEqual(40);
}

const read = () => timed(() => target.graphql(READ, { id: WEBHOOK_ID }));
const rotate = () => timed(() => target.graphql(ROTATE, { id: WEBHOOK_ID }));

/** An answer in Featurebase's error shape. */
function featurebaseError(
  status: number,
  type: string,
  code: string,
  message: string,
  param?: string,
) {
  return {
    status,
    body: { error: { type, code, message, status, ...(param === undefined ? {} : { param }) } },
  };
}

const HTML_MARKER = 'lb-node-7f3a';
const HTML = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>${HTML_MARKER}</body></html>`;

describe('F07 502 HTML from a load balancer', () => {
  it('F07 on a GET → retried twice, then UPSTREAM_UNAVAILABLE with no HTML in the answer, 3 calls', async () => {
    const upstream = await setUp();
    upstream.injectFault({
      times: 3,
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: HTML,
    });
    const { value: response, ms } = await read();

    const error = onlyError(response);
    expect(error.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', upstream: { status: 502 } });
    expect(error.message).toBe('Featurebase is unavailable (it answered 502).');
    expect(response.text).not.toMatch(/<html|<h1|Bad Gateway|lb-node/i);
    expect(target.logs()).not.toContain(HTML_MARKER);
    expect(target.upstreamCalls()).toBe(3);
    expectBackoffs(2);
    expect(ms).toBeLessThan(NO_WAIT_MS);
    await expectNextRequestSucceeds(target);
  });
});

describe('F13 one 5xx on a GET', () => {
  it.each([500, 502, 503])('F13 %i once, then 200 → success, 2 calls', async (status) => {
    const upstream = await setUp();
    upstream.injectFault(featurebaseError(status, 'api_error', 'internal', 'oops'));
    const { value: response, ms } = await read();

    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toMatchObject({ webhook: { id: WEBHOOK_ID } });
    expect(target.upstreamCalls()).toBe(2);
    expect(upstream.requests.map((request) => request.status)).toEqual([status, 200]);
    expectBackoffs(1);
    expect(ms).toBeLessThan(NO_WAIT_MS);
    await expectNextRequestSucceeds(target);
  });
});

describe('F14 500 on a POST rotation', () => {
  it('F14 → UPSTREAM_UNAVAILABLE, 1 call, not retried; the secret is unchanged', async () => {
    const upstream = await setUp();
    const secretBefore = upstream.peekWebhook(API_KEY, WEBHOOK_ID)?.secret;
    upstream.injectFault(featurebaseError(500, 'api_error', 'internal', 'oops'));
    const { value: response, ms } = await rotate();

    const error = onlyError(response);
    expect(error.extensions).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      upstream: { status: 500, type: 'api_error', code: 'internal' },
    });
    expect(error.message).toBe('Featurebase is unavailable (it answered 500).');
    expect(target.upstreamCalls()).toBe(1);
    expect(ms).toBeLessThan(NO_WAIT_MS);
    expect(upstream.peekWebhook(API_KEY, WEBHOOK_ID)?.secret).toBe(secretBefore);
    await expectNextRequestSucceeds(target);
  });
});

describe('F15 Featurebase errors in the documented shape', () => {
  // [status, type, code, param, the code of a query, of a mutation]; null: the query reads null.
  const rows = [
    [
      401,
      'authentication_error',
      'api_key_invalid',
      undefined,
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
    ],
    [403, 'authorization_error', 'plan_required', undefined, 'FORBIDDEN', 'FORBIDDEN'],
    [404, 'invalid_request_error', 'resource_not_found', 'id', null, 'NOT_FOUND'],
    [400, 'invalid_request_error', 'invalid_value', 'url', 'BAD_USER_INPUT', 'BAD_USER_INPUT'],
    [422, 'invalid_request_error', 'unprocessable', 'topics', 'BAD_USER_INPUT', 'BAD_USER_INPUT'],
    [410, 'invalid_request_error', 'resource_gone', 'id', null, 'NOT_FOUND'],
  ] as const;

  it.each(rows)(
    'F15 %i %s → query and mutation mapped, with upstream.{type,code,param}, 1 call each, none retried',
    async (status, type, code, param, queryCode, mutationCode) => {
      const upstream = await setUp();
      const fault = featurebaseError(status, type, code, 'As documented', param);
      const expectedUpstream = { status, type, code, ...(param === undefined ? {} : { param }) };

      upstream.injectFault(fault);
      const { value: query, ms: queryMs } = await read();
      if (queryCode === null) {
        expect(query.body).toEqual({ data: { webhook: null } });
      } else {
        const error = onlyError(query);
        expect(error.extensions).toEqual({ code: queryCode, upstream: expectedUpstream });
        expect(error.path).toEqual(['webhook']);
      }
      expect(target.upstreamCalls()).toBe(1);
      expect(queryMs).toBeLessThan(NO_WAIT_MS);

      upstream.injectFault(fault);
      const { value: mutation, ms: mutationMs } = await rotate();
      const error = onlyError(mutation);
      expect(error.extensions).toEqual({ code: mutationCode, upstream: expectedUpstream });
      expect(target.upstreamCalls()).toBe(2);
      expect(mutationMs).toBeLessThan(NO_WAIT_MS);
      expect(target.events.attempts).toHaveLength(2);
      await expectNextRequestSucceeds(target);
    },
  );
});

describe('F16 error bodies off the documented shape', () => {
  const MARKER = 'RAW_BODY_MARKER';

  it.each([
    // [label, status, body as sent, expected code, expected message, expected extensions.upstream]
    [
      'an empty 401',
      401,
      '',
      'UNAUTHENTICATED',
      'Featurebase did not accept the API key.',
      { status: 401 },
    ],
    [
      '{"message": …} on a 403',
      403,
      JSON.stringify({ message: MARKER }),
      'FORBIDDEN',
      'Featurebase does not allow this API key to do that.',
      { status: 403 },
    ],
    [
      '{"message": …} on a 400',
      400,
      JSON.stringify({ message: MARKER }),
      'BAD_USER_INPUT',
      'Featurebase refused the request.',
      { status: 400 },
    ],
    [
      'a 418 (unknown 4xx, masked)',
      418,
      JSON.stringify({ error: { type: 'teapot_error', message: MARKER } }),
      'INTERNAL_SERVER_ERROR',
      'Unexpected error.',
      { status: 418 },
    ],
    [
      'an unknown error.type on a 400',
      400,
      JSON.stringify({ error: { type: 'mystery_error', code: 'mystery', message: MARKER } }),
      'BAD_USER_INPUT',
      'Featurebase refused the request.',
      // An undocumented type is left out of extensions.upstream; the snake_case code stays.
      { status: 400, code: 'mystery' },
    ],
    [
      'plain text on a 401',
      401,
      `Unauthorized ${MARKER}`,
      'UNAUTHENTICATED',
      'Featurebase did not accept the API key.',
      { status: 401 },
    ],
  ] as const)(
    'F16 %s → mapped by status, generic message, no raw body; 1 call (GET, not retried)',
    async (_label, status, body, code, message, upstreamExtension) => {
      const upstream = await setUp();
      upstream.injectFault({ status, body, headers: { 'content-type': 'application/json' } });
      const { value: response, ms } = await read();

      const error = onlyError(response);
      expect(error.extensions).toEqual({ code, upstream: upstreamExtension });
      // Soft, so the call count and the next request are still checked if these fail.
      expect.soft(error.message).toBe(message);
      expect.soft(response.text).not.toContain(MARKER);
      expect(target.logs()).not.toContain(MARKER);
      expect(target.upstreamCalls()).toBe(1);
      expect(ms).toBeLessThan(NO_WAIT_MS);
      await expectNextRequestSucceeds(target);
    },
  );

  it('F16 an unknown 5xx (599) with an off-shape body on a rotation → UPSTREAM_UNAVAILABLE, no raw body, 1 call', async () => {
    const upstream = await setUp();
    upstream.injectFault({ status: 599, body: `{"message": "${MARKER}"}` });
    const { value: response, ms } = await rotate();

    const error = onlyError(response);
    expect(error.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', upstream: { status: 599 } });
    expect(error.message).toBe('Featurebase is unavailable (it answered 599).');
    expect(response.text).not.toContain(MARKER);
    expect(target.upstreamCalls()).toBe(1);
    expect(ms).toBeLessThan(NO_WAIT_MS);
    await expectNextRequestSucceeds(target);
  });
});
