/**
 * Which query texts may be kept in memory between requests, and Yoga's parse caches held to it.
 *
 * Secrets are kept in no cache, and a string literal in a query may be one: an API key, a
 * webhook secret or a delivery header value written into the text instead of passed as a
 * variable. Every string literal, block strings included, has a double quote, so a text with
 * one is never kept (a quote in a comment counts too: the test errs on the safe side). Such a
 * text is parsed again on every request; frontends and routers pass values as variables.
 */

export function mayKeepQueryText(text: string): boolean {
  return !text.includes('"');
}

/** The part of a cache Yoga's `parserAndValidationCache` uses. */
export interface TextKeyedCache<T> {
  get(text: string): T | undefined;
  set(text: string, value: T): void;
}

/**
 * A bounded cache keyed by query text that never keeps a text `mayKeepQueryText` refuses.
 * Oldest first out, as many entries as Yoga's own default (1,024).
 */
export function queryTextCache<T>(maxEntries = 1024): TextKeyedCache<T> {
  const entries = new Map<string, T>();
  return {
    get: (text) => entries.get(text),
    set: (text, value) => {
      if (!mayKeepQueryText(text) || entries.has(text)) return;
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(text, value);
    },
  };
}
