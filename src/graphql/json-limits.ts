/**
 * Bounds on the JSON a request carries besides its query text: `variables` and `extensions`.
 *
 * The largest legitimate variables here are a few KB (a create with ten delivery headers, or a
 * router's `_entities` batch of 100 references: about 6 KB). A body within the 1 MB limit can
 * still parse into a great deal of heap: `{"variables":{"pad":[[],[],…]}}` is ~330,000 arrays,
 * about 13 MB, and whatever a request's params hold stays alive while its upstream calls wait.
 * So the JSON is bounded in bytes, nesting depth and number of values:
 *
 * - `JsonBoundsScan` checks a raw JSON body BEFORE it is parsed, as it streams in (the HTTP
 *   front runs it on every JSON POST): one pass over the bytes, so refusing costs next to nothing;
 * - `useJsonValueLimits` checks already-parsed params (GET query strings, form posts, and
 *   `yoga.fetch`), before anything keeps them.
 *
 * A refusal is a request error: HTTP 400, code BAD_USER_INPUT, and a message that says which
 * bound was crossed but never quotes the body.
 */

import { createGraphQLError, type Plugin } from 'graphql-yoga';

export interface JsonLimits {
  /** Bytes of `variables` (and of `extensions`) as sent. Default 65,536. */
  maxVariablesBytes: number;
  /** Nesting depth of `variables` (and `extensions`): `{"a":[1]}` is 2. Default 12. */
  maxVariablesDepth: number;
  /** Values (objects, arrays, strings, numbers, literals, member names) in the whole body. Default 4,000 (a router's batch of 100 references is ~700). */
  maxVariablesValues: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = {
  maxVariablesBytes: 64 * 1024,
  // The deepest input here, a delivery header of a create, is 4 (input, requestConfig,
  // headers, header); lists of lists of representations stay well under 12.
  maxVariablesDepth: 12,
  maxVariablesValues: 4000,
};

export type JsonLimitViolation = 'bytes' | 'depth' | 'values';

export function violationMessage(violation: JsonLimitViolation, limits: JsonLimits): string {
  switch (violation) {
    case 'bytes':
      return `The request's variables (or extensions) are larger than ${limits.maxVariablesBytes} bytes.`;
    case 'depth':
      return `The request's variables (or extensions) are nested deeper than ${limits.maxVariablesDepth} levels.`;
    case 'values':
      return `The request carries more than ${limits.maxVariablesValues} JSON values.`;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Members of the top-level object whose values are bounded like variables. */
const BOUNDED_MEMBERS: ReadonlySet<string> = new Set(['variables', 'extensions']);
/** Longer member names are not bounded members: their text need not be kept. */
const MAX_KEY_BYTES = 64;

/**
 * Checks a JSON body against the limits without parsing it, as its bytes arrive (`feed` each
 * chunk in order): a body can be refused after its first few kilobytes, before the rest is even
 * read. Malformed JSON is not judged here (the parser that follows refuses it with its own
 * message); only what valid JSON would become. Depth is counted inside the top-level value (the
 * body object itself is not a level), so a member's depth is its own nesting. Values are counted
 * by what starts or separates them (brackets, quotes, commas): an estimate within a constant
 * factor, member names included, and never below what the parsed value holds.
 */
export class JsonBoundsScan {
  readonly #limits: JsonLimits;
  #depth = 0;
  #values = 0;
  #inString = false;
  #escaped = false;
  /** Inside the top-level object: is the next string a member name. */
  #expectingKey = false;
  /** The bytes of the member name being read (top level only), when short enough to matter. */
  #keyBytes: number[] | undefined;
  #keyHasEscape = false;
  #lastKey = '';
  /** Bytes of the bounded member's value read so far, or -1 when none is open. */
  #memberBytes = -1;
  #violation: JsonLimitViolation | undefined;

  constructor(limits: JsonLimits) {
    this.#limits = limits;
  }

  /** The first bound crossed so far, once `feed` has seen it. */
  get violation(): JsonLimitViolation | undefined {
    return this.#violation;
  }

  feed(chunk: Uint8Array): JsonLimitViolation | undefined {
    if (this.#violation) return this.#violation;
    const limits = this.#limits;
    for (let at = 0; at < chunk.length; at++) {
      const byte = chunk[at] as number;
      if (this.#memberBytes >= 0 && ++this.#memberBytes > limits.maxVariablesBytes) {
        return this.#fail('bytes');
      }
      if (this.#inString) {
        this.#inStringByte(byte);
        continue;
      }
      switch (byte) {
        case QUOTE:
          this.#inString = true;
          if (this.#depth === 1 && this.#expectingKey) {
            this.#keyBytes = [];
            this.#keyHasEscape = false;
          } else this.#values++;
          break;
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          this.#values++;
          this.#depth++;
          // Depth 1 is the body object itself; its members' values count from there.
          if (this.#depth - 2 >= limits.maxVariablesDepth) return this.#fail('depth');
          if (this.#depth === 1) this.#expectingKey = byte === OPEN_OBJECT;
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          this.#depth--;
          // A bounded member whose value was an object or an array ends with it.
          if (this.#depth === 1) this.#memberBytes = -1;
          break;
        case COLON:
          if (this.#depth === 1 && BOUNDED_MEMBERS.has(this.#lastKey)) this.#memberBytes = 0;
          break;
        case COMMA:
          if (this.#depth === 1) {
            this.#memberBytes = -1;
            this.#expectingKey = true;
            this.#lastKey = '';
          } else this.#values++;
          break;
        default:
          // Numbers and literals: counted by the comma that ends them, and the first element of
          // each container by its opening bracket.
          break;
      }
      if (this.#values > limits.maxVariablesValues) return this.#fail('values');
    }
    return undefined;
  }

  #inStringByte(byte: number): void {
    if (this.#escaped) this.#escaped = false;
    else if (byte === BACKSLASH) {
      this.#escaped = true;
      this.#keyHasEscape = true;
    } else if (byte === QUOTE) {
      this.#inString = false;
      if (this.#keyBytes) {
        this.#lastKey = keyText(this.#keyBytes, this.#keyHasEscape);
        this.#keyBytes = undefined;
        this.#expectingKey = false;
      }
      return;
    }
    if (this.#keyBytes) {
      if (this.#keyBytes.length < MAX_KEY_BYTES) this.#keyBytes.push(byte);
      else this.#keyBytes.length = MAX_KEY_BYTES + 1;
    }
  }

  #fail(violation: JsonLimitViolation): JsonLimitViolation {
    this.#violation = violation;
    return violation;
  }
}

/** A member name as JSON.parse would read it (escapes such as `\u0076ariables` included). */
function keyText(bytes: number[], hasEscape: boolean): string {
  // Longer than any bounded member's name: its exact text does not matter.
  if (bytes.length > MAX_KEY_BYTES) return '';
  const raw = Buffer.from(bytes).toString('utf8');
  if (!hasEscape) return raw;
  try {
    const decoded: unknown = JSON.parse(`"${raw}"`);
    return typeof decoded === 'string' ? decoded : '';
  } catch {
    return '';
  }
}

/**
 * The same bounds on parsed values (any encoding): walks `variables` and `extensions`, stopping
 * as soon as a bound is crossed. Bytes are estimated as their JSON text would be, without
 * building it.
 */
export function checkJsonValues(
  params: { variables?: unknown; extensions?: unknown },
  limits: JsonLimits,
): JsonLimitViolation | undefined {
  const budget = { values: limits.maxVariablesValues };
  for (const member of [params.variables, params.extensions]) {
    if (member === undefined || member === null) continue;
    const bytes = { left: limits.maxVariablesBytes };
    const violation = walk(member, 1, limits, budget, bytes);
    if (violation) return violation;
  }
  return undefined;
}

function walk(
  value: unknown,
  depth: number,
  limits: JsonLimits,
  budget: { values: number },
  bytes: { left: number },
): JsonLimitViolation | undefined {
  budget.values--;
  if (budget.values < 0) return 'values';
  if (typeof value === 'string') {
    bytes.left -= value.length + 2;
  } else if (Array.isArray(value)) {
    if (depth > limits.maxVariablesDepth) return 'depth';
    bytes.left -= 2 + value.length;
    for (const item of value) {
      const violation = walk(item, depth + 1, limits, budget, bytes);
      if (violation) return violation;
    }
  } else if (typeof value === 'object' && value !== null) {
    if (depth > limits.maxVariablesDepth) return 'depth';
    bytes.left -= 2;
    for (const [key, item] of Object.entries(value)) {
      // A member name counts as a value, as the scan before parsing counts it.
      budget.values--;
      bytes.left -= key.length + 4;
      const violation = walk(item, depth + 1, limits, budget, bytes);
      if (violation) return violation;
    }
  } else {
    bytes.left -= String(value).length;
  }
  return bytes.left < 0 ? 'bytes' : undefined;
}

export function jsonLimitError(violation: JsonLimitViolation, limits: JsonLimits) {
  return createGraphQLError(violationMessage(violation, limits), {
    extensions: { http: { status: 400 }, code: 'BAD_USER_INPUT' },
  });
}

/** The bounds on params Yoga parsed itself (GET, form posts, `yoga.fetch`). */
export function useJsonValueLimits(limits: JsonLimits): Plugin {
  return {
    onParams({ params }) {
      const violation = checkJsonValues(params, limits);
      if (violation) throw jsonLimitError(violation, limits);
    },
  };
}
