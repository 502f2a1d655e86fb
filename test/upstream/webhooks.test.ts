/** One test group per endpoint: method, path, query, body, decoding, and refusals before sending. */

import { afterEach, describe, expect, it } from 'vitest';
import type { FeaturebaseClient } from '../../src/upstream/client.ts';
import { InvalidArgumentError, UpstreamProtocolError } from '../../src/upstream/errors.ts';
import type { WireListParams, WireUpdateParams } from '../../src/upstream/wire.ts';
import { caller, ID, mockUpstream, rejection, testClient, WEBHOOK } from './helpers.ts';

let upstream = mockUpstream();
afterEach(async () => {
  await upstream.agent.close();
  upstream = mockUpstream();
});

const anyPath = () => true;

describe('list', () => {
  it('sends no query when no parameter is given', async () => {
    upstream.pool
      .intercept({ path: anyPath, method: 'GET' })
      .reply(200, { object: 'list', data: [WEBHOOK], nextCursor: 'c2' });
    const { client } = testClient(upstream.agent);
    const list = await client.webhooks.list({}, caller());
    expect(upstream.calls()[0]?.fullUrl).toBe('https://featurebase.test/v2/webhooks');
    expect(list).toEqual({ object: 'list', data: [WEBHOOK], nextCursor: 'c2' });
  });

  it('sends only the parameters given, encoded', async () => {
    upstream.pool
      .intercept({ path: anyPath, method: 'GET' })
      .reply(200, { object: 'list', data: [], nextCursor: null })
      .times(2);
    const { client } = testClient(upstream.agent);
    await client.webhooks.list(
      { limit: 5, cursor: 'eyJpZCI6IjEifQ==&x=/', status: 'paused' },
      caller(),
    );
    await client.webhooks.list({ status: 'suspended' }, caller());
    const [first, second] = upstream.calls();
    expect(first?.fullUrl).toBe(
      'https://featurebase.test/v2/webhooks?limit=5&cursor=eyJpZCI6IjEifQ%3D%3D%26x%3D%2F&status=paused',
    );
    expect(first?.searchParams).toEqual({
      limit: '5',
      cursor: 'eyJpZCI6IjEifQ==&x=/',
      status: 'paused',
    });
    expect(second?.fullUrl).toBe('https://featurebase.test/v2/webhooks?status=suspended');
  });

  it('accepts the limits of limit and cursor', async () => {
    upstream.pool
      .intercept({ path: anyPath, method: 'GET' })
      .reply(200, { object: 'list', data: [], nextCursor: null })
      .times(2);
    const { client } = testClient(upstream.agent);
    await client.webhooks.list({ limit: 1, cursor: 'c'.repeat(512) }, caller());
    await client.webhooks.list({ limit: 100 }, caller());
    expect(upstream.calls()).toHaveLength(2);
  });

  it.each([
    ['limit', { limit: 0 }],
    ['limit', { limit: 101 }],
    ['limit', { limit: 1.5 }],
    ['limit', { limit: Number.NaN }],
    ['cursor', { cursor: '' }],
    ['cursor', { cursor: 'c'.repeat(513) }],
    ['status', { status: 'deleted' }],
  ])('refuses a bad %s before sending', async (param, params) => {
    const { client } = testClient(upstream.agent);
    const error = await rejection(client.webhooks.list(params as WireListParams, caller()));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ param });
    expect(upstream.calls()).toHaveLength(0);
  });
});

describe('retrieve', () => {
  it('GETs the webhook', async () => {
    upstream.pool.intercept({ path: `/v2/webhooks/${ID}`, method: 'GET' }).reply(200, WEBHOOK);
    const { client } = testClient(upstream.agent);
    await expect(client.webhooks.retrieve(ID, caller())).resolves.toEqual(WEBHOOK);
  });
});

describe('create', () => {
  it('POSTs the params as JSON', async () => {
    upstream.pool.intercept({ path: '/v2/webhooks', method: 'POST' }).reply(201, WEBHOOK);
    const { client } = testClient(upstream.agent);
    const params = {
      name: 'Production Webhook',
      url: 'https://example.com/webhooks',
      topics: ['post.created' as const],
      requestConfig: { headers: { 'X-Custom-Header': 'value' }, timeoutMs: 5000 },
    };
    await expect(client.webhooks.create(params, caller())).resolves.toEqual(WEBHOOK);
    expect(JSON.parse(upstream.calls()[0]?.body ?? '')).toEqual(params);
  });
});

describe('update', () => {
  it('PATCHes only the given keys, keeping description: null', async () => {
    upstream.pool
      .intercept({ path: `/v2/webhooks/${ID}`, method: 'PATCH' })
      .reply(200, { ...WEBHOOK, description: null });
    const { client } = testClient(upstream.agent);
    const params = {
      description: null,
      status: 'paused',
      name: undefined,
    } as unknown as WireUpdateParams;
    const updated = await client.webhooks.update(ID, params, caller());
    expect(updated.description).toBeNull();
    expect(upstream.calls()[0]?.body).toBe('{"description":null,"status":"paused"}');
  });
});

describe('delete', () => {
  it('DELETEs and decodes the confirmation', async () => {
    upstream.pool
      .intercept({ path: `/v2/webhooks/${ID}`, method: 'DELETE' })
      .reply(200, { id: ID, object: 'webhook', deleted: true });
    const { client } = testClient(upstream.agent);
    await expect(client.webhooks.delete(ID, caller())).resolves.toEqual({
      id: ID,
      object: 'webhook',
      deleted: true,
    });
    expect(upstream.calls()[0]?.body ?? null).toBeNull();
  });

  it('reads a bare 204 as a confirmation', async () => {
    upstream.pool.intercept({ path: `/v2/webhooks/${ID}`, method: 'DELETE' }).reply(204, '');
    const { client } = testClient(upstream.agent);
    await expect(client.webhooks.delete(ID, caller())).resolves.toEqual({
      id: ID,
      object: 'webhook',
      deleted: true,
    });
  });
});

describe('refreshSecret', () => {
  it('POSTs to /secret with no body and returns the new secret', async () => {
    upstream.pool
      .intercept({ path: `/v2/webhooks/${ID}/secret`, method: 'POST' })
      .reply(200, { ...WEBHOOK, secret: 'whsec_new' });
    const { client } = testClient(upstream.agent);
    await expect(client.webhooks.refreshSecret(ID, caller())).resolves.toMatchObject({
      secret: 'whsec_new',
    });
    expect(upstream.calls()[0]?.body ?? null).toBeNull();
  });
});

describe('ids', () => {
  const bad = ['../../v2/admin', `${ID}/secret`, `${ID}?x=1`, '%2e%2e%2f', ''];
  it.each(bad)('refuses %j on every endpoint, with zero requests', async (id) => {
    const { client } = testClient(upstream.agent);
    const calls = [
      client.webhooks.retrieve(id, caller()),
      client.webhooks.update(id, { name: 'x' }, caller()),
      client.webhooks.delete(id, caller()),
      client.webhooks.refreshSecret(id, caller()),
    ];
    for (const call of calls) {
      const error = await rejection(call);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ param: 'id' });
    }
    expect(upstream.calls()).toHaveLength(0);
  });
});

describe('an answer about another webhook', () => {
  const OTHER_ID = '507f1f77bcf86cd799439099';
  const OTHER = { ...WEBHOOK, id: OTHER_ID, secret: 'whsec_OTHER_SECRET_0123' };

  it.each([
    [
      'retrieve',
      'GET',
      `/v2/webhooks/${ID}`,
      (client: FeaturebaseClient) => client.webhooks.retrieve(ID, caller()),
    ],
    [
      'update',
      'PATCH',
      `/v2/webhooks/${ID}`,
      (client: FeaturebaseClient) => client.webhooks.update(ID, { name: 'x' }, caller()),
    ],
    [
      'refreshSecret',
      'POST',
      `/v2/webhooks/${ID}/secret`,
      (client: FeaturebaseClient) => client.webhooks.refreshSecret(ID, caller()),
    ],
    [
      'delete',
      'DELETE',
      `/v2/webhooks/${ID}`,
      (client: FeaturebaseClient) => client.webhooks.delete(ID, caller()),
    ],
  ] as const)('%s: an UpstreamProtocolError naming neither id', async (_, method, path, call) => {
    const body = method === 'DELETE' ? { id: OTHER_ID, object: 'webhook', deleted: true } : OTHER;
    upstream.pool.intercept({ path, method }).reply(200, body);
    const { client } = testClient(upstream.agent);
    const error = await rejection(call(client));
    expect(error).toBeInstanceOf(UpstreamProtocolError);
    expect(error).toMatchObject({ status: 200 });
    const message = (error as Error).message;
    for (const text of [ID, OTHER_ID, OTHER.secret]) expect(message).not.toContain(text);
    // Never retried: the answer is not a failure of the connection.
    expect(upstream.calls()).toHaveLength(1);
  });

  it('accepts the same id in another case (ObjectIds are case-insensitive hex)', async () => {
    const upper = ID.toUpperCase();
    upstream.pool.intercept({ path: `/v2/webhooks/${upper}`, method: 'GET' }).reply(200, WEBHOOK);
    upstream.pool
      .intercept({ path: `/v2/webhooks/${ID}/secret`, method: 'POST' })
      .reply(200, { ...WEBHOOK, id: upper });
    const { client } = testClient(upstream.agent);
    await expect(client.webhooks.retrieve(upper, caller())).resolves.toEqual(WEBHOOK);
    await expect(client.webhooks.refreshSecret(ID, caller())).resolves.toMatchObject({ id: upper });
  });
});
