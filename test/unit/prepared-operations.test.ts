/**
 * The memory of accepted query texts (src/prepared-operations.ts): bounded by entries and by
 * characters, oldest forgotten first, and keyed so that no two (name, text) pairs collide.
 */

import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { type DirectExecution, PreparedOperations } from '../../src/prepared-operations.ts';

const direct: DirectExecution = {
  schema: buildSchema('type Query { a: Int }'),
  contextFor: () => {
    throw new Error('not executed here');
  },
  maskError: (error) => error,
};

describe('PreparedOperations', () => {
  it('remembers a text under its operation name only', () => {
    const prepared = new PreparedOperations(direct);
    prepared.remember({ query: 'query A { a }', operationName: 'A' });
    expect(prepared.lookup({ query: 'query A { a }', operationName: 'A' })).toBeDefined();
    expect(prepared.lookup({ query: 'query A { a }' })).toBeUndefined();
    expect(prepared.lookup({ query: 'query A { a }', operationName: 'B' })).toBeUndefined();
  });

  it('tells no name from an empty one, and a name from the start of a text', () => {
    const prepared = new PreparedOperations(direct);
    prepared.remember({ query: '{ a }' });
    expect(prepared.lookup({ query: '{ a }', operationName: '' })).toBeUndefined();
    prepared.remember({ query: '{ a }', operationName: 'x' });
    expect(prepared.lookup({ query: 'x{ a }' })).toBeUndefined();
    expect(prepared.lookup({ query: ':{ a }', operationName: '1:x' })).toBeUndefined();
  });

  it('never remembers a text with a string literal (it may be a key or a secret)', () => {
    const prepared = new PreparedOperations(direct);
    for (const query of [
      '{ a(s: "sk_live_written_into_the_query") }',
      '{ a(s: """block""") }',
      'query ($s: String = "default") { a(s: $s) }',
      '{ a(l: [1, {x: "nested"}]) }',
    ]) {
      prepared.remember({ query });
      expect(prepared.lookup({ query })).toBeUndefined();
    }
    expect(prepared.size).toBe(0);
    prepared.remember({ query: '{ a(n: 1, e: ENUM_VALUE, b: true) }' });
    expect(prepared.size).toBe(1);
  });

  it('forgets the oldest text beyond its entry limit', () => {
    const prepared = new PreparedOperations(direct, { maxEntries: 2 });
    for (const n of [1, 2, 3]) prepared.remember({ query: `{ a${n}: a }` });
    expect(prepared.size).toBe(2);
    expect(prepared.lookup({ query: '{ a1: a }' })).toBeUndefined();
    expect(prepared.lookup({ query: '{ a3: a }' })).toBeDefined();
  });

  it('holds at most its character budget, and never a text longer than it', () => {
    const prepared = new PreparedOperations(direct, { maxCharacters: 30 });
    prepared.remember({ query: `{ ${'a '.repeat(30)}}` });
    expect(prepared.size).toBe(0);
    for (const n of [1, 2, 3]) prepared.remember({ query: `{ long${n}: a }` });
    expect(prepared.size).toBe(2);
    expect(prepared.lookup({ query: '{ long1: a }' })).toBeUndefined();
  });
});
