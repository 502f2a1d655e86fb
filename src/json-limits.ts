/**
 * Bounds on the JSON a request carries besides its query text: `variables` and `extensions`.
 *
 * The largest legitimate variables here are a few KB (a create with ten delivery headers, or a
 * router's `_entities` batch of 100 references: about 6 KB). A body within the 1 MB limit can
 * still parse into a great deal of heap: `{"variables":{"pad":[[],[],…]}}` is ~330,000 arrays,
 * about 13 MB, and whatever a request's params hold stays alive while its upstream calls wait.
 * So the JSON is bounded in bytes, nesting depth and number of values:
 *
 * - `scanJsonBody` checks a raw JSON body BEFORE it is parsed (the HTTP front runs it on every
 *   JSON POST): one pass over the bytes, no allocation, so refusing costs next to nothing;
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

/**
 * Checks a JSON body against the limits without parsing it. Malformed JSON is not judged here
 * (the parser that follows refuses it with its own message); only what valid JSON would become.
 * Depth is counted inside the top-level value (the body object itself is not a level), so a
 * member's depth is its own nesting.
 */
export function scanJsonBody(body: Uint8Array, limits: JsonLimits): JsonLimitViolation | undefined {
  let depth = 0;
  let values = 0;
  let inString = false;
  let escaped = false;
  let stringHasEscape = false;
  let stringStart = 0;
  // Inside the top-level object: is the next string a member name, and which member is open.
  let expectingKey = false;
  let boundedMemberStart = -1;
  let lastKey = '';
  for (let at = 0; at < body.length; at++) {
    const byte = body[at] as number;
    if (inString) {
      if (escaped) escaped = false;
      else if (byte === BACKSLASH) {
        escaped = true;
        stringHasEscape = true;
      } else if (byte === QUOTE) {
        inString = false;
        if (depth === 1 && expectingKey) {
          lastKey = keyText(body, stringStart, at, stringHasEscape);
          expectingKey = false;
        }
      }
      continue;
    }
    switch (byte) {
      case QUOTE:
        inString = true;
        stringHasEscape = false;
        stringStart = at + 1;
        if (!(depth === 1 && expectingKey)) values++;
        break;
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        values++;
        depth++;
        // depth 1 is the body object itself; its members' values count from there.
        if (depth - 2 >= limits.maxVariablesDepth) return 'depth';
        if (depth === 1) expectingKey = byte === OPEN_OBJECT;
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        depth--;
        if (depth === 1 && boundedMemberStart >= 0) {
          // A bounded member whose value was an object or array ends with it.
          if (at + 1 - boundedMemberStart > limits.maxVariablesBytes) return 'bytes';
          boundedMemberStart = -1;
        }
        break;
      case COLON:
        if (depth === 1 && BOUNDED_MEMBERS.has(lastKey)) boundedMemberStart = at + 1;
        break;
      case COMMA:
        if (depth === 1) {
          if (boundedMemberStart >= 0 && at - boundedMemberStart > limits.maxVariablesBytes) {
            return 'bytes';
          }
          boundedMemberStart = -1;
          expectingKey = true;
          lastKey = '';
        } else values++;
        break;
      default:
        // Numbers and literals: counted by the comma or bracket that ends them (above, and
        // the opening bracket counts the first element of each container).
        break;
    }
    if (values > limits.maxVariablesValues) return 'values';
    if (boundedMemberStart >= 0 && at + 1 - boundedMemberStart > limits.maxVariablesBytes) {
      return 'bytes';
    }
  }
  return undefined;
}

/** A member name as JSON.parse would read it (escapes such as `\u0076ariables` included). */
function keyText(body: Uint8Array, start: number, end: number, hasEscape: boolean): string {
  // Longer than any bounded member's name: its exact text does not matter.
  if (end - start > 64) return '';
  const raw = Buffer.from(body.buffer, body.byteOffset + start, end - start).toString('utf8');
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
