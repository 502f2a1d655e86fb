/**
 * src/graphql/message-hygiene.ts over a small schema of its own, for what the gateway's schema cannot
 * produce: a scalar that words its refusal in a way the module does not know, values crafted
 * to look like the parts of a message, and error texts of other validation rules.
 */

import {
  type ExecutionResult,
  GraphQLError,
  type GraphQLScalarType,
  graphql,
  buildSchema as parseSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { scrubLeakyErrors } from '../../src/graphql/errors.ts';

const SENTINEL = 'SENTINEL-value-4242';

const schema = parseSchema(`
  scalar Chatty
  input Inner { c: Chatty, name: String! }
  input Outer { inner: Inner, list: [Inner!] }
  type Query { take(c: Chatty, outer: Outer): Boolean }
`);
// A scalar that quotes what it refuses, once as a GraphQLError and once as a plain Error.
Object.assign(schema.getType('Chatty') as GraphQLScalarType, {
  parseValue(value: unknown) {
    if (value === 'plain') throw new Error(`plain refusal of ${SENTINEL}`);
    if (value !== 'ok') throw new GraphQLError(`Chatty refuses ${JSON.stringify(value)}`);
    return value;
  },
});

async function messages(source: string, variableValues?: Record<string, unknown>) {
  const result: ExecutionResult = await graphql({ schema, source, variableValues });
  scrubLeakyErrors(result);
  const text = JSON.stringify(result);
  expect(text).not.toContain(SENTINEL);
  expect(text).not.toContain('sk_live');
  return (result.errors ?? []).map((error) => error.message);
}

describe('variable errors with a reason the module does not know', () => {
  it('name the variable type when there is no path', async () => {
    expect(await messages('query($c: Chatty!) { take(c: $c) }', { c: SENTINEL })).toEqual([
      'Variable "$c" got an invalid value; the value does not match the type "Chatty!".',
    ]);
  });

  it('keep the path, and say the value does not match there', async () => {
    const outer = { list: [{ name: 'a' }, { name: 'b', c: SENTINEL }] };
    expect(await messages('query($o: Outer) { take(outer: $o) }', { o: outer })).toEqual([
      'Variable "$o" got an invalid value at "o.list[1].c"; the value does not match the type expected there.',
    ]);
  });

  it('keep only the type of a plain Error thrown by a scalar', async () => {
    expect(await messages('query($c: Chatty) { take(c: $c) }', { c: 'plain' })).toEqual([
      'Variable "$c" got an invalid value; Expected type "Chatty".',
    ]);
  });
});

describe('values crafted to look like parts of a message', () => {
  it('cannot smuggle text through a key that imitates a path and a reason', async () => {
    const key = `${SENTINEL}" at "o.inner"; Field "name" must be non-null.`;
    const outer = { inner: { name: 'n', [key]: SENTINEL } };
    expect(await messages('query($o: Outer) { take(outer: $o) }', { o: outer })).toEqual([
      'Variable "$o" got an invalid value at "o.inner"; A field is not defined by type "Inner".',
    ]);
  });

  it('cannot smuggle text through a string value that imitates a path', async () => {
    const value = `${SENTINEL}" at "c"; Expected type "Inner" to be an object.`;
    expect(await messages('query($c: Chatty) { take(c: $c) }', { c: value })).toEqual([
      'Variable "$c" got an invalid value; the value does not match the type "Chatty".',
    ]);
  });
});

describe('other messages', () => {
  it('lose suggestions and secret-shaped names, and nothing else', async () => {
    expect(await messages('{ tak }')).toEqual(['Cannot query field "tak" on type "Query".']);
    expect(await messages('{ sk_live_abc123 }')).toEqual([
      'Cannot query field "[redacted]" on type "Query".',
    ]);
  });

  it('keep a literal null, which says nothing', async () => {
    expect(await messages('{ take(outer: { inner: { name: null } }) }')).toEqual([
      'Expected value of type "String!", found null.',
    ]);
  });

  it('drop any other literal', async () => {
    expect(await messages(`{ take(outer: { inner: "${SENTINEL}" }) }`)).toEqual([
      'Expected a value of type "Inner" here.',
    ]);
  });
});
