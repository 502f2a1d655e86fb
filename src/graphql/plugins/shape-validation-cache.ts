/**
 * Validation verdicts remembered by the document's shape, for texts with string literals.
 *
 * Yoga's caches keep a text's document and its validation verdict, but no text with a string
 * literal is kept (it may be a key or a secret written into the query:
 * src/graphql/query-text-cache.ts). Such a text was parsed AND validated on every request, and
 * validation (graphql-js's rules, graphql-armor's limits, ours) costs several times what parsing
 * does. Here a text with a quote is still parsed per request (its document, literals included,
 * lives only as long as the request, and error locations stay exact), but a verdict of "valid"
 * is remembered by the document's shape key (src/graphql/query-shape.ts: its tokens with every
 * string literal replaced by a marker of its equality class). The next text of the same shape,
 * under the same schema and the same validation rules, is valid too, except where a literal's
 * content decides (a custom scalar's `parseLiteral`): there graphql-js's ValuesOfCorrectTypeRule
 * is run again on the request's own document, and if it finds anything the full validation runs
 * and words the errors exactly as it always does. Refusals are never remembered.
 *
 * What is kept: shape keys (names, numbers, punctuators, markers) and one flag each; never a
 * literal, a text or a document. Bounds (`SHAPE_VERDICT_BOUNDS`): 1,024 shapes, 1 MB in all
 * (estimated), 16 KB per key; least recently used out first. A key that would be longer is not
 * even built to the end. Failure mode under a flood of distinct valid shapes: each one is
 * validated as before this cache existed, the real shapes are pushed out and validated again
 * when they come back, and nothing beyond the bound is remembered.
 *
 * Per request with a quote in the text, what remains: the parse, the shape key (one walk over
 * the tokens), a map lookup, and the recheck when a literal sits at a custom scalar. Texts
 * without a quote keep their path: Yoga's parse cache holds their document and its validation
 * cache their verdict (that plugin's hook runs after this one and sets the verdict before any
 * validation function runs, so the function installed here is not even called); a text Yoga
 * could not keep is validated by it exactly as before, after one `includes('"')`.
 *
 * How it hooks in: it wraps the validation function (`setValidationFn`) rather than setting a
 * result in `onValidate`, because only the function sees the final list of rules, after every
 * plugin (before or after this one) has added its own. Verdicts hold for one schema and one
 * list of rules, by identity (the gateway has one of each; another starts a new cache). A rule
 * nobody classified turns the cache off for that validation: an unknown rule might read a
 * literal. A plugin after this one that replaced the validation function would bypass the cache,
 * which only costs speed.
 */

import {
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type ValidationRule,
  ValuesOfCorrectTypeRule,
  validate,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { contentMatters, everyRuleClassified, sameRules, shapeKeyOf } from '../query-shape.ts';
import { BoundedTextCache, type TextCacheBounds } from '../query-text-cache.ts';

type ValidateFunction = typeof validate;

/** 1,024 shapes (as many as Yoga's own caches), 1 MB in all, 16 KB per key. */
export const SHAPE_VERDICT_BOUNDS: TextCacheBounds = {
  maxEntries: 1024,
  maxBytes: 1024 * 1024,
  maxEntryBytes: 16 * 1024,
};

/** A map entry and its verdict object, besides the key's characters (one byte each: ASCII). */
const ENTRY_OVERHEAD_BYTES = 96;

/** A valid shape: does any of its literals sit where its content decides validity. */
interface Verdict {
  readonly recheck: boolean;
}
const VALID: Verdict = Object.freeze({ recheck: false });
const VALID_IF_RECHECKED: Verdict = Object.freeze({ recheck: true });

/** Counts, for tests and diagnostics: what happened to the validations of texts with a quote. */
export interface ShapeValidationStats {
  /** Validated in full (first of their shape, or their recheck found something). */
  validated: number;
  /** Served a remembered verdict, nothing rechecked. */
  served: number;
  /** Served a remembered verdict after ValuesOfCorrectTypeRule passed on their own literals. */
  rechecked: number;
  /** Rechecked, found wanting, validated in full. */
  recheckFailed: number;
  /** Validated without the cache: an unclassified rule, no token list, or a key too long. */
  bypassed: number;
}

export class ShapeValidationCache {
  readonly stats: ShapeValidationStats = {
    validated: 0,
    served: 0,
    rechecked: 0,
    recheckFailed: 0,
    bypassed: 0,
  };
  readonly #bounds: TextCacheBounds;
  /** The schema and rules the verdicts were reached with; other ones start a new cache. */
  #schema: GraphQLSchema | undefined;
  #rules: readonly ValidationRule[] = [];
  #verdicts: BoundedTextCache<Verdict>;

  constructor(bounds: TextCacheBounds = SHAPE_VERDICT_BOUNDS) {
    this.#bounds = bounds;
    this.#verdicts = this.#newVerdicts();
  }

  /** Shapes remembered. */
  get size(): number {
    return this.#verdicts.size;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.#verdicts.bytes;
  }

  /** The shape keys held: for checks that no literal is kept. */
  keys(): IterableIterator<string> {
    return this.#verdicts.keys();
  }

  /** The names of the rules the current verdicts were reached with, in order. */
  get ruleNames(): string[] {
    return this.#rules.map((rule) => rule.name);
  }

  /** Validates as `inner` would, serving a remembered verdict for a known valid shape. */
  validate(
    inner: ValidateFunction,
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: readonly ValidationRule[] | undefined,
  ): readonly GraphQLError[] {
    const text = document.loc?.source.body;
    // No quote, no string literal: Yoga's own caches keep the text and its verdict.
    if (text === undefined || !text.includes('"')) return inner(schema, document, rules);
    const key =
      rules && this.#useGeneration(schema, rules)
        ? shapeKeyOf(document, this.#bounds.maxEntryBytes - ENTRY_OVERHEAD_BYTES)
        : undefined;
    if (key === undefined) {
      this.stats.bypassed++;
      return inner(schema, document, rules);
    }
    const verdict = this.#verdicts.get(key);
    if (verdict === VALID) {
      this.stats.served++;
      return [];
    }
    if (verdict === VALID_IF_RECHECKED) {
      if (validate(schema, document, [ValuesOfCorrectTypeRule]).length === 0) {
        this.stats.rechecked++;
        return [];
      }
      this.stats.recheckFailed++;
    }
    this.stats.validated++;
    const errors = inner(schema, document, rules);
    if (errors.length === 0) {
      this.#verdicts.set(key, contentMatters(schema, document) ? VALID_IF_RECHECKED : VALID);
    }
    return errors;
  }

  /**
   * Whether verdicts may be remembered for this schema and these rules: every rule classified.
   * The same schema and rules (by identity) as before keep the verdicts; others start afresh.
   */
  #useGeneration(schema: GraphQLSchema, rules: readonly ValidationRule[]): boolean {
    if (schema === this.#schema && sameRules(rules, this.#rules)) return true;
    if (!everyRuleClassified(rules)) return false;
    this.#schema = schema;
    this.#rules = [...rules];
    this.#verdicts = this.#newVerdicts();
    return true;
  }

  #newVerdicts(): BoundedTextCache<Verdict> {
    return new BoundedTextCache<Verdict>(this.#bounds, (key) => key.length + ENTRY_OVERHEAD_BYTES);
  }
}

/** The plugin, carrying its cache (for tests and diagnostics, which find it among Yoga's plugins). */
export type ShapeValidationPlugin = Plugin & {
  readonly shapeValidationCache: ShapeValidationCache;
};

/** The plugin; `bounds` for tests. */
export function useShapeValidationCache(
  bounds: TextCacheBounds = SHAPE_VERDICT_BOUNDS,
): ShapeValidationPlugin {
  const cache = new ShapeValidationCache(bounds);
  // One wrapper per validation function it wraps (always graphql-js's `validate` here).
  let inner: ValidateFunction | undefined;
  let wrapper: ValidateFunction | undefined;
  return {
    shapeValidationCache: cache,
    onValidate({ validateFn, setValidationFn }) {
      if (validateFn !== inner || !wrapper) {
        const wrapped = validateFn;
        // Envelop passes (typeInfo, options) after the rules; anything there is unusual, and is
        // validated as asked, without the cache.
        wrapper = (schema, document, rules, ...rest) =>
          rest.some((argument) => argument !== undefined)
            ? wrapped(schema, document, rules, ...rest)
            : cache.validate(wrapped, schema, document, rules);
        inner = wrapped;
      }
      setValidationFn(wrapper);
    },
  };
}
