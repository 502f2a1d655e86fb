/**
 * What a document's validity depends on besides the content of its string literals.
 *
 * A query text with a string literal is kept in no cache (a literal may be a key or a secret:
 * src/graphql/query-text-cache.ts), so without help it is parsed and validated on every request.
 * Validation is the expensive part, and for almost every rule it depends only on the document's
 * SHAPE: its tokens, with every string literal's content left out. This module says what the
 * shape is, and which rules read more than it:
 *
 * - `shapeKeyOf`: the tokens' kinds and values (names, numbers, punctuators), comments skipped,
 *   every string or block string replaced by a marker that says only which earlier literal of
 *   the same text it equals, if any (`<s0>`, `<s1>`, `<s0>`…). The key holds no literal's
 *   content: only what query-text-cache already keeps verbatim (texts without a quote).
 * - the rules, classified by what they read of string literals (`ruleReading`):
 *   - `shape`: nothing; their verdict is a function of the shape key;
 *   - `equality`: graphql-js's OverlappingFieldsCanBeMergedRule compares the arguments of two
 *     fields with the same response name, literals included (`f(id: "a")` and `f(id: "b")`
 *     conflict, `f(id: "a")` twice does not): the markers' equality classes carry exactly that;
 *   - `content`: graphql-js's ValuesOfCorrectTypeRule hands each literal to its input type's
 *     `parseLiteral`. A String or ID position accepts any string and an enum, Int, Float or
 *     Boolean position none, whatever it says; a custom scalar (here `_Any` of `_entities`)
 *     may accept some strings and not others. `contentMatters` finds such positions, so that
 *     the rule can be run again on each request's own literals.
 *
 * A rule nobody classified is read as "may read anything": the cache is not used with it.
 * graphql-js's own rules are classified here, one by one; the gateway's own and graphql-armor's
 * are classified where they are added (src/graphql/request-limits.ts), by `readsShapeOnly`.
 */

import {
  BREAK,
  type DocumentNode,
  GraphQLID,
  type GraphQLSchema,
  GraphQLString,
  getNamedType,
  NoSchemaIntrospectionCustomRule,
  OverlappingFieldsCanBeMergedRule,
  specifiedRules,
  type Token,
  TokenKind,
  TypeInfo,
  type ValidationRule,
  ValuesOfCorrectTypeRule,
  visit,
  visitWithTypeInfo,
} from 'graphql';

export type RuleReading = 'shape' | 'equality' | 'content';

const classified = new WeakMap<ValidationRule, RuleReading>();

/**
 * graphql-js 16's specified rules that read nothing of a string literal, read one by one: they
 * read names (of operations, fields, arguments, types, fragments, variables, directives), node
 * kinds (a `null`, a variable, a list where a value goes) and the schema. SingleFieldSubscriptions
 * evaluates `@skip(if:)`/`@include(if:)`, whose Boolean argument no string satisfies whatever it
 * says. Listed by name on purpose: a rule a later graphql-js adds stays unclassified (and the
 * cache off, which test/graphql/shape-validation.test.ts notices) until someone has read it.
 */
const SPECIFIED_SHAPE_RULES: ReadonlySet<string> = new Set([
  'ExecutableDefinitionsRule',
  'UniqueOperationNamesRule',
  'LoneAnonymousOperationRule',
  'SingleFieldSubscriptionsRule',
  'KnownTypeNamesRule',
  'FragmentsOnCompositeTypesRule',
  'VariablesAreInputTypesRule',
  'ScalarLeafsRule',
  'FieldsOnCorrectTypeRule',
  'UniqueFragmentNamesRule',
  'KnownFragmentNamesRule',
  'NoUnusedFragmentsRule',
  'PossibleFragmentSpreadsRule',
  'NoFragmentCyclesRule',
  'UniqueVariableNamesRule',
  'NoUndefinedVariablesRule',
  'NoUnusedVariablesRule',
  'KnownDirectivesRule',
  'UniqueDirectivesPerLocationRule',
  'KnownArgumentNamesRule',
  'UniqueArgumentNamesRule',
  'ProvidedRequiredArgumentsRule',
  'VariablesInAllowedPositionRule',
  'UniqueInputFieldNamesRule',
  'MaxIntrospectionDepthRule',
]);
for (const rule of specifiedRules) {
  if (SPECIFIED_SHAPE_RULES.has(rule.name)) classified.set(rule, 'shape');
}
// The two that do read literals (see the module comment).
classified.set(OverlappingFieldsCanBeMergedRule, 'equality');
classified.set(ValuesOfCorrectTypeRule, 'content');
// Reads field names and the types they return (src/graphql/plugins/no-introspection.ts).
classified.set(NoSchemaIntrospectionCustomRule, 'shape');

/**
 * Declares that a rule's verdict depends on names, numbers and the document's structure only,
 * never on what a string literal says. Returns the rule. Declare only after reading the rule:
 * a wrong declaration would let a document through that it refuses.
 */
export function readsShapeOnly<T extends ValidationRule>(rule: T): T {
  classified.set(rule, 'shape');
  return rule;
}

/**
 * Whether verdicts reached with `previous` rules hold for `rules`: the same rules, by identity,
 * in the same order. Caches of verdicts (by shape, by layout) start afresh otherwise.
 */
export function sameRules(
  rules: readonly ValidationRule[],
  previous: readonly ValidationRule[],
): boolean {
  if (rules.length !== previous.length) return false;
  for (let index = 0; index < rules.length; index++)
    if (rules[index] !== previous[index]) return false;
  return true;
}

/** Whether every rule is classified: an unclassified one might read anything of a literal. */
export function everyRuleClassified(rules: readonly ValidationRule[]): boolean {
  return rules.every((rule) => classified.has(rule));
}

/** What the rule reads of string literals, or `undefined` when nobody classified it. */
export function ruleReading(rule: ValidationRule): RuleReading | undefined {
  return classified.get(rule);
}

/**
 * The document's shape key, or `undefined` when it has no token list (parsed without
 * locations) or the key would be longer than `maxLength` characters.
 */
export function shapeKeyOf(document: DocumentNode, maxLength: number): string | undefined {
  const start = document.loc?.startToken;
  if (!start) return undefined;
  let key = '';
  // Equality classes of the literals met so far, by content; only while the key is built.
  let classes: Map<string, number> | undefined;
  for (let token: Token | null = start.next; token && token.kind !== TokenKind.EOF; ) {
    const { kind } = token;
    if (kind === TokenKind.STRING || kind === TokenKind.BLOCK_STRING) {
      classes ??= new Map();
      let index = classes.get(token.value);
      if (index === undefined) {
        index = classes.size;
        classes.set(token.value, index);
      }
      key += kind === TokenKind.STRING ? `<s${index}> ` : `<b${index}> `;
    } else if (kind === TokenKind.NAME || kind === TokenKind.INT || kind === TokenKind.FLOAT) {
      // A name never starts with a digit or a minus sign, an Int never holds `.`, `e` or `E`,
      // and no punctuator or marker looks like either: the key cannot confuse two texts.
      key += `${token.value} `;
    } else if (kind !== TokenKind.COMMENT) {
      // Punctuators: the kind is the character(s).
      key += `${kind} `;
    }
    if (key.length > maxLength) return undefined;
    token = token.next;
  }
  return key;
}

/**
 * Whether some string literal of this (valid) document sits where its content decides
 * validity: at an input position of any type but String or ID (a custom scalar, or inside a
 * custom scalar's object or list value, where graphql-js hands the whole value to
 * `parseLiteral`). Such a document's ValuesOfCorrectTypeRule must be run on each request.
 */
export function contentMatters(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let matters = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      StringValue() {
        const type = getNamedType(typeInfo.getInputType());
        if (type !== GraphQLString && type !== GraphQLID) {
          matters = true;
          // One such literal is enough: stop the walk.
          return BREAK;
        }
        return undefined;
      },
    }),
  );
  return matters;
}
