/**
 * Limits on what one GraphQL request may ask for, checked before anything runs. Here the cost of
 * a request is Featurebase calls and secret rotations, not CPU: the schema has no cycles, so depth
 * is a weak amplifier, while aliases, root fields and mutations multiply upstream calls. The
 * document limits come from graphql-armor (maintained, and past its 2025 depth and cost bypass
 * fixes), the token limit from graphql-js's parser itself; the upstream-shaped ones are ours.
 * Values and reasons: reliability-catalogue §1.
 */

import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { GraphQLArmorCallbackConfiguration } from '@escape.tech/graphql-armor-types';
import {
  GraphQLError,
  Kind,
  type ParseOptions,
  type SelectionSetNode,
  type Source,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { Parser } from 'graphql/language/parser.js';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { DEFAULT_JSON_LIMITS, type JsonLimits, useJsonValueLimits } from './json-limits.ts';
import { readsShapeOnly } from './query-shape.ts';

export interface RequestLimits extends JsonLimits {
  /** Largest request body; larger gets 413 before it is read. Default 1,000,000 bytes. */
  maxRequestBodyBytes: number;
  /**
   * Characters in the query text. Default 20,000 (the full introspection query: about 2,300).
   * The token limit skips what the lexer ignores (commas, blanks, comments), so padding would
   * pass it; this bounds the text itself, before it is parsed.
   */
  maxQueryLength: number;
  /** Tokens in a document, comments and commas included. Default 1000 (full introspection: 184). */
  maxTokens: number;
  /**
   * Fields on the deepest path, the leaf included, fragments flattened. Default 6: the deepest real
   * query, `webhooks { edges { node { requestConfig { headers { name } } } } }`, is exactly 6.
   */
  maxDepth: number;
  /** Aliases per operation. Default 15. */
  maxAliases: number;
  /** Directives per operation. Default 10 (armor's 50 is far more than this schema needs). */
  maxDirectives: number;
  /** graphql-armor's cost (objects 2, scalars 1, × 1.5 per level). Default 5000. */
  maxCost: number;
  /** Operations in one batched request; 0 turns batching off. Default 0. */
  batchLimit: number;
  /** Featurebase calls one operation may cause; the next one fails. Default 10. */
  upstreamCallsPerOperation: number;
  /**
   * List pages (of 100 webhooks) one operation may read to find webhooks by id (a router's
   * `_entities` batch, several `webhook(id:)`), counted apart from `upstreamCallsPerOperation`.
   * Default 10: a batch of references resolves in a workspace of 1,000 webhooks.
   */
  entityPagesPerOperation: number;
  /** Mutation fields in one operation, refused before any runs. Default 5. */
  mutationsPerOperation: number;
  /** `_entities` representations per request. Default 100. */
  maxEntityRepresentations: number;
}

export const DEFAULT_LIMITS: RequestLimits = {
  ...DEFAULT_JSON_LIMITS,
  maxRequestBodyBytes: 1_000_000,
  maxQueryLength: 20_000,
  maxTokens: 1000,
  maxDepth: 6,
  maxAliases: 15,
  maxDirectives: 10,
  maxCost: 5000,
  batchLimit: 0,
  upstreamCallsPerOperation: 10,
  entityPagesPerOperation: 10,
  mutationsPerOperation: 5,
  maxEntityRepresentations: 100,
};

/** The Yoga plugins that enforce the document limits (the others are enforced where they apply). */
export function requestLimitPlugins(limits: RequestLimits): Plugin[] {
  // Limits are not echoed back: they would only help someone tune an attack. A rejection is
  // reported as a validation error (400, GRAPHQL_VALIDATION_FAILED), not thrown out of
  // graphql-js's validate(), which Yoga would answer 200 without a code.
  const shared: GraphQLArmorCallbackConfiguration & { exposeLimits: boolean } = {
    exposeLimits: false,
    propagateOnRejection: false,
    onReject: [(context, error) => context?.reportError(error)],
  };
  // graphql-armor's plugins only add these rules to every validation; the rules are made here
  // once instead, so that they are the same functions on every request (the shape cache of
  // src/graphql/plugins/shape-validation-cache.ts keeps verdicts per rule list) and have names
  // (Yoga's validation cache keys by them). Each is declared to read no string literal's
  // content: armor's count fields, aliases and directives and read `first`/`last` as Int
  // literals (cost); ours read operation kinds and response keys.
  const rules: ValidationRule[] = [
    // Flattened, a fragment spread adds no level of its own: depth is what the executor walks.
    named(
      'maxDepthRule',
      maxDepthRule({
        ...shared,
        n: limits.maxDepth,
        ignoreIntrospection: true,
        flattenFragments: true,
      }),
    ),
    named('maxAliasesRule', maxAliasesRule({ ...shared, n: limits.maxAliases })),
    named('maxDirectivesRule', maxDirectivesRule({ ...shared, n: limits.maxDirectives })),
    named('costLimitRule', costLimitRule({ ...shared, maxCost: limits.maxCost })),
    maxMutationsRule(limits.mutationsPerOperation),
    knownOperationTypeRule,
  ].map(readsShapeOnly);
  return [
    maxQueryLengthPlugin(limits.maxQueryLength),
    useJsonValueLimits(limits),
    tokenLimitPlugin(limits.maxTokens),
    {
      onValidate({ addValidationRule }) {
        for (const rule of rules) addValidationRule(rule);
      },
    },
  ];
}

/** The rule, with a name (armor's rules are anonymous functions). */
function named(name: string, rule: ValidationRule): ValidationRule {
  Object.defineProperty(rule, 'name', { value: name });
  return rule;
}

/**
 * At most `max` tokens per document, counted by graphql-js's own parser as it reads them
 * (`maxLexicalTokens`: every token but the end of the text; comments, commas and blanks are not
 * tokens), so a text past the limit is never read to its end. This replaces graphql-armor's
 * max-tokens plugin, which counts the same tokens the same way but through a Proxy around the
 * lexer that makes a new function for every token read: measured on the bench's rotation text
 * (60 tokens, parsed on every request when its id is written into it), that cost about 45 µs of
 * CPU per parse, garbage included, against a few µs for the parse itself. The refusal is worded
 * as armor worded it (the limit is not given away).
 */
function tokenLimitPlugin(max: number): Plugin {
  const limited: ParseOptions = { maxLexicalTokens: max };
  const parseWithinLimit = (source: string | Source, options?: ParseOptions) => {
    const parser = new Parser(source, options ? { ...options, ...limited } : limited);
    try {
      return parser.parseDocument();
    } catch (error) {
      if (parser.tokenCount > max) throw new GraphQLError('Syntax Error: Query validation error.');
      throw error;
    }
  };
  return {
    onParse({ setParseFn }) {
      setParseFn(parseWithinLimit);
    },
  };
}

/** Refuses an over-long query text before the parser reads it. */
function maxQueryLengthPlugin(max: number): Plugin {
  return {
    onParams({ params }) {
      if (typeof params.query === 'string' && params.query.length > max) {
        throw createGraphQLError(`The query text is longer than ${max} characters.`, {
          extensions: { http: { status: 400 }, code: 'GRAPHQL_PARSE_FAILED' },
        });
      }
    },
  };
}

/**
 * graphql-js validates a `subscription` against a schema without subscriptions and only fails
 * at execution (HTTP 200, no code); this schema has no subscriptions (nor any other missing root).
 */
export const knownOperationTypeRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    const schema = context.getSchema();
    const root =
      node.operation === 'query'
        ? schema.getQueryType()
        : node.operation === 'mutation'
          ? schema.getMutationType()
          : schema.getSubscriptionType();
    if (!root) {
      context.reportError(
        new GraphQLError(`This API has no ${node.operation} operations.`, { nodes: [node] }),
      );
    }
  },
});

/**
 * Each mutation field is at least one Featurebase call, often a destructive one: too many in one
 * operation are refused while nothing has run yet. Fields are counted by response key, as the
 * executor would run them, through fragments.
 */
export function maxMutationsRule(max: number): ValidationRule {
  return named('maxMutationsRule', (context) => ({
    OperationDefinition(node) {
      if (node.operation !== 'mutation') return;
      const keys = new Set<string>();
      collectResponseKeys(node.selectionSet, context, keys, new Set());
      if (keys.size > max) {
        context.reportError(
          new GraphQLError(`An operation may run at most ${max} mutations; split it.`, {
            nodes: [node],
          }),
        );
      }
    },
  }));
}

function collectResponseKeys(
  selectionSet: SelectionSetNode,
  context: ValidationContext,
  keys: Set<string>,
  visitedFragments: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename')
        keys.add(selection.alias?.value ?? selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collectResponseKeys(selection.selectionSet, context, keys, visitedFragments);
    } else if (!visitedFragments.has(selection.name.value)) {
      visitedFragments.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) collectResponseKeys(fragment.selectionSet, context, keys, visitedFragments);
    }
  }
}
