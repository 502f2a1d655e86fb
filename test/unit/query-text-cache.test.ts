/**
 * Query texts kept between requests (src/query-text-cache.ts): never one with a string literal,
 * which may be a key or a secret written into the query; bounded, oldest out first.
 */

import { describe, expect, it } from 'vitest';
import { mayKeepQueryText, queryTextCache } from '../../src/query-text-cache.ts';

describe('queryTextCache', () => {
  it.each([
    '{ webhook(id: "65a0f1c2e4b0a1b2c3d4e501") { id } }',
    'mutation { createWebhook(input: { requestConfig: { headers: [{ name: "X", value: "s3cret" }] } }) { id } }',
    '{ a(s: """block""") }',
    'query ($s: String = "default") { a(s: $s) }',
  ])('never keeps a text with a string literal: %s', (text) => {
    const cache = queryTextCache<string>();
    cache.set(text, 'parsed');
    expect(mayKeepQueryText(text)).toBe(false);
    expect(cache.get(text)).toBeUndefined();
  });

  it('keeps a text whose values come as variables, numbers, enums or booleans', () => {
    const cache = queryTextCache<string>();
    const text =
      'query ($id: ID!) { webhook(id: $id) { id } webhooks(first: 10, status: ACTIVE) { pageInfo { hasNextPage } } }';
    cache.set(text, 'parsed');
    expect(cache.get(text)).toBe('parsed');
  });

  it('holds at most its number of entries, oldest out first', () => {
    const cache = queryTextCache<number>(2);
    for (const n of [1, 2, 3]) cache.set(`{ a${n}: a }`, n);
    expect(cache.get('{ a1: a }')).toBeUndefined();
    expect(cache.get('{ a2: a }')).toBe(2);
    expect(cache.get('{ a3: a }')).toBe(3);
  });
});
