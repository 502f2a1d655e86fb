/**
 * Templates for query texts with string literals: one shared document per layout, the literals
 * passed as variables.
 *
 * A text with a string literal is kept in no cache (the literal may be a key or a secret:
 * src/graphql/query-text-cache.ts), so before this module every such request was parsed again
 * and its fresh document missed every cache keyed by document (Yoga's validation cache, the
 * executor's memos): the garbage alone made `refreshWebhookSecret(id: "…")` cost about 1.8 times
 * the same operation with `$id`. Here such a text is read by graphql-js's lexer
 * (src/graphql/literal-layout.ts: its layout, its literals' values), and once a text of the same
 * layout has been found valid twice, the request runs a TEMPLATE: the layout's document with
 * every string literal replaced by a variable (`$_literal0`, one per equality class), declared on
 * the operation with the type of the literal's position, and the literals' values passed as
 * those variables. The template is the same object for every request of its layout, so it is
 * validated once and every cache keyed by document serves it, as for a text with variables.
 *
 * Why the answer is the same as for the text as written:
 *
 * - Same layout means the same tokens at the same offsets but for the literals' content (the
 *   lexer says so), so the same document but for the literals' values; the template's nodes keep
 *   the layout's locations, so every error's `locations` are the text's own.
 * - Only literals at a `String` or `ID` position are turned into variables (any string is valid
 *   there, as a literal and as a variable, and means the same string); a literal anywhere else (a
 *   custom scalar such as `_Any`, a variable's default value, an enum position) leaves the layout
 *   without a template. So is a document with more than one operation, or a variable already
 *   named like ours.
 * - Validity: every validation rule in use is classified by what it reads of literals
 *   (src/graphql/query-shape.ts); the rules reading more than the shape read either literals'
 *   equality (the classes are in the key, and one variable per class keeps equal literals equal
 *   after the change) or their content (not at String or ID positions). The template itself is
 *   validated with the gateway's rules before it is used, and a template that fails is never
 *   used.
 *
 * What is kept, per layout: the key (the layout: no literal, no comment content) and the template
 * document (the layout's nodes: literals and comments blanked). Never a literal value: values live
 * in the request's variables, as they do when a client passes them so. Bounds
 * (`TEMPLATE_BOUNDS`): 1,024 layouts, 2 MB in all (estimated as the parse cache does), 384 KB per
 * template; least recently used out first. A layout is only remembered ("seen") the first time it
 * validates, and its template built the second time, so a flood of distinct texts costs one map
 * entry each and no template; when the store is full the real layouts are pushed out and parsed per
 * request again, as before this module, until they are seen twice again.
 */

import {
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isNonNullType,
  isSpecifiedScalarType,
  Kind,
  type OperationDefinitionNode,
  parse,
  parseType,
  type StringValueNode,
  TypeInfo,
  type ValidationRule,
  type VariableDefinitionNode,
  type VariableNode,
  validate,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { type LiteralLayout, layoutTextOf, literalLayoutOf } from './literal-layout.ts';
import { everyRuleClassified, sameRules } from './query-shape.ts';
import { BoundedTextCache, documentWeight, type TextCacheBounds } from './query-text-cache.ts';

/**
 * As many layouts as Yoga's parse cache has texts, weighed as it weighs documents, 2 MB in all
 * (about 55 templates of a 60-token operation, which weighs ~36 KB by that estimate; a layout only
 * seen weighs its key): taken from the parse cache's share of the memory budget
 * (src/http/memory-budget.ts), since these are the texts that cache may not keep.
 */
export const TEMPLATE_BOUNDS: TextCacheBounds = {
  maxEntries: 1024,
  maxBytes: 2 * 1024 * 1024,
  maxEntryBytes: 384 * 1024,
};

/** A map entry and its state object, besides the key's characters. */
const ENTRY_OVERHEAD_BYTES = 96;

/** The prefix of the variables a template declares: `$_literal0`, `$_literal1`… */
export const LITERAL_VARIABLE_PREFIX = '_literal';

/** A layout's template: the document to run, and the variable each equality class goes in. */
export interface Template {
  readonly document: DocumentNode;
  readonly variableNames: readonly string[];
  /** Estimated heap bytes, as the parse cache weighs a document (the layout's tokens). */
  readonly weight: number;
}

/** What is known of a layout: seen valid once, no template possible, or its template. */
type LayoutState = 'seen' | 'no-template' | Template;

/** What a request runs instead of its text: the template, and the variables to run it with. */
export interface TemplatedRequest {
  readonly document: DocumentNode;
  readonly variables: Record<string, unknown>;
}

/** Counts, for tests and diagnostics. */
export interface LiteralTemplateStats {
  /** Requests served a template. */
  served: number;
  /** Templates built (and validated). */
  built: number;
  /** Layouts found to allow no template (a literal at another position, several operations…). */
  refused: number;
}

export class LiteralTemplates {
  readonly stats: LiteralTemplateStats = { served: 0, built: 0, refused: 0 };
  readonly #bounds: TextCacheBounds;
  readonly #maxTokens: number;
  /** The schema and rules the templates were validated with; other ones start afresh. */
  #schema: GraphQLSchema | undefined;
  #rules: readonly ValidationRule[] = [];
  #layouts: BoundedTextCache<LayoutState>;

  /** `maxTokens`: the parser's token limit, so that no text is lexed further than it would be. */
  constructor(maxTokens: number, bounds: TextCacheBounds = TEMPLATE_BOUNDS) {
    this.#maxTokens = maxTokens;
    this.#bounds = bounds;
    this.#layouts = this.#newLayouts();
  }

  /** Layouts remembered (seen, refused or templated). */
  get size(): number {
    return this.#layouts.size;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.#layouts.bytes;
  }

  /** The layout keys held: for checks that no literal is kept. */
  keys(): IterableIterator<string> {
    return this.#layouts.keys();
  }

  /** The template documents held: for checks that no literal is kept. */
  *documents(): IterableIterator<DocumentNode> {
    for (const key of [...this.#layouts.keys()]) {
      const state = this.#layouts.peek(key);
      if (typeof state === 'object') yield state.document;
    }
  }

  /**
   * What to run for this text with these variables, when its layout has a template; else
   * `undefined` and the text is parsed as written.
   */
  lookUp(
    text: string,
    variables: Record<string, unknown> | undefined,
  ): TemplatedRequest | undefined {
    if (!text.includes('"') || this.#layouts.size === 0) return undefined;
    const layout = literalLayoutOf(text, this.#maxTokens);
    if (!layout) return undefined;
    const state = this.#layouts.get(layout.key);
    if (typeof state !== 'object') return undefined;
    const templated: Record<string, unknown> = { ...variables };
    state.variableNames.forEach((name, index) => {
      templated[name] = layout.values[index];
    });
    this.stats.served++;
    return { document: state.document, variables: templated };
  }

  /**
   * Told of a text that validated with these rules: the first time its layout is seen, remembered;
   * the second time, its template is built and validated.
   */
  learn(schema: GraphQLSchema, rules: readonly ValidationRule[], text: string): void {
    if (!text.includes('"') || !this.#useGeneration(schema, rules)) return;
    const layout = literalLayoutOf(text, this.#maxTokens);
    if (!layout) return;
    const state = this.#layouts.get(layout.key);
    if (state === undefined) {
      this.#layouts.set(layout.key, 'seen');
      return;
    }
    if (state !== 'seen') return;
    const template = buildTemplate(schema, layout);
    if (template && validate(schema, template.document, this.#rules).length === 0) {
      this.stats.built++;
      this.#layouts.set(layout.key, template);
    } else {
      this.stats.refused++;
      this.#layouts.set(layout.key, 'no-template');
    }
  }

  /** Whether templates may be made for this schema and rules: every rule classified. */
  #useGeneration(schema: GraphQLSchema, rules: readonly ValidationRule[]): boolean {
    if (schema === this.#schema && sameRules(rules, this.#rules)) return true;
    if (!everyRuleClassified(rules)) return false;
    this.#schema = schema;
    this.#rules = [...rules];
    this.#layouts = this.#newLayouts();
    return true;
  }

  #newLayouts(): BoundedTextCache<LayoutState> {
    return new BoundedTextCache<LayoutState>(
      this.#bounds,
      (key, state) =>
        ENTRY_OVERHEAD_BYTES + (typeof state === 'object' ? state.weight : key.length),
      // The key holds a quote for each blanked literal, and nothing a literal said.
      () => true,
    );
  }
}

/**
 * The layout's template, or `undefined` when a literal sits where a variable would not mean the
 * same, the document has other than one operation, or a variable is already named like ours.
 */
export function buildTemplate(schema: GraphQLSchema, layout: LiteralLayout): Template | undefined {
  const text = layoutTextOf(layout.key);
  let parsed: DocumentNode;
  try {
    parsed = parse(text);
  } catch {
    return undefined;
  }
  const operations = parsed.definitions.filter(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION,
  );
  if (operations.length !== 1) return undefined;
  const classByStart = new Map(layout.starts.map((start, index) => [start, layout.classes[index]]));
  const variableNames = layout.values.map((_, index) => `${LITERAL_VARIABLE_PREFIX}${index}`);
  const taken = new Set(variableNames);
  const typeOfClass: (GraphQLInputType | undefined)[] = [];
  let templatable = true;
  let replaced = 0;
  let inVariableDefinition = 0;
  const typeInfo = new TypeInfo(schema);
  const withVariables = visit(
    parsed,
    visitWithTypeInfo(typeInfo, {
      VariableDefinition: {
        enter: () => {
          inVariableDefinition++;
        },
        leave: () => {
          inVariableDefinition--;
        },
      },
      Variable(node) {
        // Ours would shadow or be shadowed by the client's own.
        if (taken.has(node.name.value)) templatable = false;
      },
      StringValue(node: StringValueNode): VariableNode | undefined {
        const type = typeInfo.getInputType();
        const { loc } = node;
        const index = loc ? classByStart.get(loc.start) : undefined;
        if (
          inVariableDefinition > 0 ||
          !type ||
          !loc ||
          index === undefined ||
          !meansAnyString(type)
        ) {
          templatable = false;
          return undefined;
        }
        const known = typeOfClass[index];
        const joined = known === undefined ? type : strictest(known, type);
        if (joined === undefined) templatable = false;
        else typeOfClass[index] = joined;
        replaced++;
        return {
          kind: Kind.VARIABLE,
          name: { kind: Kind.NAME, value: variableNames[index] as string },
          // The literal's place in the text: an error about it points there.
          loc,
        };
      },
    }),
  );
  if (!templatable || replaced !== layout.starts.length) return undefined;
  const definitions: VariableDefinitionNode[] = [];
  for (const [index, name] of variableNames.entries()) {
    const type = typeOfClass[index];
    if (type === undefined) return undefined;
    definitions.push({
      kind: Kind.VARIABLE_DEFINITION,
      variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } },
      type: parseType(String(type), { noLocation: true }),
    });
  }
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: withVariables.definitions.map((definition) =>
      definition.kind === Kind.OPERATION_DEFINITION
        ? {
            ...definition,
            variableDefinitions: [...(definition.variableDefinitions ?? []), ...definitions],
          }
        : definition,
    ),
    // No location for the whole: its source is the layout, which is not the text of any request
    // (and would read as a text with literals to whoever looked at it).
  };
  return { document, variableNames, weight: documentWeight(layout.key, parsed) };
}

/**
 * The type of a variable that fits both positions: the same type, or the same but for a non-null
 * wrapper (a non-null variable may stand where a nullable one may). `undefined` when none.
 */
function strictest(a: GraphQLInputType, b: GraphQLInputType): GraphQLInputType | undefined {
  if (String(a) === String(b)) return a;
  if (String(getNullableType(a)) !== String(getNullableType(b))) return undefined;
  return isNonNullType(a) ? a : b;
}

/** A String or ID position (or a list of them): any string is valid there and means itself. */
function meansAnyString(type: GraphQLInputType): boolean {
  const named = getNamedType(type);
  return isSpecifiedScalarType(named) && (named.name === 'String' || named.name === 'ID');
}
