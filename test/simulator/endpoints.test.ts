import { describe, expect, it } from 'vitest';
import { SAMPLE_WEBHOOKS } from '../../src/simulator/index.ts';
import type { WireDeletedWebhook, WireWebhook, WireWebhookList } from '../../src/upstream/wire.ts';
import { expectError, KEY, startHarness, validCreateBody } from './harness.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const FIXED_NOW = Date.parse('2026-03-04T05:06:07.000Z');

describe('the six endpoints', () => {
  it('creates a webhook with every documented field and its defaults', async () => {
    const h = await startHarness({ now: () => FIXED_NOW });
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', {
      body: validCreateBody({
        description: 'Sync orders',
        topics: ['post.created', 'ticket.created'],
      }),
    });
    // 201 is our choice for the UNCONFIRMED create status.
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe('application/json');
    expect(created.body).toEqual({
      object: 'webhook',
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      name: 'Orders',
      description: 'Sync orders',
      url: 'https://hooks.example.com/featurebase',
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9]{32}$/),
      status: 'active',
      topics: ['post.created', 'ticket.created'],
      version: '2026-01-01.nova',
      requestConfig: { timeoutMs: 5000, headers: {} },
      lastStatus: null,
      health: {
        avgResponseTime: 0,
        lastResponseTime: 0,
        lastSuccessAt: null,
        errorsSinceLastSuccess: 0,
        consecutiveFailures: 0,
      },
      createdAt: '2026-03-04T05:06:07.000Z',
      updatedAt: '2026-03-04T05:06:07.000Z',
    });
    // ObjectId: the first 4 bytes are the creation time in seconds.
    expect(Number.parseInt(created.body.id.slice(0, 8), 16)).toBe(FIXED_NOW / 1000);
  });

  it('can answer 200 to a create when configured to', async () => {
    const h = await startHarness({ createStatus: 200 });
    const created = await h.call('POST', '/v2/webhooks', { body: validCreateBody() });
    expect(created.status).toBe(200);
  });

  it('records the request version on the new webhook, and accepts newer versions', async () => {
    const h = await startHarness();
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', {
      body: validCreateBody(),
      version: '2026-08-19.orbit',
    });
    expect(created.status).toBe(201);
    expect(created.body.version).toBe('2026-08-19.orbit');
  });

  it('accepts requestConfig headers and timeoutMs on create', async () => {
    const h = await startHarness();
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', {
      body: validCreateBody({
        requestConfig: { timeoutMs: 10000, headers: { 'X-Tenant': 'acme', 'X-Env': 'prod' } },
      }),
    });
    expect(created.status).toBe(201);
    expect(created.body.requestConfig).toEqual({
      timeoutMs: 10000,
      headers: { 'X-Tenant': 'acme', 'X-Env': 'prod' },
    });
  });

  it('retrieves a webhook, secret included', async () => {
    const h = await startHarness();
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', { body: validCreateBody() });
    const fetched = await h.call<WireWebhook>('GET', `/v2/webhooks/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
  });

  it('retrieves an id given in upper case', async () => {
    const h = await startHarness({ seed: true });
    const id = SAMPLE_WEBHOOKS[0]?.id ?? '';
    const fetched = await h.call<WireWebhook>('GET', `/v2/webhooks/${id.toUpperCase()}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.id).toBe(id);
  });

  it('lists webhooks in the documented envelope', async () => {
    const h = await startHarness({ seed: true });
    const listed = await h.call<WireWebhookList>('GET', '/v2/webhooks');
    expect(listed.status).toBe(200);
    expect(Object.keys(listed.body)).toEqual(['object', 'data', 'nextCursor']);
    expect(listed.body.object).toBe('list');
    expect(listed.body.nextCursor).toBeNull();
    expect(listed.body.data).toEqual(SAMPLE_WEBHOOKS);
  });

  it('updates only the fields sent', async () => {
    let now = FIXED_NOW;
    const h = await startHarness({ now: () => now });
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', {
      body: validCreateBody({
        description: 'keep me',
        requestConfig: { timeoutMs: 7000, headers: { 'X-A': '1' } },
      }),
    });
    now += 60_000;
    const updated = await h.call<WireWebhook>('PATCH', `/v2/webhooks/${created.body.id}`, {
      body: { name: 'Renamed' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({
      ...created.body,
      name: 'Renamed',
      updatedAt: new Date(now).toISOString(),
    });
  });

  it('replaces topics and headers whole, keeps timeoutMs when only headers change', async () => {
    const h = await startHarness();
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', {
      body: validCreateBody({
        topics: ['post.created', 'post.updated'],
        requestConfig: { timeoutMs: 7000, headers: { 'X-A': '1', 'X-B': '2' } },
      }),
    });
    const updated = await h.call<WireWebhook>('PATCH', `/v2/webhooks/${created.body.id}`, {
      body: {
        url: 'https://new.example.com/hook',
        topics: ['comment.created'],
        requestConfig: { headers: { 'X-C': '3' } },
      },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.url).toBe('https://new.example.com/hook');
    expect(updated.body.topics).toEqual(['comment.created']);
    expect(updated.body.requestConfig).toEqual({ timeoutMs: 7000, headers: { 'X-C': '3' } });

    const timeout = await h.call<WireWebhook>('PATCH', `/v2/webhooks/${created.body.id}`, {
      body: { requestConfig: { timeoutMs: 30000 } },
    });
    expect(timeout.body.requestConfig).toEqual({ timeoutMs: 30000, headers: { 'X-C': '3' } });
  });

  it('clears the description with null', async () => {
    const h = await startHarness();
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', {
      body: validCreateBody({ description: 'temporary' }),
    });
    const updated = await h.call<WireWebhook>('PATCH', `/v2/webhooks/${created.body.id}`, {
      body: { description: null },
    });
    expect(updated.body.description).toBeNull();
    expect(h.simulator.peekWebhook(KEY, created.body.id)?.description).toBeNull();
  });

  it('pauses, and reactivation resets the health counters of a suspended webhook', async () => {
    const h = await startHarness({ seed: true });
    const paused = await h.call<WireWebhook>('PATCH', '/v2/webhooks/65a0f1c2e4b0a1b2c3d4e501', {
      body: { status: 'paused' },
    });
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('paused');

    const suspended = SAMPLE_WEBHOOKS.find((webhook) => webhook.status === 'suspended');
    if (suspended === undefined) throw new Error('the seed has a suspended webhook');
    expect(suspended.health.consecutiveFailures).toBeGreaterThan(0);
    const reactivated = await h.call<WireWebhook>('PATCH', `/v2/webhooks/${suspended.id}`, {
      body: { status: 'active' },
    });
    expect(reactivated.status).toBe(200);
    expect(reactivated.body.status).toBe('active');
    expect(reactivated.body.health).toEqual({
      ...suspended.health,
      errorsSinceLastSuccess: 0,
      consecutiveFailures: 0,
    });
  });

  it('deletes a webhook for good', async () => {
    const h = await startHarness();
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', { body: validCreateBody() });
    const deleted = await h.call<WireDeletedWebhook>('DELETE', `/v2/webhooks/${created.body.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ id: created.body.id, object: 'webhook', deleted: true });
    expect(Object.keys(deleted.body)).toEqual(['id', 'object', 'deleted']);

    expectError(await h.call('GET', `/v2/webhooks/${created.body.id}`), {
      status: 404,
      type: 'invalid_request_error',
      code: 'resource_not_found',
      param: 'id',
    });
    expectError(await h.call('DELETE', `/v2/webhooks/${created.body.id}`), {
      status: 404,
      type: 'invalid_request_error',
      code: 'resource_not_found',
      param: 'id',
    });
  });

  it('answers unknown and malformed ids with the documented 404', async () => {
    const h = await startHarness();
    for (const id of ['507f1f77bcf86cd799439011', 'not-an-id', '507f1f77bcf86cd79943901', '']) {
      const error = expectError(await h.call('GET', `/v2/webhooks/${id}`), {
        status: 404,
        type: 'invalid_request_error',
        code: 'resource_not_found',
        param: 'id',
      });
      expect(error.message).toBe('Webhook not found');
    }
    for (const [method, path] of [
      ['PATCH', '/v2/webhooks/507f1f77bcf86cd799439011'],
      ['POST', '/v2/webhooks/507f1f77bcf86cd799439011/secret'],
      ['POST', '/v2/webhooks/zz/secret'],
    ] as const) {
      expectError(await h.call(method, path, { body: {} }), {
        status: 404,
        type: 'invalid_request_error',
        code: 'resource_not_found',
        param: 'id',
      });
    }
  });

  it('answers unknown paths with 404 and a wrong method with 405 and Allow', async () => {
    const h = await startHarness();
    expectError(await h.call('GET', '/v2/posts'), {
      status: 404,
      type: 'invalid_request_error',
      code: 'route_not_found',
    });
    expectError(await h.call('GET', '/v2/webhooks/507f1f77bcf86cd799439011/secret/x'), {
      status: 404,
      type: 'invalid_request_error',
      code: 'route_not_found',
    });
    const cases = [
      ['PUT', '/v2/webhooks', 'GET, POST'],
      ['DELETE', '/v2/webhooks', 'GET, POST'],
      ['POST', '/v2/webhooks/507f1f77bcf86cd799439011', 'GET, PATCH, DELETE'],
      ['GET', '/v2/webhooks/507f1f77bcf86cd799439011/secret', 'POST'],
    ] as const;
    for (const [method, path, allow] of cases) {
      const result = await h.call(method, path);
      expectError(result, {
        status: 405,
        type: 'invalid_request_error',
        code: 'method_not_allowed',
      });
      expect(result.headers.get('allow')).toBe(allow);
    }
  });

  it('stamps createdAt and updatedAt as ISO strings from the clock', async () => {
    const h = await startHarness();
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', { body: validCreateBody() });
    expect(created.body.createdAt).toMatch(ISO);
    expect(created.body.updatedAt).toBe(created.body.createdAt);
  });
});
