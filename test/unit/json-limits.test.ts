/**
 * Bounds on a request's variables and extensions (src/graphql/json-limits.ts), before JSON.parse on the
 * raw body and after it on parsed params: both must agree on what real requests carry and what
 * the padding attack carries.
 */

import { describe, expect, it } from 'vitest';
import {
  checkJsonValues,
  DEFAULT_JSON_LIMITS,
  JsonBoundsScan,
  type JsonLimits,
} from '../../src/graphql/json-limits.ts';

/** A whole body at once, as the front sees one that arrived in a single chunk. */
const scanJsonBody = (body: Uint8Array, limits: JsonLimits) =>
  new JsonBoundsScan(limits).feed(body);
const scan = (body: unknown, limits: JsonLimits = DEFAULT_JSON_LIMITS) =>
  scanJsonBody(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), limits);

/** Both checks, on the same request: they must give the same verdict. */
function verdicts(
  body: { query?: string; variables?: unknown; extensions?: unknown },
  limits = DEFAULT_JSON_LIMITS,
) {
  return [scan(body, limits), checkJsonValues(body, limits)];
}

const ID = '65a0f1c2e4b0a1b2c3d4e501';

describe('what real requests carry passes', () => {
  it.each([
    ['no variables', { query: '{ __typename }' }],
    ['an id', { query: 'query ($id: ID!) { webhook(id: $id) { id } }', variables: { id: ID } }],
    [
      'a create with ten delivery headers of 1,000 characters',
      {
        query: 'mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }',
        variables: {
          input: {
            name: 'Orders',
            url: 'https://hooks.example.com/x',
            topics: ['post.created'],
            requestConfig: {
              timeoutMs: 5000,
              headers: Array.from({ length: 10 }, (_, n) => ({
                name: `X-${n}`,
                value: 'v'.repeat(1000),
              })),
            },
          },
        },
      },
    ],
    [
      "a router's batch of 100 references",
      {
        query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Webhook { id } } }',
        variables: { r: Array.from({ length: 100 }, () => ({ __typename: 'Webhook', id: ID })) },
        extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } },
      },
    ],
  ])('%s', (_, body) => {
    expect(verdicts(body)).toEqual([undefined, undefined]);
  });

  it('a long query text is not variables: only its own length limit applies', () => {
    expect(scan({ query: `{ ${'__typename '.repeat(6000)}}` })).toBeUndefined();
  });
});

describe('what the padding attack carries is refused', () => {
  it('330,000 empty arrays in 1 MB: too many values', () => {
    const body = `{"query":"{ __typename }","variables":{"pad":[${'[],'.repeat(330_000)}[]]}}`;
    expect(scan(body)).toBe('values');
    // Parsed, it is refused too (the walk meets the byte bound of the outer array first).
    expect(checkJsonValues(JSON.parse(body), DEFAULT_JSON_LIMITS)).toBeDefined();
  });

  it('one 100 KB string: too many bytes', () => {
    expect(verdicts({ query: '{ __typename }', variables: { s: 'x'.repeat(100_000) } })).toEqual([
      'bytes',
      'bytes',
    ]);
  });

  it('extensions are bounded like variables', () => {
    expect(verdicts({ query: '{ __typename }', extensions: { s: 'x'.repeat(100_000) } })).toEqual([
      'bytes',
      'bytes',
    ]);
  });

  it('nesting deeper than the bound', () => {
    let deep: unknown = 1;
    for (let level = 0; level < 13; level++) deep = [deep];
    expect(verdicts({ query: '{ __typename }', variables: { deep } })).toEqual(['depth', 'depth']);
    let fine: unknown = 1;
    for (let level = 0; level < 10; level++) fine = [fine];
    expect(verdicts({ query: '{ __typename }', variables: { fine } })).toEqual([
      undefined,
      undefined,
    ]);
  });

  it('a member name spelled with escapes is still `variables`', () => {
    const body = `{"query":"{ __typename }","\\u0076ariables":{"s":"${'x'.repeat(100_000)}"}}`;
    expect(JSON.parse(body)).toHaveProperty('variables');
    expect(scan(body)).toBe('bytes');
  });

  it('every copy of a repeated member is bounded (JSON.parse keeps the last)', () => {
    const big = `{"s":"${'x'.repeat(100_000)}"}`;
    expect(scan(`{"variables":${big},"variables":{},"query":"{ a }"}`)).toBe('bytes');
    expect(scan(`{"variables":{},"variables":${big},"query":"{ a }"}`)).toBe('bytes');
  });

  it('brackets, quotes and commas inside strings are text, not structure', () => {
    const text = '[[[[[[[[[[[[[[[[ ,,,,,, \\" {{{{{{{{{{{{{';
    expect(scan({ query: '{ __typename }', variables: { text } })).toBeUndefined();
  });

  it('a variables value that is a string or number is bounded too', () => {
    expect(scan(`{"query":"{ a }","variables":"${'x'.repeat(70_000)}"}`)).toBe('bytes');
    expect(scan(`{"variables":"${'x'.repeat(70_000)}","query":"{ a }"}`)).toBe('bytes');
  });
});

describe('limits are the ones given', () => {
  it('small limits refuse what the defaults allow', () => {
    const limits: JsonLimits = {
      maxVariablesBytes: 20,
      maxVariablesDepth: 1,
      maxVariablesValues: 5,
    };
    expect(verdicts({ variables: { a: 'x'.repeat(30) } }, limits)).toEqual(['bytes', 'bytes']);
    expect(verdicts({ variables: { a: [1] } }, limits)).toEqual(['depth', 'depth']);
    expect(verdicts({ variables: { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 } }, limits)).toEqual([
      'values',
      'values',
    ]);
  });
});

describe('as the bytes arrive', () => {
  it('gives the same verdict whatever the chunks, a member name cut in two included', () => {
    const limits: JsonLimits = {
      maxVariablesBytes: 40,
      maxVariablesDepth: 2,
      maxVariablesValues: 12,
    };
    const bodies = [
      '{"query":"{ a }","variables":{"id":"x"}}',
      `{"query":"{ a }","variables":{"s":"${'x'.repeat(50)}"}}`,
      '{"query":"{ a }","variables":{"a":[[[1]]]}}',
      '{"query":"{ a }","\\u0076ariables":{"a":[1,2,3,4,5,6,7,8,9,10,11,12,13]}}',
      '{"query":"{ a \\"[[[[\\" }","extensions":{"a":1}}',
    ];
    for (const body of bodies) {
      const bytes = Buffer.from(body);
      const whole = scanJsonBody(bytes, limits);
      for (let cut = 1; cut < bytes.length; cut++) {
        const scan = new JsonBoundsScan(limits);
        scan.feed(bytes.subarray(0, cut));
        scan.feed(bytes.subarray(cut));
        expect(scan.violation, `${body} cut at ${cut}`).toBe(whole);
      }
    }
  });

  it('refuses 1 MB of padding within its first 16 KB', () => {
    const body = Buffer.from(`{"query":"{ a }","variables":{"pad":[${'[],'.repeat(330_000)}[]]}}`);
    const scan = new JsonBoundsScan(DEFAULT_JSON_LIMITS);
    expect(scan.feed(body.subarray(0, 16 * 1024))).toBe('values');
  });
});
