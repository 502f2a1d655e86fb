import { describe, expect, it } from 'vitest';
import type { WireWebhook, WireWebhookList } from '../../src/upstream/wire.ts';
import { expectError, OTHER_KEY, startHarness, validCreateBody } from './harness.ts';

describe('authentication', () => {
  it('refuses a request without a key, with no rate-limit headers', async () => {
    const h = await startHarness({ seed: true });
    const result = await h.call('GET', '/v2/webhooks', { key: null });
    expectError(result, { status: 401, type: 'authentication_error', code: 'api_key_missing' });
    expect(result.headers.get('x-ratelimit-limit')).toBeNull();
    expect(result.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('refuses an unknown key, another scheme, and two Authorization headers', async () => {
    const h = await startHarness({ seed: true });
    const bad = await h.call('GET', '/v2/webhooks', { key: 'sk_live_unknown' });
    const error = expectError(bad, {
      status: 401,
      type: 'authentication_error',
      code: 'api_key_invalid',
    });
    expect(error.message).not.toContain('sk_live_unknown');

    const basic = await h.call('GET', '/v2/webhooks', {
      key: null,
      headers: { authorization: 'Basic c2tfZGVtbzp4' },
    });
    expect(basic.status).toBe(401);

    // Two headers reach the server joined with ", " and must not authenticate as either key.
    const twice = await h.call('GET', '/v2/webhooks', {
      key: null,
      headers: { authorization: `Bearer ${OTHER_KEY}, Bearer sk_x` },
    });
    expect(twice.status).toBe(401);
  });

  it('checks the key before routing', async () => {
    const h = await startHarness();
    expect((await h.call('GET', '/nowhere', { key: null })).status).toBe(401);
  });

  it('keeps workspaces apart', async () => {
    const h = await startHarness();
    const mine = await h.call<WireWebhook>('POST', '/v2/webhooks', { body: validCreateBody() });
    const path = `/v2/webhooks/${mine.body.id}`;
    const notFound = {
      status: 404,
      type: 'invalid_request_error',
      code: 'resource_not_found',
      param: 'id',
    } as const;
    expectError(await h.call('GET', path, { key: OTHER_KEY }), notFound);
    expectError(await h.call('PATCH', path, { key: OTHER_KEY, body: { name: 'x' } }), notFound);
    expectError(await h.call('DELETE', path, { key: OTHER_KEY }), notFound);
    expectError(await h.call('POST', `${path}/secret`, { key: OTHER_KEY }), notFound);
    const listed = await h.call<WireWebhookList>('GET', '/v2/webhooks', { key: OTHER_KEY });
    expect(listed.body.data).toEqual([]);
    // The owner still sees it, unchanged.
    expect((await h.call<WireWebhook>('GET', path)).body).toEqual(mine.body);
  });

  it('lets two keys of one workspace share its webhooks', async () => {
    const h = await startHarness({
      apiKeys: [
        { key: 'sk_a', workspace: 'shared' },
        { key: 'sk_b', workspace: 'shared' },
      ],
    });
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', {
      key: 'sk_a',
      body: validCreateBody(),
    });
    expect((await h.call('GET', `/v2/webhooks/${created.body.id}`, { key: 'sk_b' })).status).toBe(
      200,
    );
  });
});

describe('Featurebase-Version', () => {
  it('uses the workspace default (Nova) when the header is missing', async () => {
    const h = await startHarness();
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', {
      body: validCreateBody(),
      version: null,
    });
    expect(created.status).toBe(201);
    expect(created.body.version).toBe('2026-01-01.nova');
  });

  it('refuses a missing header when the workspace default is Clover', async () => {
    const h = await startHarness({ defaultVersion: '2025-12-12.clover' });
    expectError(await h.call('GET', '/v2/webhooks', { version: null }), {
      status: 400,
      type: 'invalid_request_error',
      code: 'api_version_unsupported',
      param: 'Featurebase-Version',
    });
    expect((await h.call('GET', '/v2/webhooks', { version: '2026-01-01.nova' })).status).toBe(200);
  });

  it('refuses versions older than the webhooks API, naming the minimum', async () => {
    const h = await startHarness();
    for (const version of ['2025-12-12.clover', '2025-06-01.nova', '2026-01-01.orbit']) {
      const error = expectError(await h.call('GET', '/v2/webhooks', { version }), {
        status: 400,
        type: 'invalid_request_error',
        code: 'api_version_unsupported',
        param: 'Featurebase-Version',
      });
      expect(error.message).toContain('2026-01-01.nova');
    }
  });

  it('refuses malformed versions', async () => {
    const h = await startHarness();
    for (const version of [
      'garbage',
      '2026-01-01',
      '2026-1-1.nova',
      '2026-13-01.nova',
      '2026-02-30.nova',
      '2026-01-01.Nova',
      '2026-01-01.nova.x',
      '',
    ]) {
      const error = expectError(await h.call('GET', '/v2/webhooks', { version }), {
        status: 400,
        type: 'invalid_request_error',
        code: 'api_version_invalid',
        param: 'Featurebase-Version',
      });
      expect(error.message).toContain('YYYY-MM-DD.codename');
    }
  });

  it('accepts Nova and newer versions', async () => {
    const h = await startHarness();
    for (const version of ['2026-01-01.nova', '2026-08-19.orbit', '2027-02-02.zephyr']) {
      expect((await h.call('GET', '/v2/webhooks', { version })).status).toBe(200);
    }
  });

  it('checks the version before the id and the body', async () => {
    const h = await startHarness();
    const clover = { version: '2025-12-12.clover' };
    const unsupported = (result: Awaited<ReturnType<typeof h.call>>) =>
      expectError(result, {
        status: 400,
        type: 'invalid_request_error',
        code: 'api_version_unsupported',
        param: 'Featurebase-Version',
      });
    unsupported(await h.call('GET', '/v2/webhooks/not-an-id', clover));
    unsupported(await h.call('POST', '/v2/webhooks', { ...clover, body: { bogus: true } }));
  });
});
