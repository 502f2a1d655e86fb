import { describe, expect, it } from 'vitest';
import { API_TOPICS } from '../../src/simulator/api-facts.ts';
import type { WireWebhook } from '../../src/upstream/wire.ts';
import { expectError, type Harness, KEY, startHarness, validCreateBody } from './harness.ts';

const invalid = (param: string) =>
  ({ status: 400, type: 'invalid_request_error', code: 'parameter_invalid', param }) as const;
const missing = (param: string) =>
  ({ status: 400, type: 'invalid_request_error', code: 'parameter_missing', param }) as const;

async function createWith(h: Harness, overrides: Record<string, unknown>) {
  return h.call<WireWebhook>('POST', '/v2/webhooks', { body: validCreateBody(overrides) });
}

function headersOf(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`X-H${i}`, `${i}`]));
}

describe('create validation', () => {
  it('requires name, url and topics', async () => {
    const h = await startHarness();
    for (const field of ['name', 'url', 'topics']) {
      const body = validCreateBody();
      delete body[field];
      expectError(await h.call('POST', '/v2/webhooks', { body }), missing(field));
      expectError(await createWith(h, { [field]: null }), missing(field));
    }
    expect(h.simulator.peekWebhooks(KEY)).toEqual([]);
  });

  it('holds name to 1..100 characters', async () => {
    const h = await startHarness();
    for (const name of ['', '   ', 'x'.repeat(101), 42]) {
      expectError(await createWith(h, { name }), invalid('name'));
    }
    expect((await createWith(h, { name: 'x' })).status).toBe(201);
    expect((await createWith(h, { name: 'x'.repeat(100) })).status).toBe(201);
  });

  it('wants an absolute public https url', async () => {
    const h = await startHarness();
    for (const url of [
      'http://example.com/hook',
      'example.com/hook',
      '/relative',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'https://user:pass@example.com/',
      'https://example.com/\r\nHost: x',
      'https://exa mple.com/',
      `https://example.com/${'a'.repeat(2048)}`,
      'https://localhost/hook',
      'https://127.0.0.1/',
      'https://10.0.0.1/',
      'https://169.254.169.254/latest/meta-data/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://0x7f000001/',
      'https://2130706433/',
      '',
      7,
    ]) {
      expectError(await createWith(h, { url }), invalid('url'));
    }
    for (const url of ['https://example.com', 'https://hooks.example.com:8443/a?b=c']) {
      expect((await createWith(h, { url })).status).toBe(201);
    }
  });

  it('wants a non-empty list of known topics', async () => {
    const h = await startHarness();
    for (const topics of [
      [],
      'post.created',
      ['post.created', 'NOT_A_TOPIC'],
      ['post.statusChanged'],
      [1],
    ]) {
      expectError(await createWith(h, { topics }), invalid('topics'));
    }
    const all = await createWith(h, { topics: [...API_TOPICS] });
    expect(all.status).toBe(201);
    expect(all.body.topics).toEqual([...API_TOPICS]);
    const repeated = await createWith(h, { topics: ['post.created', 'post.created'] });
    expect(repeated.body.topics).toEqual(['post.created']);
  });

  it('holds description to 500 characters, null allowed', async () => {
    const h = await startHarness();
    expectError(await createWith(h, { description: 'x'.repeat(501) }), invalid('description'));
    expectError(await createWith(h, { description: 5 }), invalid('description'));
    expect((await createWith(h, { description: 'x'.repeat(500) })).status).toBe(201);
    expect((await createWith(h, { description: null })).body.description).toBeNull();
  });

  it('checks requestConfig: an object, string headers (at most 10), timeoutMs 1000-30000', async () => {
    const h = await startHarness();
    const rc = (requestConfig: unknown) => createWith(h, { requestConfig });
    expectError(await rc('fast'), invalid('requestConfig'));
    expectError(await rc(null), invalid('requestConfig'));
    expectError(await rc({ headers: headersOf(11) }), invalid('requestConfig.headers'));
    expectError(await rc({ headers: ['X-A'] }), invalid('requestConfig.headers'));
    expectError(await rc({ headers: { 'X-A': 1 } }), invalid('requestConfig.headers'));
    expectError(await rc({ headers: { 'X-A\r\nB': 'v' } }), invalid('requestConfig.headers'));
    expectError(await rc({ headers: { 'X-A': 'v\r\nX-B: w' } }), invalid('requestConfig.headers'));
    expectError(await rc({ headers: { Host: 'evil.example' } }), invalid('requestConfig.headers'));
    expectError(
      await rc({ headers: { 'X-A': 'x'.repeat(100_000) } }),
      invalid('requestConfig.headers'),
    );
    expectError(
      await rc({ headers: { 'X-A': '1', 'x-a': '2' } }),
      invalid('requestConfig.headers'),
    );
    for (const timeoutMs of [999, 30001, 1500.5, '5000', 0]) {
      expectError(await rc({ timeoutMs }), invalid('requestConfig.timeoutMs'));
    }
    expect((await rc({ headers: headersOf(10) })).status).toBe(201);
    expect((await rc({ timeoutMs: 1000 })).status).toBe(201);
    expect((await rc({ timeoutMs: 30000 })).status).toBe(201);
  });

  it('keeps a header named __proto__ as a plain header', async () => {
    const h = await startHarness();
    // Written by hand: an object literal or JSON.stringify would not keep a __proto__ key.
    const raw = `{"name":"n","url":"https://example.com","topics":["post.created"],"requestConfig":{"headers":{"__proto__":"x"}}}`;
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', {
      rawBody: raw,
      headers: { 'content-type': 'application/json' },
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body.requestConfig.headers ?? {})).toEqual(['__proto__']);
    const stored = h.simulator.peekWebhook(KEY, created.body.id)?.requestConfig.headers ?? {};
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(stored, '__proto__')?.value).toBe('x');
  });

  it('refuses unknown fields, top level and in requestConfig', async () => {
    const h = await startHarness();
    expectError(await createWith(h, { status: 'paused' }), {
      status: 400,
      type: 'invalid_request_error',
      code: 'parameter_unknown',
      param: 'status',
    });
    expectError(await createWith(h, { requestConfig: { timeout: 5000 } }), {
      status: 400,
      type: 'invalid_request_error',
      code: 'parameter_unknown',
      param: 'requestConfig.timeout',
    });
    const raw = `{"name":"n","url":"https://example.com","topics":["post.created"],"__proto__":{"polluted":true}}`;
    const proto = await h.call('POST', '/v2/webhooks', {
      rawBody: raw,
      headers: { 'content-type': 'application/json' },
    });
    expect(proto.status).toBe(400);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('wants a JSON object body sent as application/json', async () => {
    const h = await startHarness();
    const json = { 'content-type': 'application/json' };
    expectError(await h.call('POST', '/v2/webhooks', { rawBody: '{"name":', headers: json }), {
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_json',
    });
    for (const rawBody of ['null', '42', '"x"', '[1,2]']) {
      expectError(await h.call('POST', '/v2/webhooks', { rawBody, headers: json }), {
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_body',
      });
    }
    expectError(
      await h.call('POST', '/v2/webhooks', {
        rawBody: JSON.stringify(validCreateBody()),
        headers: { 'content-type': 'text/plain' },
      }),
      { status: 400, type: 'invalid_request_error', code: 'unsupported_content_type' },
    );
    // An empty body reads as {}, so the first missing field is named.
    expectError(await h.call('POST', '/v2/webhooks'), missing('name'));
    const charset = await h.call('POST', '/v2/webhooks', {
      rawBody: JSON.stringify(validCreateBody()),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(charset.status).toBe(201);
  });
});

describe('update validation', () => {
  async function withWebhook() {
    const h = await startHarness();
    const created = await createWith(h, {});
    const patch = (body: unknown) => h.call('PATCH', `/v2/webhooks/${created.body.id}`, { body });
    return { h, created: created.body, patch };
  }

  it('applies the create rules to the fields sent', async () => {
    const { h, created, patch } = await withWebhook();
    expectError(await patch({ name: '' }), invalid('name'));
    expectError(await patch({ name: null }), invalid('name'));
    expectError(await patch({ url: 'http://example.com' }), invalid('url'));
    expectError(await patch({ topics: [] }), invalid('topics'));
    expectError(await patch({ topics: ['nope'] }), invalid('topics'));
    expectError(await patch({ description: 'x'.repeat(501) }), invalid('description'));
    expectError(
      await patch({ requestConfig: { headers: headersOf(11) } }),
      invalid('requestConfig.headers'),
    );
    expectError(
      await patch({ requestConfig: { timeoutMs: 50 } }),
      invalid('requestConfig.timeoutMs'),
    );
    expectError(await patch({ secret: 'whsec_mine' }), {
      status: 400,
      type: 'invalid_request_error',
      code: 'parameter_unknown',
      param: 'secret',
    });
    // Nothing was changed by the refused updates.
    expect(h.simulator.peekWebhook(KEY, created.id)).toEqual(created);
  });

  it('lets a client set active or paused, never suspended', async () => {
    const { patch } = await withWebhook();
    const error = expectError(await patch({ status: 'suspended' }), invalid('status'));
    expect(error.message).toContain('suspended');
    expectError(await patch({ status: 'deleted' }), invalid('status'));
    expect((await patch({ status: 'paused' })).status).toBe(200);
    expect((await patch({ status: 'active' })).status).toBe(200);
  });

  it('accepts an empty update', async () => {
    const { created, patch } = await withWebhook();
    const result = await patch({});
    expect(result.status).toBe(200);
    expect({ ...(result.body as WireWebhook), updatedAt: created.updatedAt }).toEqual(created);
  });
});
