/**
 * Every documented rule for request bodies and list queries, each refusal a 400
 * `invalid_request_error` naming the offending `param`. The first problem found is reported,
 * as a single error body can carry only one.
 */

import { isIPv4, isIPv6 } from 'node:net';
import {
  LIMITS,
  SETTABLE_WEBHOOK_STATUSES,
  type SettableWebhookStatus,
  WEBHOOK_ID_PATTERN,
  WEBHOOK_STATUSES,
} from '../upstream/wire.ts';
import { type ApiError, invalidRequest } from './api-error.ts';
import { API_TOPICS } from './api-facts.ts';
import { ERROR_CODES } from './error-codes.ts';

export interface CreateInput {
  name: string;
  url: string;
  topics: string[];
  description: string | null;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** Absent keys mean "leave as is"; `description: null` clears. */
export interface UpdateInput {
  name?: string;
  url?: string;
  description?: string | null;
  topics?: string[];
  status?: SettableWebhookStatus;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export interface ListQuery {
  limit: number;
  /** The id the previous page ended with. */
  afterId?: string;
  status?: string;
}

// Unknown body fields are refused (UNCONFIRMED upstream): a typo such as `timeout` for
// `timeoutMs` then fails loudly in tests instead of being dropped without a word.
const CREATE_FIELDS = new Set(['name', 'url', 'topics', 'description', 'requestConfig']);
const UPDATE_FIELDS = new Set([...CREATE_FIELDS, 'status']);
const REQUEST_CONFIG_FIELDS = new Set(['headers', 'timeoutMs']);

const TOPICS: ReadonlySet<string> = new Set(API_TOPICS);
const STATUSES: ReadonlySet<string> = new Set(WEBHOOK_STATUSES);
const SETTABLE_STATUSES: ReadonlySet<string> = new Set(SETTABLE_WEBHOOK_STATUSES);

/** Not documented (UNCONFIRMED); a bound keeps one webhook from holding megabytes. */
const URL_MAX_LENGTH = 2048;
const HEADER_NAME_MAX_LENGTH = 256;
const HEADER_VALUE_MAX_LENGTH = 1024;
const HEADER_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Custom headers may not override the framing or the signature of a delivery (UNCONFIRMED
// upstream; refusing them is the safe reading).
const RESERVED_HEADER_NAMES = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'content-type',
  'x-webhook-signature',
  'x-webhook-timestamp',
]);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function validateCreate(body: Record<string, unknown>): CreateInput {
  rejectUnknownFields(body, CREATE_FIELDS, '');
  const { name, url, topics, description, requestConfig } = body;
  const input: CreateInput = {
    name: checkName(required(name, 'name')),
    url: checkUrl(required(url, 'url')),
    topics: checkTopics(required(topics, 'topics')),
    // The create schema says `string`; `null` is read as "none", like an absent field.
    description: description === undefined ? null : checkDescription(description),
  };
  if (requestConfig !== undefined) Object.assign(input, checkRequestConfig(requestConfig));
  return input;
}

export function validateUpdate(body: Record<string, unknown>): UpdateInput {
  rejectUnknownFields(body, UPDATE_FIELDS, '');
  const { name, url, topics, description, requestConfig, status } = body;
  const input: UpdateInput = {};
  if (name !== undefined) input.name = checkName(name);
  if (url !== undefined) input.url = checkUrl(url);
  if (topics !== undefined) input.topics = checkTopics(topics);
  if (description !== undefined) input.description = checkDescription(description);
  if (status !== undefined) input.status = checkSettableStatus(status);
  if (requestConfig !== undefined) Object.assign(input, checkRequestConfig(requestConfig));
  return input;
}

/** Malformed ids name no webhook: we answer 404 like an unknown one (UNCONFIRMED; 400 is possible). */
export function isWebhookId(value: string): boolean {
  return WEBHOOK_ID_PATTERN.test(value);
}

export function parseListQuery(params: URLSearchParams): ListQuery {
  // Unknown query parameters are ignored (UNCONFIRMED): proxies and SDKs add their own.
  const limitText = params.get('limit');
  const cursor = params.get('cursor');
  const status = params.get('status');
  const query: ListQuery = { limit: LIMITS.listLimitDefault };
  if (limitText !== null) {
    const limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : Number.NaN;
    if (!(limit >= LIMITS.listLimitMin && limit <= LIMITS.listLimitMax)) {
      throw invalid(
        'limit',
        `limit must be an integer from ${LIMITS.listLimitMin} to ${LIMITS.listLimitMax}`,
      );
    }
    query.limit = limit;
  }
  // An empty cursor is read as "first page", the way the SDK treats an empty `nextCursor`.
  if (cursor !== null && cursor !== '') query.afterId = decodeCursor(cursor);
  if (status !== null) {
    if (!STATUSES.has(status)) {
      throw invalid('status', `status must be one of ${WEBHOOK_STATUSES.join(', ')}`);
    }
    query.status = status;
  }
  return query;
}

/** The cursor format of the docs' example: base64 of `{"id":"<last id>"}`. Opaque to callers. */
export function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ id }), 'utf8').toString('base64');
}

function decodeCursor(cursor: string): string {
  const refuse = (): ApiError => invalid('cursor', 'cursor is not a cursor this API returned');
  if (cursor.length > LIMITS.cursorMaxLength) {
    throw invalid('cursor', `cursor must be at most ${LIMITS.cursorMaxLength} characters`);
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!isPlainObject(decoded)) throw refuse();
  const { id } = decoded;
  if (typeof id !== 'string' || !isWebhookId(id)) throw refuse();
  return id.toLowerCase();
}

function rejectUnknownFields(body: Record<string, unknown>, known: Set<string>, prefix: string) {
  for (const key of Object.keys(body)) {
    if (!known.has(key)) {
      throw invalidRequest(
        ERROR_CODES.parameterUnknown,
        `Unknown parameter: ${prefix}${truncate(key)}`,
        `${prefix}${truncate(key)}`,
      );
    }
  }
}

function required(value: unknown, param: string): unknown {
  if (value === undefined || value === null) {
    throw invalidRequest(ERROR_CODES.parameterMissing, `${param} is required`, param);
  }
  return value;
}

function checkName(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw invalid('name', 'name must be a non-empty string');
  }
  if (value.length > LIMITS.nameMaxLength) {
    throw invalid('name', `name must be at most ${LIMITS.nameMaxLength} characters`);
  }
  return value;
}

function checkDescription(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw invalid('description', 'description must be a string');
  if (value.length > LIMITS.descriptionMaxLength) {
    throw invalid(
      'description',
      `description must be at most ${LIMITS.descriptionMaxLength} characters`,
    );
  }
  return value;
}

function checkUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid('url', 'url must be a non-empty string');
  }
  if (value.length > URL_MAX_LENGTH) {
    throw invalid('url', `url must be at most ${URL_MAX_LENGTH} characters`);
  }
  if (hasWhitespaceOrControl(value)) {
    throw invalid('url', 'url must not contain whitespace or control characters');
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw invalid('url', 'url must be an absolute URL');
  }
  if (parsed.protocol !== 'https:') throw invalid('url', 'url must use https');
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalid('url', 'url must not contain credentials');
  }
  // "The endpoint must be public" [S11]. Whether Featurebase checks it on create is
  // UNCONFIRMED; we refuse loopback, private and link-local hosts here (the safe reading).
  if (isNonPublicHost(parsed.hostname)) throw invalid('url', 'url must point to a public host');
  return value;
}

function checkTopics(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid('topics', 'topics must be a non-empty array of topic names');
  }
  const topics: string[] = [];
  for (const topic of value) {
    if (typeof topic !== 'string' || !TOPICS.has(topic)) {
      const shown = typeof topic === 'string' ? truncate(topic) : typeof topic;
      throw invalid('topics', `Unknown topic: ${shown}`);
    }
    // A repeated topic is dropped rather than refused (UNCONFIRMED): it subscribes to nothing new.
    if (!topics.includes(topic)) topics.push(topic);
  }
  return topics;
}

function checkSettableStatus(value: unknown): SettableWebhookStatus {
  if (value === 'suspended') {
    throw invalid('status', 'status suspended is set by Featurebase only; use active or paused');
  }
  if (typeof value !== 'string' || !SETTABLE_STATUSES.has(value)) {
    throw invalid('status', `status must be one of ${SETTABLE_WEBHOOK_STATUSES.join(', ')}`);
  }
  return value as SettableWebhookStatus;
}

type RequestConfigInput = Pick<CreateInput, 'timeoutMs' | 'headers'>;

function checkRequestConfig(value: unknown): RequestConfigInput {
  if (!isPlainObject(value)) throw invalid('requestConfig', 'requestConfig must be an object');
  rejectUnknownFields(value, REQUEST_CONFIG_FIELDS, 'requestConfig.');
  const { headers, timeoutMs } = value;
  const out: RequestConfigInput = {};
  // CONFLICT in the sources: the docs' example sends `timeoutMs`, the SDK input type lacks it.
  // We accept it on create and update, within the documented 1000-30000 ms.
  if (timeoutMs !== undefined) out.timeoutMs = checkTimeout(timeoutMs);
  if (headers !== undefined) out.headers = checkHeaders(headers);
  return out;
}

function checkTimeout(value: unknown): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < LIMITS.timeoutMsMin ||
    value > LIMITS.timeoutMsMax
  ) {
    throw invalid(
      'requestConfig.timeoutMs',
      `requestConfig.timeoutMs must be an integer from ${LIMITS.timeoutMsMin} to ${LIMITS.timeoutMsMax}`,
    );
  }
  return value;
}

function checkHeaders(value: unknown): Record<string, string> {
  const param = 'requestConfig.headers';
  if (!isPlainObject(value)) throw invalid(param, `${param} must be an object of strings`);
  const entries = Object.entries(value);
  if (entries.length > LIMITS.headersMax) {
    throw invalid(param, `${param} may hold at most ${LIMITS.headersMax} headers`);
  }
  const seen = new Set<string>();
  for (const [name, headerValue] of entries) {
    const lower = name.toLowerCase();
    if (name.length > HEADER_NAME_MAX_LENGTH || !HEADER_NAME_PATTERN.test(name)) {
      throw invalid(param, 'Header names must be HTTP tokens');
    }
    if (RESERVED_HEADER_NAMES.has(lower)) {
      throw invalid(param, `Header ${name} is set by Featurebase and cannot be overridden`);
    }
    if (seen.has(lower)) throw invalid(param, `Header ${name} is given twice`);
    seen.add(lower);
    if (
      typeof headerValue !== 'string' ||
      headerValue.length > HEADER_VALUE_MAX_LENGTH ||
      hasForbiddenHeaderValueChar(headerValue)
    ) {
      throw invalid(
        param,
        `Header ${name} must be a string of at most ${HEADER_VALUE_MAX_LENGTH} characters without line breaks`,
      );
    }
  }
  // `fromEntries` defines own properties, so a header named `__proto__` stays a plain header.
  return Object.fromEntries(entries as [string, string][]);
}

function hasWhitespaceOrControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}

function hasForbiddenHeaderValueChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x0d || code === 0x0a || code === 0x00) return true;
  }
  return false;
}

function isNonPublicHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIPv4(host)) return isNonPublicIPv4(host);
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIPv6(bare)) {
    return (
      bare === '::' ||
      bare === '::1' ||
      bare.startsWith('::ffff:') || // IPv4-mapped: refused whatever the IPv4 address is
      /^f[cd]/.test(bare) || // fc00::/7 unique local
      /^fe[89ab]/.test(bare) // fe80::/10 link local
    );
  }
  return false;
}

function isNonPublicIPv4(host: string): boolean {
  const [a = 0, b = 0] = host.split('.').map(Number);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168)
  );
}

function invalid(param: string, message: string): ApiError {
  return invalidRequest(ERROR_CODES.parameterInvalid, message, param);
}

/** Parameter names and values are echoed in messages only in part. */
function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
