/**
 * The shared request function, driven through the client over an undici MockAgent: headers,
 * base URL, status mapping, retries, Retry-After, timeouts, redirects, decoding and the size
 * cap, and the attempt events. Faults a mock cannot produce are in `http.test.ts`.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { createFeaturebaseClient } from '../../src/upstream/client.ts';
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
  UpstreamConnectionError,
  UpstreamHttpError,
  UpstreamProtocolError,
  UpstreamTimeoutError,
} from '../../src/upstream/errors.ts';
import {
  API_KEY,
  API_VERSION,
  caller,
  errorBody,
  ID,
  JSON_HEADERS,
  mockUpstream,
  ORIGIN,
  REQUEST_ID,
  rejection,
  SECRET,
  testClient,
  WEBHOOK,
  waitFor,
} from './helpers.ts';

const WEBHOOK_PATH = `/v2/webhooks/${ID}`;
const SECRET_PATH = `/v2/webhooks/${ID}/secret`;

let upstream = mockUpstream();
afterEach(async () => {
  await upstream.agent.close();
  upstream = mockUpstream();
});

function networkError(code: string): Error {
  return Object.assign(new Error(`simulated ${code}`), { code });
}

describe('headers', () => {
  it('sends exactly our headers on a GET, and no Content-Type without a body', async () => {
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(200, WEBHOOK, { headers: JSON_HEADERS });
    const { client } = testClient(upstream.agent);
    await client.webhooks.retrieve(ID, caller());
    const [call] = upstream.calls();
    expect(call?.headers).toEqual({
      authorization: `Bearer ${API_KEY}`,
      'featurebase-version': API_VERSION,
      accept: 'application/json',
      'user-agent': 'featurebase-webhooks-gateway/0.1.0',
      'x-request-id': REQUEST_ID,
    });
  });

  it('adds Content-Type only when there is a body', async () => {
    upstream.pool.intercept({ path: '/v2/webhooks', method: 'POST' }).reply(200, WEBHOOK);
    upstream.pool.intercept({ path: SECRET_PATH, method: 'POST' }).reply(200, WEBHOOK);
    const { client } = testClient(upstream.agent, { userAgent: 'custom-agent/1' });
    await client.webhooks.create(
      { name: 'n', url: 'https://example.com/h', topics: ['post.created'] },
      caller(),
    );
    await client.webhooks.refreshSecret(ID, caller());
    const [create, rotate] = upstream.calls();
    expect(create?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'custom-agent/1',
    });
    expect(Object.keys(create?.headers ?? {}).sort()).toEqual([
      'accept',
      'authorization',
      'content-type',
      'featurebase-version',
      'user-agent',
      'x-request-id',
    ]);
    expect(rotate?.headers).not.toHaveProperty('content-type');
    expect(rotate?.body ?? null).toBeNull();
  });

  it('refuses header values that could split a header, before any call, without echoing them', async () => {
    const { client } = testClient(upstream.agent);
    for (const bad of [
      { apiKey: `${API_KEY}\r\nX-Injected: 1` },
      { apiKey: '' },
      { apiVersion: '2026-01-01.nova\r\nX: y' },
      { requestId: 'a b' },
    ]) {
      const error = await rejection(client.webhooks.retrieve(ID, caller(bad)));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).not.toContain(API_KEY);
    }
    expect(upstream.calls()).toHaveLength(0);
  });

  it('puts the base path of the base URL before /v2', async () => {
    upstream.pool
      .intercept({ path: `/featurebase${WEBHOOK_PATH}`, method: 'GET' })
      .reply(200, WEBHOOK);
    const { client } = testClient(upstream.agent, {}, `${ORIGIN}/featurebase/`);
    await expect(client.webhooks.retrieve(ID, caller())).resolves.toMatchObject({ id: ID });
  });

  it('refuses a base URL with credentials, a query or another scheme', () => {
    for (const baseUrl of [
      'https://user:pw@featurebase.test',
      'https://featurebase.test/?a=1',
      'ftp://x',
      'nope',
    ]) {
      expect(() => testClient(upstream.agent, {}, baseUrl)).toThrow(TypeError);
    }
  });
});

describe('status mapping', () => {
  it.each([
    [400, BadRequestError, 'invalid_request_error', 'webhook_limit_reached', 'name'],
    [401, AuthenticationError, 'authentication_error', 'invalid_api_key', undefined],
    [403, PermissionDeniedError, 'authorization_error', 'plan_required', undefined],
    [404, NotFoundError, 'invalid_request_error', 'resource_not_found', 'id'],
    [409, ConflictError, 'invalid_request_error', 'conflict', undefined],
    [410, NotFoundError, 'invalid_request_error', 'resource_gone', 'id'],
    [422, UnprocessableEntityError, 'invalid_request_error', 'invalid_url', 'url'],
    [418, UpstreamHttpError, 'invalid_request_error', 'teapot', undefined],
  ])(
    '%i → %o with Featurebase type/code/param/message kept, 1 call',
    async (status, ErrorClass, type, code, param) => {
      upstream.pool
        .intercept({ path: WEBHOOK_PATH, method: 'GET' })
        .reply(status, errorBody(type, code, `message for ${status}`, status, param));
      const { client } = testClient(upstream.agent);
      const error = await rejection(client.webhooks.retrieve(ID, caller()));
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error).toMatchObject({
        status,
        details: { type, code, message: `message for ${status}`, ...(param ? { param } : {}) },
      });
      expect(upstream.calls()).toHaveLength(1);
    },
  );

  it('maps off-shape bodies by status, with no raw body in the message (F16, F07)', async () => {
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(401, '');
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(400, { message: 'x' });
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(502, '<html><body>Bad Gateway</body></html>', {
        headers: { 'content-type': 'text/html' },
      })
      .times(3);
    const { client } = testClient(upstream.agent);
    const empty = await rejection(client.webhooks.retrieve(ID, caller()));
    expect(empty).toBeInstanceOf(AuthenticationError);
    expect(empty).toMatchObject({ status: 401, details: {} });
    const offShape = await rejection(client.webhooks.retrieve(ID, caller()));
    expect(offShape).toMatchObject({ status: 400, details: {} });
    const html = await rejection(client.webhooks.retrieve(ID, caller()));
    expect(html).toBeInstanceOf(InternalServerError);
    expect((html as Error).message).toBe('Featurebase answered 502');
    expect(upstream.calls()).toHaveLength(5);
  });
});

describe('retries', () => {
  it('GET: 503 then 200 → success after 2 calls (F13)', async () => {
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(503, errorBody('api_error', 'x', 'down', 503));
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(200, WEBHOOK);
    const { client, events } = testClient(upstream.agent);
    await expect(client.webhooks.retrieve(ID, caller())).resolves.toMatchObject({ id: ID });
    expect(upstream.calls()).toHaveLength(2);
    expect(events.map((event) => [event.attempt, event.status, event.outcome])).toEqual([
      [1, 503, 'error'],
      [2, 200, 'success'],
    ]);
    expect(events[0]?.retryDelayMs).toBe(1);
    expect(events[0]?.error).toBe('InternalServerError');
  });

  it('GET: gives up after maxRetries + 1 calls', async () => {
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(500, {}).persist();
    const { client } = testClient(upstream.agent, { maxRetries: 2 });
    expect(await rejection(client.webhooks.retrieve(ID, caller()))).toBeInstanceOf(
      InternalServerError,
    );
    expect(upstream.calls()).toHaveLength(3);
  });

  it('maxRetries 0 makes a single call', async () => {
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(500, {}).persist();
    const { client } = testClient(upstream.agent, { maxRetries: 0 });
    await rejection(client.webhooks.retrieve(ID, caller()));
    expect(upstream.calls()).toHaveLength(1);
  });

  it('DELETE is retried like a read', async () => {
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'DELETE' }).reply(502, '');
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'DELETE' })
      .reply(200, { id: ID, object: 'webhook', deleted: true });
    const { client } = testClient(upstream.agent);
    await expect(client.webhooks.delete(ID, caller())).resolves.toEqual({
      id: ID,
      object: 'webhook',
      deleted: true,
    });
    expect(upstream.calls()).toHaveLength(2);
  });

  it('POST rotation on 500 → 1 call, not retried (F14)', async () => {
    upstream.pool.intercept({ path: SECRET_PATH, method: 'POST' }).reply(500, {}).persist();
    const { client } = testClient(upstream.agent);
    expect(await rejection(client.webhooks.refreshSecret(ID, caller()))).toBeInstanceOf(
      InternalServerError,
    );
    expect(upstream.calls()).toHaveLength(1);
  });

  it('POST rotation on 429 without Retry-After → RateLimitError, 1 call (F11)', async () => {
    upstream.pool.intercept({ path: SECRET_PATH, method: 'POST' }).reply(429, {}).persist();
    const { client } = testClient(upstream.agent);
    const error = await rejection(client.webhooks.refreshSecret(ID, caller()));
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterSeconds).toBeUndefined();
    expect(upstream.calls()).toHaveLength(1);
  });

  it('PATCH on 503 → 1 call', async () => {
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'PATCH' }).reply(503, {}).persist();
    const { client } = testClient(upstream.agent);
    await rejection(client.webhooks.update(ID, { name: 'x' }, caller()));
    expect(upstream.calls()).toHaveLength(1);
  });

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT'])(
    'POST rotation on %s → retried, since it never left',
    async (code) => {
      upstream.pool
        .intercept({ path: SECRET_PATH, method: 'POST' })
        .replyWithError(networkError(code));
      upstream.pool.intercept({ path: SECRET_PATH, method: 'POST' }).reply(200, WEBHOOK);
      const { client, events } = testClient(upstream.agent);
      await expect(client.webhooks.refreshSecret(ID, caller())).resolves.toMatchObject({ id: ID });
      expect(upstream.calls()).toHaveLength(2);
      expect(events[0]).toMatchObject({ error: 'UpstreamConnectionError', errorCode: code });
    },
  );

  it('a refused connection, every time → UpstreamConnectionError that never reached Featurebase', async () => {
    upstream.pool
      .intercept({ path: SECRET_PATH, method: 'POST' })
      .replyWithError(networkError('ECONNREFUSED'))
      .persist();
    const { client } = testClient(upstream.agent);
    const error = await rejection(client.webhooks.refreshSecret(ID, caller()));
    expect(error).toBeInstanceOf(UpstreamConnectionError);
    expect((error as UpstreamConnectionError).mayHaveReachedUpstream).toBe(false);
    expect(upstream.calls()).toHaveLength(3);
  });

  it.each(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'])(
    'PATCH on %s → 1 call, may have reached Featurebase',
    async (code) => {
      upstream.pool
        .intercept({ path: WEBHOOK_PATH, method: 'PATCH' })
        .replyWithError(networkError(code))
        .persist();
      const { client } = testClient(upstream.agent);
      const error = await rejection(client.webhooks.update(ID, { name: 'x' }, caller()));
      expect(error).toBeInstanceOf(UpstreamConnectionError);
      expect((error as UpstreamConnectionError).mayHaveReachedUpstream).toBe(true);
      expect((error as Error).message).toContain('may or may not have happened');
      expect(upstream.calls()).toHaveLength(1);
    },
  );

  it('GET on a reset → retried', async () => {
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .replyWithError(networkError('ECONNRESET'));
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(200, WEBHOOK);
    const { client } = testClient(upstream.agent);
    await expect(client.webhooks.retrieve(ID, caller())).resolves.toMatchObject({ id: ID });
    expect(upstream.calls()).toHaveLength(2);
  });

  it('POST on a headers timeout → UpstreamTimeoutError saying it may have happened, 1 call', async () => {
    upstream.pool
      .intercept({ path: SECRET_PATH, method: 'POST' })
      .replyWithError(networkError('UND_ERR_HEADERS_TIMEOUT'))
      .persist();
    const { client } = testClient(upstream.agent);
    const error = await rejection(client.webhooks.refreshSecret(ID, caller()));
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as Error).message).toMatch(
      /POST \/v2\/webhooks\/:id\/secret .*may or may not have happened/,
    );
    expect(upstream.calls()).toHaveLength(1);
  });

  it('passes an error that is not a transport failure through, unretried', async () => {
    const { client } = testClient(upstream.agent);
    // Nothing intercepts this path: the MockAgent's own "not matched" error comes out as is.
    const error = await rejection(client.webhooks.retrieve(ID, caller()));
    expect(error).not.toBeInstanceOf(UpstreamConnectionError);
    expect(upstream.calls()).toHaveLength(1);
  });
});

describe('Retry-After', () => {
  it('GET 429 with Retry-After: 1 → waits about a second, then succeeds (F09)', async () => {
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(429, {}, { headers: { 'retry-after': '1' } });
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(200, WEBHOOK);
    const { client, events } = testClient(upstream.agent);
    const started = performance.now();
    await client.webhooks.retrieve(ID, caller());
    const elapsed = performance.now() - started;
    // The one wait Featurebase asked for, and not a second one.
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(2 * 1000);
    expect(events[0]?.retryDelayMs).toBe(1000);
    expect(upstream.calls()).toHaveLength(2);
  });

  it('prefers retry-after-ms', async () => {
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(503, {}, { headers: { 'retry-after-ms': '120', 'retry-after': '3' } });
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(200, WEBHOOK);
    const { client, events } = testClient(upstream.agent);
    const started = performance.now();
    await client.webhooks.retrieve(ID, caller());
    const elapsed = performance.now() - started;
    expect(events[0]?.retryDelayMs).toBe(120);
    expect(elapsed).toBeGreaterThanOrEqual(115);
    // Not the 3 s of the other header.
    expect(elapsed).toBeLessThan(3000 / 2);
  });

  it.each([
    ['3600', () => '3600'],
    ['an HTTP-date an hour ahead', () => new Date(Date.now() + 3_600_000).toUTCString()],
  ])(
    'Retry-After: %s → RateLimitError at once, 1 call, no sleeping (F10)',
    async (_label, retryAfter) => {
      const value = retryAfter();
      const seconds = 3600;
      upstream.pool
        .intercept({ path: WEBHOOK_PATH, method: 'GET' })
        .reply(429, errorBody('rate_limit_error', 'rate_limited', 'slow down', 429), {
          headers: { 'retry-after': value },
        });
      const { client, events } = testClient(upstream.agent);
      const started = performance.now();
      const error = await rejection(client.webhooks.retrieve(ID, caller()));
      // No sleeping: none planned (the attempt event below has no retryDelayMs), and well under
      // the longest it could have slept, the call's total budget (2.5 × the 2 s attempt timeout).
      expect(performance.now() - started).toBeLessThan((2.5 * 2000) / 2);
      expect(error).toBeInstanceOf(RateLimitError);
      expect((error as RateLimitError).retryAfterSeconds).toBeGreaterThanOrEqual(seconds - 1);
      expect((error as RateLimitError).retryAfterSeconds).toBeLessThanOrEqual(seconds);
      expect((error as RateLimitError).details).toMatchObject({
        type: 'rate_limit_error',
        code: 'rate_limited',
      });
      expect(upstream.calls()).toHaveLength(1);
      expect(events).toHaveLength(1);
      expect(events[0]).not.toHaveProperty('retryDelayMs');
    },
  );

  it('a Retry-After over maxRetryAfterMs is not waited for, even with time left', async () => {
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(503, {}, { headers: { 'retry-after': '1' } });
    const { client, events } = testClient(upstream.agent, {
      maxRetryAfterMs: 500,
      totalTimeoutMs: 60_000,
    });
    const started = performance.now();
    const error = await rejection(client.webhooks.retrieve(ID, caller()));
    expect(events).toHaveLength(1);
    expect(events[0]).not.toHaveProperty('retryDelayMs');
    // Well under the 1 s it was asked to wait.
    expect(performance.now() - started).toBeLessThan(1000 / 2);
    expect(error).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    expect(upstream.calls()).toHaveLength(1);
  });

  it('a wait that does not fit into the total budget is not started', async () => {
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(429, {}, { headers: { 'retry-after': '2' } });
    const { client, events } = testClient(upstream.agent, { totalTimeoutMs: 1000, timeoutMs: 500 });
    const started = performance.now();
    const error = await rejection(client.webhooks.retrieve(ID, caller()));
    expect(events).toHaveLength(1);
    expect(events[0]).not.toHaveProperty('retryDelayMs');
    // Well under the budget the wait would have run into.
    expect(performance.now() - started).toBeLessThan(1000 / 2);
    expect((error as RateLimitError).retryAfterSeconds).toBe(2);
    expect(upstream.calls()).toHaveLength(1);
  });

  it('keeps Retry-After on a POST rotation, without retrying', async () => {
    upstream.pool
      .intercept({ path: SECRET_PATH, method: 'POST' })
      .reply(429, {}, { headers: { 'retry-after': '1' } });
    const { client } = testClient(upstream.agent);
    const error = await rejection(client.webhooks.refreshSecret(ID, caller()));
    expect((error as RateLimitError).retryAfterSeconds).toBe(1);
    expect(upstream.calls()).toHaveLength(1);
  });
});

describe('timeouts (mock delays)', () => {
  it('GET: each attempt is cut at timeoutMs, then retried', async () => {
    // Answers after 5 s, the total budget is 10 s: an attempt that was not cut would take
    // seconds, three cut ones take about 240 ms.
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(200, WEBHOOK)
      .delay(5000)
      .persist();
    const { client, events } = testClient(upstream.agent, {
      timeoutMs: 80,
      totalTimeoutMs: 10_000,
    });
    const started = performance.now();
    const error = await rejection(client.webhooks.retrieve(ID, caller()));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as Error).message).toBe(
      'Featurebase did not answer GET /v2/webhooks/:id within 80 ms.',
    );
    expect(upstream.calls()).toHaveLength(3);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 75);
    expect(elapsed).toBeLessThan(5000 / 2);
    expect(events.map((event) => event.error)).toEqual([
      'UpstreamTimeoutError',
      'UpstreamTimeoutError',
      'UpstreamTimeoutError',
    ]);
  });

  it('POST rotation that never answers → 1 call, and the message says it may have happened (F02)', async () => {
    upstream.pool
      .intercept({ path: SECRET_PATH, method: 'POST' })
      .reply(200, WEBHOOK)
      .delay(1000)
      .persist();
    const { client } = testClient(upstream.agent, { timeoutMs: 80 });
    const error = await rejection(client.webhooks.refreshSecret(ID, caller()));
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as Error).message).toContain('the operation may or may not have happened');
    expect(upstream.calls()).toHaveLength(1);
  });

  it('the total budget bounds all attempts together', async () => {
    // A 503, then an answer only after 5 s: the retry is cut by the 500 ms budget, long before
    // its own 5 s attempt timeout.
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(503, {});
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(200, WEBHOOK)
      .delay(5000)
      .persist();
    const { client } = testClient(upstream.agent, {
      timeoutMs: 5000,
      totalTimeoutMs: 500,
      maxRetries: 5,
    });
    const started = performance.now();
    const error = await rejection(client.webhooks.retrieve(ID, caller()));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as Error).message).toContain('within the total time allowed (500 ms)');
    expect(elapsed).toBeGreaterThanOrEqual(490);
    expect(elapsed).toBeLessThan(5000 / 2);
    expect(upstream.calls()).toHaveLength(2);
  });

  it('starts no retry with less than 100 ms of the budget left', async () => {
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(200, WEBHOOK)
      .delay(1000)
      .persist();
    const { client } = testClient(upstream.agent, { timeoutMs: 200, totalTimeoutMs: 280 });
    const error = await rejection(client.webhooks.retrieve(ID, caller()));
    expect((error as Error).message).toBe(
      'Featurebase did not answer GET /v2/webhooks/:id within 200 ms.',
    );
    expect(upstream.calls()).toHaveLength(1);
  });
});

describe('caller signal', () => {
  it('an already aborted signal sends nothing', async () => {
    const { client } = testClient(upstream.agent);
    const controller = new AbortController();
    controller.abort(new Error('client gone'));
    const error = await rejection(
      client.webhooks.retrieve(ID, caller({ signal: controller.signal })),
    );
    expect((error as Error).message).toBe('client gone');
    expect(upstream.calls()).toHaveLength(0);
  });

  it('aborting mid-request stops the call with the signal reason', async () => {
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(200, WEBHOOK).delay(5000);
    const { client, events } = testClient(upstream.agent, { timeoutMs: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('client gone')), 50);
    const started = performance.now();
    const error = await rejection(
      client.webhooks.retrieve(ID, caller({ signal: controller.signal })),
    );
    expect((error as Error).message).toBe('client gone');
    // Stopped by the signal, long before the answer (5 s) or the attempt timeout (5 s).
    expect(performance.now() - started).toBeLessThan(5000 / 2);
    expect(events).toHaveLength(1);
    expect(events[0]).not.toHaveProperty('retryDelayMs');
  });

  it('aborting during a retry wait stops at once, with no further call', async () => {
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(503, {}).persist();
    const { client, events } = testClient(upstream.agent, {
      retryBaseDelayMs: 4000,
      retryMaxDelayMs: 4000,
    });
    const controller = new AbortController();
    const call = rejection(client.webhooks.retrieve(ID, caller({ signal: controller.signal })));
    // Aborted once the first attempt is over and the wait (3/4 of the 4 s backoff) has begun.
    await waitFor(() => events.length === 1);
    const planned = events[0]?.retryDelayMs ?? Number.NaN;
    expect(planned).toBe(3000);
    const abortedAt = performance.now();
    controller.abort(new Error('client gone'));
    const error = await call;
    expect((error as Error).message).toBe('client gone');
    // Stopped well before the wait was over.
    expect(performance.now() - abortedAt).toBeLessThan(planned / 2);
    expect(upstream.calls()).toHaveLength(1);
  });
});

describe('answers', () => {
  it('a redirect is not followed (F18)', async () => {
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(307, '', { headers: { location: 'https://elsewhere.test/steal' } });
    const { client } = testClient(upstream.agent);
    const error = await rejection(client.webhooks.retrieve(ID, caller()));
    expect(error).toBeInstanceOf(UpstreamProtocolError);
    expect(error).toMatchObject({ status: 307 });
    expect((error as Error).message).not.toContain('elsewhere');
    expect(upstream.calls()).toHaveLength(1);
  });

  it('malformed JSON on a 200 → UpstreamProtocolError, status kept, body not echoed, not retried (F06)', async () => {
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(200, `{"secret":"${SECRET}","id":`)
      .persist();
    const { client } = testClient(upstream.agent);
    const error = await rejection(client.webhooks.retrieve(ID, caller()));
    expect(error).toBeInstanceOf(UpstreamProtocolError);
    expect(error).toMatchObject({ status: 200 });
    expect((error as Error).message).not.toContain(SECRET);
    expect((error as Error).message).not.toContain('{');
    expect(upstream.calls()).toHaveLength(1);
  });

  it('a 200 that is JSON but not a webhook → UpstreamProtocolError', async () => {
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(200, [1, 2]);
    const { client } = testClient(upstream.agent);
    expect(await rejection(client.webhooks.retrieve(ID, caller()))).toBeInstanceOf(
      UpstreamProtocolError,
    );
  });

  it('refuses an answer over the size cap, declared or not', async () => {
    const big = { ...WEBHOOK, description: 'x'.repeat(2000) };
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(200, big);
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .replyContentLength()
      .reply(200, big);
    const { client } = testClient(upstream.agent, { maxResponseBytes: 1024 });
    for (let i = 0; i < 2; i++) {
      const error = await rejection(client.webhooks.retrieve(ID, caller()));
      expect(error).toBeInstanceOf(UpstreamProtocolError);
      expect((error as Error).message).toBe("Featurebase's answer is larger than 1024 bytes.");
    }
  });

  it('an error answer over the size cap still maps by status', async () => {
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(404, { error: { message: 'x'.repeat(5000) } });
    const { client } = testClient(upstream.agent, { maxResponseBytes: 1024 });
    const error = await rejection(client.webhooks.retrieve(ID, caller()));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ details: {} });
  });
});

describe('attempt events', () => {
  it('carry the template, status, duration and rate-limit numbers, and no key, id or secret', async () => {
    upstream.pool.intercept({ path: SECRET_PATH, method: 'POST' }).reply(200, WEBHOOK, {
      headers: {
        'x-ratelimit-limit': '2000',
        'x-ratelimit-remaining': '1999',
        'x-ratelimit-reset': '42',
      },
    });
    const { client, events } = testClient(upstream.agent);
    await client.webhooks.refreshSecret(ID, caller());
    expect(events).toEqual([
      {
        method: 'POST',
        pathTemplate: '/v2/webhooks/:id/secret',
        attempt: 1,
        status: 200,
        durationMs: expect.any(Number),
        outcome: 'success',
        rateLimit: { limit: 2000, remaining: 1999, reset: 42 },
      },
    ]);
    const text = JSON.stringify(events);
    for (const sentinel of [API_KEY, SECRET, ID, REQUEST_ID, 'Bearer'])
      expect(text).not.toContain(sentinel);
  });

  it('leave out rate-limit numbers that are absent or not numbers', async () => {
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(200, WEBHOOK, {
      headers: { 'x-ratelimit-remaining': 'many' },
    });
    const { client, events } = testClient(upstream.agent);
    await client.webhooks.retrieve(ID, caller());
    expect(events[0]).not.toHaveProperty('rateLimit');
  });

  it('an observer that throws does not break the call', async () => {
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(200, WEBHOOK);
    const { client } = testClient(upstream.agent, {
      onAttempt: () => {
        throw new Error('logger down');
      },
    });
    await expect(client.webhooks.retrieve(ID, caller())).resolves.toMatchObject({ id: ID });
  });
});

describe('client options', () => {
  it('are checked once, at creation', () => {
    const base = { baseUrl: ORIGIN, dispatcher: upstream.agent, timeoutMs: 1000 };
    expect(() => createFeaturebaseClient(base)).not.toThrow();
    for (const bad of [
      { timeoutMs: 0 },
      { timeoutMs: 1.5 },
      { maxRetries: -1 },
      { maxResponseBytes: 0 },
      { totalTimeoutMs: Number.NaN },
    ]) {
      expect(() => createFeaturebaseClient({ ...base, ...bad })).toThrow(RangeError);
    }
    expect(() => createFeaturebaseClient({ ...base, userAgent: 'bad\r\nagent' })).toThrow(
      TypeError,
    );
  });
});
