/**
 * Layouts and templates (src/graphql/literal-layout.ts, src/graphql/literal-templates.ts) on a
 * small schema with what a template must refuse: a custom scalar, an enum, a default value.
 */

import {
  type DocumentNode,
  GraphQLEnumType,
  GraphQLID,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  Location,
  print,
  specifiedRules,
  type Token,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { literalLayoutOf } from '../../src/graphql/literal-layout.ts';
import {
  buildTemplate,
  LITERAL_VARIABLE_PREFIX,
  LiteralTemplates,
} from '../../src/graphql/literal-templates.ts';

const Hex = new GraphQLScalarType({ name: 'Hex' });
const Color = new GraphQLEnumType({ name: 'Color', values: { RED: {}, BLUE: {} } });

const Query = new GraphQLObjectType({
  name: 'Query',
  fields: {
    echo: {
      type: GraphQLString,
      args: {
        text: { type: GraphQLString },
        id: { type: GraphQLID },
        ids: { type: new GraphQLList(new GraphQLNonNull(GraphQLID)) },
        hex: { type: Hex },
        color: { type: Color },
      },
    },
  },
});
const schema = new GraphQLSchema({ query: Query });
const MAX_TOKENS = 1000;

function layout(text: string) {
  const found = literalLayoutOf(text, MAX_TOKENS);
  if (!found) throw new Error(`no layout for ${text}`);
  return found;
}

function template(text: string) {
  return buildTemplate(schema, layout(text));
}

describe('a layout', () => {
  it('blanks every literal and comment, position for position, and keeps everything else', () => {
    const text = '{ echo(text: "sk_live_123", id: "abc") # the key is "sk_live_123"\n}';
    const found = layout(text);
    const [classes, blanked] = found.key.split('\n', 2) as [string, string];
    expect(classes).toBe('0.1');
    expect(found.key).not.toContain('sk_live');
    expect(found.key).not.toContain('abc');
    expect(found.key).not.toContain('the key');
    const comment = text.slice(text.indexOf('#'), text.indexOf('\n'));
    expect(blanked).toBe(
      `{ echo(text: "xxxxxxxxxxx", id: "xxx") ${'#'.padEnd(comment.length, 'x')}`,
    );
    expect(found.key.slice(classes.length + 1)).toHaveLength(text.length);
    expect(found.values).toEqual(['sk_live_123', 'abc']);
    expect(found.starts).toEqual([text.indexOf('"sk'), text.indexOf('"abc')]);
  });

  it('keeps the line breaks of a block string, so that later tokens keep their line', () => {
    const text = '{ echo(text: """\n  one\n  two\n""") }';
    const found = layout(text);
    expect(found.key.split('\n').slice(1).join('\n')).toBe(
      '{ echo(text: """\nxxxxx\nxxxxx\n""") }',
    );
    expect(found.values).toEqual(['one\ntwo']);
  });

  it('puts equal literals in one class, by their value', () => {
    expect(layout('{ a: echo(id: "x") b: echo(id: "y") c: echo(id: "x") }').key).toMatch(
      /^0\.1\.0\n/,
    );
    expect(layout('{ a: echo(id: "x") b: echo(id: "\\u0078") }').key).toMatch(/^0\.0\n/);
  });

  it('is none for a text without a literal, that does not lex, or past the token limit', () => {
    expect(literalLayoutOf('{ echo }', MAX_TOKENS)).toBeUndefined();
    expect(literalLayoutOf('# just a "comment"\n{ echo }', MAX_TOKENS)).toBeUndefined();
    expect(literalLayoutOf('{ echo(text: "unterminated) }', MAX_TOKENS)).toBeUndefined();
    expect(literalLayoutOf('{ echo(text: "\\q") }', MAX_TOKENS)).toBeUndefined();
    // Eight tokens: { echo ( text : "a" ) }
    expect(literalLayoutOf('{ echo(text: "a") }', 7)).toBeUndefined();
    expect(literalLayoutOf('{ echo(text: "a") }', 8)).toBeDefined();
  });
});

describe('a template', () => {
  it('is the document with each literal class as a variable of its position type', () => {
    const built = template(
      'query Q($n: String) { a: echo(id: "x", text: $n) b: echo(ids: ["x", "y"]) }',
    );
    expect(built).toBeDefined();
    expect(print(built?.document as DocumentNode)).toBe(
      [
        `query Q($n: String, $${LITERAL_VARIABLE_PREFIX}0: ID!, $${LITERAL_VARIABLE_PREFIX}1: ID!) {`,
        `  a: echo(id: $${LITERAL_VARIABLE_PREFIX}0, text: $n)`,
        `  b: echo(ids: [$${LITERAL_VARIABLE_PREFIX}0, $${LITERAL_VARIABLE_PREFIX}1])`,
        '}',
      ].join('\n'),
    );
  });

  it('keeps the locations of the text it was made from', () => {
    const text = '\n\n  { echo(text: "hello") }';
    const built = template(text);
    const operation = built?.document.definitions[0];
    expect(operation?.loc?.start).toBe(text.indexOf('{'));
    expect(operation?.loc?.source.body).not.toContain('hello');
    expect(built?.document.loc).toBeUndefined();
  });

  it.each([
    ['a custom scalar', '{ echo(hex: "ff") }'],
    ['an enum position (invalid anyway)', '{ echo(color: "RED") }'],
    ['a default value', 'query ($t: String = "x") { echo(text: $t) }'],
    ['a field that does not exist', '{ nothing(text: "x") }'],
    ['two operations', 'query A { echo(text: "x") } query B { echo }'],
    ['one class at two types', '{ a: echo(text: "x") b: echo(id: "x") }'],
    [
      'a variable named like ours',
      `query ($${LITERAL_VARIABLE_PREFIX}0: String) { a: echo(text: $${LITERAL_VARIABLE_PREFIX}0) b: echo(text: "x") }`,
    ],
  ])('is refused for %s', (_, text) => {
    expect(template(text)).toBeUndefined();
  });
});

describe('the store', () => {
  const text = (id: string) => `{ echo(id: "${id}") }`;

  it('builds a template the second time a layout validates, and serves it from then on', () => {
    const store = new LiteralTemplates(MAX_TOKENS);
    expect(store.lookUp(text('aa'), undefined)).toBeUndefined();
    store.learn(schema, specifiedRules, text('aa'));
    expect(store.lookUp(text('bb'), undefined)).toBeUndefined();
    store.learn(schema, specifiedRules, text('bb'));
    expect(store.stats.built).toBe(1);
    const served = store.lookUp(text('cc'), { other: 1 });
    expect(served?.variables).toEqual({ other: 1, [`${LITERAL_VARIABLE_PREFIX}0`]: 'cc' });
    // Another length is another layout.
    expect(store.lookUp(text('ccc'), undefined)).toBeUndefined();
  });

  it('keeps no literal, in its keys or its documents', () => {
    const store = new LiteralTemplates(MAX_TOKENS);
    const secrets = ['whsec_first', 'whsec_other'];
    for (const secret of [...secrets, ...secrets]) {
      store.learn(schema, specifiedRules, `# ${secret}\n{ echo(text: "${secret}") }`);
      store.lookUp(`# ${secret}\n{ echo(text: "${secret}") }`, undefined);
    }
    expect(store.stats.built).toBe(1);
    const kept = [...store.keys(), ...[...store.documents()].map(wholeDocument)].join('\n');
    for (const secret of secrets) expect(kept).not.toContain(secret);
  });

  it('remembers a layout that allows no template, and builds nothing for it again', () => {
    const store = new LiteralTemplates(MAX_TOKENS);
    for (let round = 0; round < 3; round++)
      store.learn(schema, specifiedRules, '{ echo(hex: "ff") }');
    expect(store.stats).toEqual({ served: 0, built: 0, refused: 1 });
    expect(store.lookUp('{ echo(hex: "ee") }', undefined)).toBeUndefined();
  });

  it('holds to its bounds under a flood of distinct layouts', () => {
    const store = new LiteralTemplates(MAX_TOKENS, {
      maxEntries: 16,
      maxBytes: 64 * 1024,
      maxEntryBytes: 32 * 1024,
    });
    for (let index = 0; index < 200; index++) {
      const flood = `{ echo(text: "${'y'.repeat(index)}") }`;
      store.learn(schema, specifiedRules, flood);
      store.learn(schema, specifiedRules, flood);
    }
    expect(store.size).toBeLessThanOrEqual(16);
    expect(store.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(store.stats.built).toBe(200);
  });

  it('makes no template with a rule nobody classified', () => {
    const store = new LiteralTemplates(MAX_TOKENS);
    const unknownRule = () => ({});
    for (let round = 0; round < 2; round++) {
      store.learn(schema, [...specifiedRules, unknownRule], text('aa'));
    }
    expect(store.size).toBe(0);
  });
});

/** Everything a document holds: its nodes, and the sources and tokens their locations hold. */
function wholeDocument(document: DocumentNode): string {
  const held = new Set<string>([print(document)]);
  const seen = new Set<object>();
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Location) {
      held.add(value.source.body);
      for (let token: Token | null = value.startToken; token; token = token.next) {
        held.add(token.value);
      }
      return;
    }
    for (const inner of Object.values(value)) walk(inner);
  };
  walk(document);
  return [...held].join('\n');
}
