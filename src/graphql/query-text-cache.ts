/**
 * The memory of query texts between requests: Yoga's parse caches (a text's document, or its
 * syntax error). Keyed by client input, so bounded by construction: in entries, in estimated
 * bytes, and per entry.
 *
 * Two rules decide what may be kept:
 *
 * - Secrets are kept in no cache, and a string literal in a query may be one: an API key, a
 *   webhook secret or a delivery header value written into the text instead of passed as a
 *   variable. Every string literal, block strings included, has a double quote, so a text with
 *   one is never kept (a quote in a comment counts too: the test errs on the safe side). Such a
 *   text is parsed again on every request (frontends and routers pass values as variables); its
 *   validation verdict is kept by shape, without the literals
 *   (src/graphql/plugins/shape-validation-cache.ts).
 * - A parsed document costs far more than its text: every token becomes AST nodes with their
 *   locations (measured with graphql-js 16: about 520 bytes per token, so a 1,000-token text
 *   holds half a megabyte). Entries are weighed by `documentWeight`, the total is capped, and a
 *   document heavier than `maxEntryBytes` is never kept: an anonymous client sending distinct
 *   large texts can make the gateway parse, but never make it remember.
 *
 * Least recently used out first. Forgetting a text only costs parsing it again.
 */

import type { DocumentNode, Token } from 'graphql';

export function mayKeepQueryText(text: string): boolean {
  return !text.includes('"');
}

/** The part of a cache Yoga's `parserAndValidationCache` uses. */
export interface TextKeyedCache<T> {
  get(text: string): T | undefined;
  set(text: string, value: T): void;
}

export interface TextCacheBounds {
  /** Entries at most. */
  maxEntries: number;
  /** Estimated bytes of all entries together, at most. */
  maxBytes: number;
  /** An entry estimated heavier than this is never kept. */
  maxEntryBytes: number;
}

/**
 * Parsed documents: 1,024 entries (Yoga's own default), 6 MB in all (with the 2 MB of literal
 * templates, src/graphql/literal-templates.ts, the 8 MB the memory budget gives parsed texts),
 * 384 KB each: about 640
 * tokens, well above real operations (the full introspection query weighs about 100 KB, this
 * gateway's example operations under 40 KB), and well below the heaviest text the token limit
 * lets through (1,000 tokens, ~600 KB), so a flood of those never pushes real ones out.
 */
export const DOCUMENT_CACHE_BOUNDS: TextCacheBounds = {
  maxEntries: 1024,
  maxBytes: 6 * 1024 * 1024,
  maxEntryBytes: 384 * 1024,
};

/** Syntax errors: a message and the text they point into. */
export const PARSE_ERROR_CACHE_BOUNDS: TextCacheBounds = {
  maxEntries: 256,
  maxBytes: 1024 * 1024,
  maxEntryBytes: 64 * 1024,
};

/** Measured: 385-520 bytes per token with locations (graphql-js 16, Node 20); rounded up. */
const BYTES_PER_TOKEN = 600;
/** A syntax error's own objects, besides the text it keeps. */
const PARSE_ERROR_BYTES = 2048;

/** Estimated heap bytes of a parsed document: its text plus its tokens' nodes. */
export function documentWeight(text: string, document: DocumentNode): number {
  return text.length + tokenCount(document, text) * BYTES_PER_TOKEN;
}

/** Estimated heap bytes of a cached syntax error (it holds the text for its location). */
export function parseErrorWeight(text: string): number {
  return text.length + PARSE_ERROR_BYTES;
}

function tokenCount(document: DocumentNode, text: string): number {
  let token: Token | null | undefined = document.loc?.startToken;
  // Without locations there is no token list: a token is never shorter than one character.
  if (!token) return text.length;
  let count = 0;
  while (token) {
    count++;
    token = token.next;
  }
  return count;
}

/**
 * A bounded text-keyed cache that never keeps a text `mayKeep` refuses (by default
 * `mayKeepQueryText`: a key that is a client's text must hold no string literal).
 */
export class BoundedTextCache<T> implements TextKeyedCache<T> {
  /** Oldest use first: a Map iterates in insertion order, and a hit re-inserts its entry. */
  readonly #entries = new Map<string, { value: T; bytes: number }>();
  readonly #bounds: TextCacheBounds;
  readonly #weigh: (text: string, value: T) => number;
  readonly #mayKeep: (text: string) => boolean;
  #bytes = 0;

  constructor(
    bounds: TextCacheBounds,
    weigh: (text: string, value: T) => number,
    mayKeep: (text: string) => boolean = mayKeepQueryText,
  ) {
    this.#bounds = bounds;
    this.#weigh = weigh;
    this.#mayKeep = mayKeep;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The texts held, oldest use first: for checks of what is kept, not for serving. */
  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** The value, without counting as a use: for checks of what is kept. */
  peek(text: string): T | undefined {
    return this.#entries.get(text)?.value;
  }

  get(text: string): T | undefined {
    const entry = this.#entries.get(text);
    if (!entry) return undefined;
    this.#entries.delete(text);
    this.#entries.set(text, entry);
    return entry.value;
  }

  set(text: string, value: T): void {
    if (!this.#mayKeep(text)) return;
    const bytes = this.#weigh(text, value);
    if (bytes > this.#bounds.maxEntryBytes) return;
    const existing = this.#entries.get(text);
    if (existing) {
      // A new value for a key held (a state that moves on): weighed again, oldest out as needed.
      this.#entries.delete(text);
      this.#bytes -= existing.bytes;
    }
    for (const [oldest, entry] of this.#entries) {
      if (
        this.#entries.size < this.#bounds.maxEntries &&
        this.#bytes + bytes <= this.#bounds.maxBytes
      ) {
        break;
      }
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
    this.#entries.set(text, { value, bytes });
    this.#bytes += bytes;
  }
}

/** Yoga's document cache. */
export function documentCache(
  bounds: TextCacheBounds = DOCUMENT_CACHE_BOUNDS,
): BoundedTextCache<DocumentNode> {
  return new BoundedTextCache(bounds, documentWeight);
}

/** Yoga's cache of syntax errors. */
export function parseErrorCache(
  bounds: TextCacheBounds = PARSE_ERROR_CACHE_BOUNDS,
): BoundedTextCache<unknown> {
  return new BoundedTextCache(bounds, parseErrorWeight);
}
