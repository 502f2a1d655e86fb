/**
 * Validation verdicts kept by shape (src/graphql/plugins/shape-validation-cache.ts), on a small
 * schema with what the gateway's schema lacks: a custom scalar whose `parseLiteral` accepts some
 * strings and refuses others. Validations are counted with a rule that counts its runs.
 */

import {
  GraphQLEnumType,
  type GraphQLError,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  Kind,
  parse,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { ShapeValidationCache } from '../../src/graphql/plugins/shape-validation-cache.ts';
import { readsShapeOnly } from '../../src/graphql/query-shape.ts';

/** Lower-case hexadecimal only: whether a literal is valid here depends on what it says. */
const Hex = new GraphQLScalarType({
  name: 'Hex',
  parseValue: (value) => value,
  parseLiteral: (node) =>
    node.kind === Kind.STRING && /^[0-9a-f]+$/.test(node.value) ? node.value : undefined,
});

function makeSchema(): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        echo: {
          type: GraphQLString,
          args: {
            s: { type: GraphQLString },
            h: { type: Hex },
            c: { type: new GraphQLEnumType({ name: 'Color', values: { RED: {} } }) },
          },
        },
      },
    }),
  });
}

const schema = makeSchema();

/** A rule that counts the validations it takes part in. */
function countingRule(): { rule: ValidationRule; runs: () => number } {
  let runs = 0;
  const rule = readsShapeOnly(() => {
    runs++;
    return {};
  });
  return { rule, runs: () => runs };
}

function setup(bounds?: ConstructorParameters<typeof ShapeValidationCache>[0]) {
  const cache = new ShapeValidationCache(bounds);
  const counter = countingRule();
  const rules = [...specifiedRules, counter.rule];
  const check = (text: string, withRules: readonly ValidationRule[] = rules) =>
    cache.validate(validate, schema, parse(text), withRules);
  return { cache, rules, check, runs: counter.runs };
}

/** What graphql-js says of the text with every rule, without any cache. */
function plain(text: string, rules: readonly ValidationRule[]): GraphQLError[] {
  return [...validate(schema, parse(text), rules)];
}

const asJson = (errors: readonly GraphQLError[]) => errors.map((error) => error.toJSON());

describe('ShapeValidationCache', () => {
  it('validates a shape once, whatever its String literals say', () => {
    const { cache, check, runs } = setup();
    for (const value of ['first', 'second', 'sk_live_a_secret', '']) {
      expect(check(`{ echo(s: "${value}") }`)).toEqual([]);
    }
    expect(runs()).toBe(1);
    expect(cache.stats).toMatchObject({ validated: 1, served: 3, rechecked: 0, bypassed: 0 });
  });

  it("rechecks a custom scalar's literal on every request; a refused one gets the usual errors", () => {
    const { cache, rules, check, runs } = setup();
    expect(check('{ echo(h: "abc") }')).toEqual([]);
    expect(check('{ echo(h: "0f0f") }')).toEqual([]);
    expect(cache.stats).toMatchObject({ validated: 1, rechecked: 1 });
    expect(runs()).toBe(1);

    const refused = '{ echo(h: "not hex") }';
    const errors = check(refused);
    expect(errors).toHaveLength(1);
    expect(asJson(errors)).toEqual(asJson(plain(refused, rules)));
    expect(cache.stats).toMatchObject({ recheckFailed: 1, validated: 2 });
    // The refusal is not remembered, and the shape's verdict stays.
    expect(check('{ echo(h: "beef") }')).toEqual([]);
    expect(cache.stats).toMatchObject({ rechecked: 2 });
  });

  it('never serves a verdict across literals that compare differently (overlapping fields)', () => {
    const { check, rules } = setup();
    expect(check('{ a: echo(s: "x") a: echo(s: "x") }')).toEqual([]);
    const conflict = '{ a: echo(s: "x") a: echo(s: "y") }';
    const errors = check(conflict);
    expect(errors).toHaveLength(1);
    expect(asJson(errors)).toEqual(asJson(plain(conflict, rules)));
  });

  it('remembers no refusal: a string for an enum gets the same errors every time', () => {
    const { cache, check, rules, runs } = setup();
    const text = '{ echo(c: "RED") }';
    const expected = asJson(plain(text, rules));
    const before = runs();
    expect(asJson(check(text))).toEqual(expected);
    expect(asJson(check(text))).toEqual(expected);
    expect(runs() - before).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('leaves texts without a quote to Yoga: nothing kept, nothing counted', () => {
    const { cache, check, runs } = setup();
    check('{ echo }');
    check('{ echo }');
    expect(runs()).toBe(2);
    expect(cache.size).toBe(0);
    expect(cache.stats).toMatchObject({ validated: 0, served: 0, bypassed: 0 });
  });

  it('is not used when a rule nobody classified takes part: it might read a literal', () => {
    const { cache, check, rules, runs } = setup();
    const unclassified: ValidationRule = () => ({});
    check('{ echo(s: "a") }', [...rules, unclassified]);
    check('{ echo(s: "b") }', [...rules, unclassified]);
    expect(runs()).toBe(2);
    expect(cache.stats).toMatchObject({ bypassed: 2, served: 0 });
  });

  it('keeps verdicts per schema and rule list: another one starts afresh', () => {
    const { cache, check, rules, runs } = setup();
    check('{ echo(s: "a") }');
    check('{ echo(s: "b") }', rules.slice(0, -1).concat(countingRule().rule));
    expect(runs()).toBe(1);
    expect(cache.stats.validated).toBe(2);
    const other = makeSchema();
    cache.validate(validate, other, parse('{ echo(s: "c") }'), rules);
    expect(runs()).toBe(2);
    expect(cache.stats.validated).toBe(3);
  });

  it('keeps no literal: its keys hold none of the values sent', () => {
    const { cache, check } = setup();
    const values = ['sk_live_0123456789abcdef', 'whsec_abcdef', 'X-Team: ops'];
    for (const [index, value] of values.entries()) {
      check(`{ f${index}: echo(s: ${JSON.stringify(value)}) g: echo(h: "abc${index}") }`);
    }
    const keys = [...cache.keys()];
    expect(keys).toHaveLength(values.length);
    for (const text of keys) {
      expect(text).not.toContain('"');
      for (const value of [...values, 'abc0', 'abc1', 'abc2']) expect(text).not.toContain(value);
    }
  });

  it('stays within its bounds under a flood of distinct shapes, least recently used out', () => {
    const bounds = { maxEntries: 50, maxBytes: 4096, maxEntryBytes: 256 };
    const { cache, check, runs } = setup(bounds);
    check('{ kept: echo(s: "x") }');
    for (let index = 0; index < 500; index++) {
      check(`{ f${index}: echo(s: "x") }`);
      check('{ kept: echo(s: "y") }');
      expect(cache.size).toBeLessThanOrEqual(bounds.maxEntries);
      expect(cache.bytes).toBeLessThanOrEqual(bounds.maxBytes);
    }
    // Used all along, the first shape was never pushed out.
    expect(runs()).toBe(501);
    // A shape whose key would be longer than an entry may be is validated, never kept.
    const long = `{ ${'echo '.repeat(60)}echo(s: "x") }`;
    check(long);
    check(long);
    expect(cache.stats.bypassed).toBe(2);
  });
});
