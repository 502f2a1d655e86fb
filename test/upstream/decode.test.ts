import { describe, expect, it } from 'vitest';
import { decodeDeleted, decodeWebhook, decodeWebhookList } from '../../src/upstream/decode.ts';
import { UpstreamProtocolError } from '../../src/upstream/errors.ts';
import { ID, SECRET, WEBHOOK } from './helpers.ts';

function protocolError(run: () => unknown): UpstreamProtocolError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UpstreamProtocolError);
    return error as UpstreamProtocolError;
  }
  throw new Error('expected an UpstreamProtocolError');
}

describe('decodeWebhook', () => {
  it('returns the documented fields', () => {
    expect(decodeWebhook(structuredClone(WEBHOOK))).toEqual(WEBHOOK);
  });

  it('drops extra fields and keeps odd leaves as they came (catalogue F17)', () => {
    const odd = {
      ...WEBHOOK,
      extra: { nested: true },
      createdAt: 12,
      name: null,
      topics: ['post.created', 'new.topic'],
      status: 'archived',
    };
    const { lastStatus: _dropped, ...missing } = odd;
    const decoded = decodeWebhook(missing);
    expect(decoded).not.toHaveProperty('extra');
    expect(decoded).not.toHaveProperty('lastStatus');
    expect(decoded.createdAt).toBe(12);
    expect(decoded.name).toBeNull();
    expect(decoded.topics).toEqual(['post.created', 'new.topic']);
    expect(decoded.status).toBe('archived');
    expect(decoded.object).toBe('webhook');
  });

  it('accepts a webhook without the object tag', () => {
    const { object: _tag, ...untagged } = WEBHOOK;
    expect(decodeWebhook(untagged).id).toBe(ID);
  });

  it.each([
    ['null', null],
    ['an array', [WEBHOOK]],
    ['a string', 'webhook'],
    ['no id', { ...WEBHOOK, id: undefined }],
    ['a numeric id', { ...WEBHOOK, id: 42 }],
    ['an empty id', { ...WEBHOOK, id: '' }],
    ['another object tag', { ...WEBHOOK, object: 'list' }],
    ['an empty body', undefined],
  ])('refuses %s, without echoing the body', (_label, body) => {
    const error = protocolError(() => decodeWebhook(body, 201));
    expect(error.status).toBe(201);
    expect(error.message).not.toContain(SECRET);
  });
});

describe('decodeWebhookList', () => {
  it('decodes a page', () => {
    const list = decodeWebhookList({
      object: 'list',
      data: [WEBHOOK, { ...WEBHOOK, id: 'b'.repeat(24) }],
      nextCursor: 'abc',
    });
    expect(list.data.map((webhook) => webhook.id)).toEqual([ID, 'b'.repeat(24)]);
    expect(list.nextCursor).toBe('abc');
    expect(list.object).toBe('list');
  });

  it('reads a missing or empty nextCursor as the last page', () => {
    expect(decodeWebhookList({ object: 'list', data: [] }).nextCursor).toBeNull();
    expect(decodeWebhookList({ object: 'list', data: [], nextCursor: '' }).nextCursor).toBeNull();
    expect(decodeWebhookList({ object: 'list', data: [], nextCursor: null }).nextCursor).toBeNull();
  });

  it.each([
    ['an array', [WEBHOOK]],
    ['no data', { object: 'list', nextCursor: null }],
    ['data not an array', { object: 'list', data: {}, nextCursor: null }],
    ['a numeric cursor', { object: 'list', data: [], nextCursor: 5 }],
    ['a Clover page', { success: true, results: [WEBHOOK], page: 1, limit: 10, totalResults: 1 }],
    ['an item that is not a webhook', { object: 'list', data: [WEBHOOK, 'x'], nextCursor: null }],
    ['another object tag', { object: 'webhook', data: [], nextCursor: null }],
  ])('refuses %s', (_label, body) => {
    const error = protocolError(() => decodeWebhookList(body));
    expect(error.message).not.toContain(SECRET);
  });
});

describe('decodeDeleted', () => {
  it('decodes the confirmation and ignores extras', () => {
    expect(decodeDeleted({ id: ID, object: 'webhook', deleted: true, extra: 1 })).toEqual({
      id: ID,
      object: 'webhook',
      deleted: true,
    });
  });

  it.each([
    ['deleted false', { id: ID, object: 'webhook', deleted: false }],
    ['no id', { object: 'webhook', deleted: true }],
    ['a webhook', WEBHOOK],
    ['null', null],
  ])('refuses %s', (_label, body) => {
    protocolError(() => decodeDeleted(body));
  });
});
