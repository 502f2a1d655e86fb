/**
 * A document's shape (src/graphql/query-shape.ts): its tokens with every string literal's content
 * left out, which literals equal which, and where a literal's content decides validity.
 */

import {
  type DocumentNode,
  parse,
  specifiedRules,
  type ValidationRule,
  ValuesOfCorrectTypeRule,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../schema/index.ts';
import { contentMatters, ruleReading, shapeKeyOf } from '../../src/graphql/query-shape.ts';

const key = (text: string, maxLength = 100_000) => shapeKeyOf(parse(text), maxLength);

describe('shapeKeyOf', () => {
  it('is the same whatever the string literals say, and holds none of them', () => {
    const first = key('mutation { refreshWebhookSecret(id: "65a0f1c2e4b0a1b2c3d4e501") { id } }');
    const second = key('mutation { refreshWebhookSecret(id: "sk_live_a_secret") { id } }');
    expect(first).toBe(second);
    expect(first).toBe('mutation { refreshWebhookSecret ( id : <s0> ) { id } } ');
    expect(first).not.toContain('"');
    expect(first).not.toContain('65a0f1c2e4b0a1b2c3d4e501');
  });

  it('says which literals are equal, not what they say (overlapping fields compare them)', () => {
    const same = key('{ a: webhook(id: "x") { id } a: webhook(id: "x") { id } }');
    const different = key('{ a: webhook(id: "x") { id } a: webhook(id: "y") { id } }');
    expect(same).not.toBe(different);
    expect(same).toContain('<s0> ) { id } a : webhook ( id : <s0>');
    expect(different).toContain('<s0> ) { id } a : webhook ( id : <s1>');
    // Block strings are marked apart: graphql-js prints (and compares) them apart.
    expect(key('{ a(s: """x""") }')).toBe('{ a ( s : <b0> ) } ');
    expect(key('{ a(s: """x""") }')).not.toBe(key('{ a(s: "x") }'));
    // Equal content under another escape is the same value.
    expect(key('{ a(s: "x", t: "\\u0078") }')).toBe('{ a ( s : <s0> t : <s0> ) } ');
  });

  it('ignores what the lexer ignores: blanks, commas, comments (which may hold anything)', () => {
    const plain = key('{ webhooks(first: 10, after: "c") { nodes { id } } }');
    const spaced = key(
      '# a comment with "quotes" and sk_live_key\n{webhooks(first:10 after:"d"){nodes{id}}}',
    );
    expect(spaced).toBe(plain);
    expect(spaced).not.toContain('sk_live_key');
  });

  it('differs after any change of names, numbers or punctuation', () => {
    const base = '{ webhooks(first: 10, after: "c") { nodes { id } } }';
    for (const changed of [
      '{ webhooks(first: 11, after: "c") { nodes { id } } }',
      '{ webhooks(first: 10, after: "c") { nodes { id name } } }',
      '{ w: webhooks(first: 10, after: "c") { nodes { id } } }',
      '{ webhooks(first: 10, after: ["c"]) { nodes { id } } }',
      'query Q { webhooks(first: 10, after: "c") { nodes { id } } }',
      '{ webhooks(first: 10.0, after: "c") { nodes { id } } }',
    ]) {
      expect(key(changed)).not.toBe(key(base));
    }
  });

  it('gives up on a key longer than asked, and on a document without a token list', () => {
    const text = `{ ${'a '.repeat(100)}b(s: "x") }`;
    expect(key(text, 100)).toBeUndefined();
    expect(key(text, 1000)).toBeDefined();
    expect(shapeKeyOf(parse(text, { noLocation: true }), 1000)).toBeUndefined();
  });
});

describe('contentMatters', () => {
  const matters = (text: string) => contentMatters(schema, parse(text) as DocumentNode);

  it('not at String or ID positions, however nested in input objects and lists', () => {
    expect(
      matters('mutation { refreshWebhookSecret(id: "65a0f1c2e4b0a1b2c3d4e501") { id } }'),
    ).toBe(false);
    expect(matters('{ webhooks(after: "cursor") { nodes { id } } }')).toBe(false);
    expect(
      matters(`mutation {
        createWebhook(input: {
          name: "n", url: "https://example.com/hook", topics: [POST_CREATED],
          requestConfig: { headers: [{ name: "X-Team", value: "ops" }] }
        }) { id }
      }`),
    ).toBe(false);
    expect(
      matters('query ($after: String = "c") { webhooks(after: $after) { nodes { id } } }'),
    ).toBe(false);
  });

  it('at a custom scalar: `_Any`, whose parseLiteral gets the whole representation', () => {
    expect(
      matters(
        '{ _entities(representations: [{ __typename: "Webhook", id: "x" }]) { __typename } }',
      ),
    ).toBe(true);
    expect(matters('{ _entities(representations: ["x"]) { __typename } }')).toBe(true);
  });

  it('where no string is ever valid (an enum, an Int) or no type is known', () => {
    expect(matters('{ webhooks(status: "ACTIVE") { nodes { id } } }')).toBe(true);
    expect(matters('{ webhooks(first: "10") { nodes { id } } }')).toBe(true);
    expect(matters('{ webhooks(nope: "x") { nodes { id } } }')).toBe(true);
  });
});

describe('ruleReading', () => {
  it("classifies every one of graphql-js's specified rules", () => {
    const readings = Object.fromEntries(
      specifiedRules.map((rule) => [rule.name, ruleReading(rule)]),
    );
    expect(Object.values(readings).filter((reading) => reading === undefined)).toEqual([]);
    expect(readings['ValuesOfCorrectTypeRule']).toBe('content');
    expect(readings['OverlappingFieldsCanBeMergedRule']).toBe('equality');
    expect(ruleReading(ValuesOfCorrectTypeRule)).toBe('content');
  });

  it('knows nothing of a rule nobody classified', () => {
    const unknown: ValidationRule = () => ({});
    expect(ruleReading(unknown)).toBeUndefined();
  });
});
