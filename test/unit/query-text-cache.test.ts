/**
 * Query texts kept between requests (src/graphql/query-text-cache.ts): never one with a string literal,
 * which may be a key or a secret written into the query; bounded in entries, in estimated bytes
 * and per entry; least recently used out first.
 */

import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  BoundedTextCache,
  DOCUMENT_CACHE_BOUNDS,
  documentCache,
  documentWeight,
  mayKeepQueryText,
} from '../../src/graphql/query-text-cache.ts';

const UNBOUNDED = { maxEntries: 1000, maxBytes: 1e9, maxEntryBytes: 1e9 };
const byLength = (text: string) => text.length;

describe('BoundedTextCache', () => {
  it.each([
    '{ webhook(id: "65a0f1c2e4b0a1b2c3d4e501") { id } }',
    'mutation { createWebhook(input: { requestConfig: { headers: [{ name: "X", value: "s3cret" }] } }) { id } }',
    '{ a(s: """block""") }',
    'query ($s: String = "default") { a(s: $s) }',
  ])('never keeps a text with a string literal: %s', (text) => {
    const cache = new BoundedTextCache<string>(UNBOUNDED, byLength);
    cache.set(text, 'parsed');
    expect(mayKeepQueryText(text)).toBe(false);
    expect(cache.get(text)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps a text whose values come as variables, numbers, enums or booleans', () => {
    const cache = new BoundedTextCache<string>(UNBOUNDED, byLength);
    const text =
      'query ($id: ID!) { webhook(id: $id) { id } webhooks(first: 10, status: ACTIVE) { pageInfo { hasNextPage } } }';
    cache.set(text, 'parsed');
    expect(cache.get(text)).toBe('parsed');
  });

  it('holds at most its number of entries, least recently used out first', () => {
    const cache = new BoundedTextCache<number>({ ...UNBOUNDED, maxEntries: 2 }, byLength);
    cache.set('{ a1: a }', 1);
    cache.set('{ a2: a }', 2);
    expect(cache.get('{ a1: a }')).toBe(1); // now the most recently used
    cache.set('{ a3: a }', 3);
    expect(cache.get('{ a2: a }')).toBeUndefined();
    expect(cache.get('{ a1: a }')).toBe(1);
    expect(cache.get('{ a3: a }')).toBe(3);
  });

  it('holds at most its bytes, and never an entry heavier than its per-entry bound', () => {
    const cache = new BoundedTextCache<string>(
      { maxEntries: 100, maxBytes: 24, maxEntryBytes: 12 },
      byLength,
    );
    cache.set('{ a: bbbbbbbbbbbbbbbbb }', 'heavy');
    expect(cache.size).toBe(0);
    for (const name of ['aaaa', 'bbbb', 'cccc']) cache.set(`{ ${name} }`, name);
    // Three entries of 8 are 24: all fit; a fourth pushes out the oldest.
    expect(cache.bytes).toBe(24);
    cache.set('{ dddd }', 'dddd');
    expect(cache.bytes).toBe(24);
    expect(cache.get('{ aaaa }')).toBeUndefined();
    expect(cache.get('{ dddd }')).toBe('dddd');
  });
});

describe('documentCache', () => {
  it('weighs a document by its tokens: a 1,000-token text is never kept, a real one is', () => {
    const cache = documentCache();
    const flood = `{ ${'__typename '.repeat(998)}}`;
    const floodDocument = parse(flood);
    expect(documentWeight(flood, floodDocument)).toBeGreaterThan(
      DOCUMENT_CACHE_BOUNDS.maxEntryBytes,
    );
    cache.set(flood, floodDocument);
    expect(cache.get(flood)).toBeUndefined();

    const real =
      'query Webhooks { webhooks(first: 10) { nodes { id name health { consecutiveFailures } } } }';
    cache.set(real, parse(real));
    expect(cache.get(real)).toBeDefined();
  });

  it('stays within its byte bound under a flood of distinct texts', () => {
    const cache = documentCache({
      maxEntries: 1024,
      maxBytes: 2 * 1024 * 1024,
      maxEntryBytes: 256 * 1024,
    });
    for (let index = 0; index < 400; index++) {
      // ~300 tokens each: under the per-entry bound, so every one is a candidate.
      const text = `{ ${'__typename '.repeat(300)}}${' '.repeat(index)}`;
      cache.set(text, parse(text));
      expect(cache.bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    }
    expect(cache.size).toBeLessThan(400);
    expect(cache.size).toBeGreaterThan(0);
  });
});
