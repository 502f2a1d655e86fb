/**
 * The memory of accepted query texts (src/graphql/prepared-operations.ts): a mark on the documents of
 * Yoga's parse cache, under the operation name they were executed with; nothing of its own.
 */

import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { type DirectExecution, PreparedOperations } from '../../src/graphql/prepared-operations.ts';
import { documentCache } from '../../src/graphql/query-text-cache.ts';

function setUp(bounds?: Parameters<typeof documentCache>[0]) {
  const documents = documentCache(bounds);
  const direct: DirectExecution = {
    schema: buildSchema('type Query { a: Int }'),
    documents,
    contextFor: () => {
      throw new Error('not executed here');
    },
    maskError: (error) => error,
  };
  /** As Yoga does before executing: the text is parsed and (if it may be) cached. */
  const parsedByYoga = (query: string) => documents.set(query, parse(query));
  return { documents, prepared: new PreparedOperations(direct), parsedByYoga };
}

describe('PreparedOperations', () => {
  it('remembers a text under its operation name only', () => {
    const { prepared, parsedByYoga } = setUp();
    parsedByYoga('query A { a }');
    prepared.remember({ query: 'query A { a }', operationName: 'A' });
    expect(prepared.lookup({ query: 'query A { a }', operationName: 'A' })).toBeDefined();
    expect(prepared.lookup({ query: 'query A { a }' })).toBeUndefined();
    expect(prepared.lookup({ query: 'query A { a }', operationName: 'B' })).toBeUndefined();
  });

  it('tells no name from an empty one', () => {
    const { prepared, parsedByYoga } = setUp();
    parsedByYoga('{ a }');
    prepared.remember({ query: '{ a }' });
    expect(prepared.lookup({ query: '{ a }' })).toBeDefined();
    expect(prepared.lookup({ query: '{ a }', operationName: '' })).toBeUndefined();
  });

  it('never remembers a text with a string literal (it may be a key or a secret)', () => {
    const { prepared, parsedByYoga } = setUp();
    for (const query of [
      '{ a(s: "sk_live_written_into_the_query") }',
      '{ a(s: """block""") }',
      'query ($s: String = "default") { a(s: $s) }',
      '{ a(l: [1, {x: "nested"}]) }',
    ]) {
      parsedByYoga(query);
      prepared.remember({ query });
      expect(prepared.lookup({ query })).toBeUndefined();
    }
    parsedByYoga('{ a(n: 1, e: ENUM_VALUE, b: true) }');
    prepared.remember({ query: '{ a(n: 1, e: ENUM_VALUE, b: true) }' });
    expect(prepared.lookup({ query: '{ a(n: 1, e: ENUM_VALUE, b: true) }' })).toBeDefined();
  });

  it('forgets a text when the parse cache forgets its document', () => {
    const { prepared, parsedByYoga } = setUp({ maxEntries: 2, maxBytes: 1e9, maxEntryBytes: 1e9 });
    for (const n of [1, 2, 3]) {
      parsedByYoga(`{ a${n}: a }`);
      prepared.remember({ query: `{ a${n}: a }` });
    }
    expect(prepared.lookup({ query: '{ a1: a }' })).toBeUndefined();
    expect(prepared.lookup({ query: '{ a3: a }' })).toBeDefined();
  });

  it('remembers nothing the parse cache did not keep', () => {
    const { prepared } = setUp();
    prepared.remember({ query: '{ a }' });
    expect(prepared.lookup({ query: '{ a }' })).toBeUndefined();
  });
});
