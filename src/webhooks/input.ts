/**
 * Checks and converts the GraphQL inputs of createWebhook/updateWebhook into Featurebase's wire
 * params, so that a request Featurebase would refuse costs no upstream call and gets a message
 * that names the field. The rules are the documented ones (wire.ts LIMITS); where the docs
 * disagree we keep the stricter reading.
 */

import {
  type KnownWebhookTopic,
  LIMITS,
  SETTABLE_WEBHOOK_STATUSES,
  type SettableWebhookStatus,
  WEBHOOK_TOPICS,
  type WireCreateParams,
  type WireUpdateParams,
} from '../upstream/wire.ts';
import { BadUserInputError } from './errors.ts';
import { checkPublicHttpsUrl, PUBLIC_URL_MAX_LENGTH, type PublicUrlRefusal } from './public-url.ts';

/** GraphQL gives `null` for an explicit null and `undefined` for an absent field. */
type Maybe<T> = T | null | undefined;

export interface HeaderInput {
  name: string;
  value: string;
}

export interface RequestConfigInput {
  timeoutMs?: Maybe<number>;
  headers?: Maybe<readonly HeaderInput[]>;
}

export interface CreateWebhookInput {
  name: string;
  url: string;
  topics: readonly string[];
  description?: Maybe<string>;
  requestConfig?: Maybe<RequestConfigInput>;
}

export interface UpdateWebhookInput {
  name?: Maybe<string>;
  url?: Maybe<string>;
  description?: Maybe<string>;
  topics?: Maybe<readonly string[]>;
  status?: Maybe<string>;
  requestConfig?: Maybe<RequestConfigInput>;
}

/** RFC 9110 token: what an HTTP header name may contain (256 at most, as the simulator). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;
/** As the simulator: Featurebase's own bound is not documented. */
const HEADER_VALUE_MAX_LENGTH = 1024;
/**
 * Visible ASCII, space, tab and Latin-1 text (obs-text without the C1 controls). No CR, LF, NUL
 * or other control character; nothing above U+00FF, which a header (a byte string: undici and
 * fetch refuse it) cannot carry.
 */
const HEADER_VALUE = /^[\t\x20-\x7e\xa0-\xff]*$/;
/**
 * Names a delivery's sender owns: the framing and connection (hop-by-hop, RFC 9110 7.6.1, and
 * `expect`, which undici refuses), the body's type, and Featurebase's signature headers. The
 * simulator refuses the same (and fewer); `proxy-*` is refused as a prefix.
 */
const RESERVED_HEADER_NAMES: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'x-webhook-signature',
  'x-webhook-timestamp',
]);

/** What each URL refusal tells the caller; the URL itself is never echoed (it may hold a token). */
const URL_MESSAGES: Record<PublicUrlRefusal, string> = {
  'too-long': `must be at most ${PUBLIC_URL_MAX_LENGTH} characters.`,
  'bad-characters': 'must not contain spaces, control characters or backslashes.',
  malformed: 'must be an absolute URL written as https://host/path.',
  'not-https': 'must use https.',
  userinfo: 'must not contain a user name or password.',
  'bad-host':
    'must have a plain DNS host name: labels of letters, digits, hyphens or underscores, no empty label, no trailing dot.',
  'local-name':
    'must name a public host: localhost, single-label names and local or internal domains (.local, .internal, …) are refused.',
  'non-public-address':
    'must not point to a loopback, private, link-local, multicast or otherwise non-public IP address.',
};

export function toCreateParams(input: CreateWebhookInput): WireCreateParams {
  const params: WireCreateParams = {
    name: checkName(input.name, 'input.name'),
    url: checkUrl(input.url, 'input.url'),
    topics: checkTopics(input.topics, 'input.topics'),
  };
  if (input.description !== undefined && input.description !== null) {
    params.description = checkDescription(input.description, 'input.description');
  }
  const requestConfig = toRequestConfig(input.requestConfig, 'input.requestConfig');
  if (requestConfig) params.requestConfig = requestConfig;
  return params;
}

export function toUpdateParams(input: UpdateWebhookInput): WireUpdateParams {
  const params: WireUpdateParams = {};
  if (input.name !== undefined)
    params.name = checkName(notNull(input.name, 'input.name'), 'input.name');
  if (input.url !== undefined) params.url = checkUrl(notNull(input.url, 'input.url'), 'input.url');
  if (input.description !== undefined) {
    // null is meaningful here: it clears the description.
    params.description =
      input.description === null ? null : checkDescription(input.description, 'input.description');
  }
  if (input.topics !== undefined) {
    params.topics = checkTopics(notNull(input.topics, 'input.topics'), 'input.topics');
  }
  if (input.status !== undefined) {
    params.status = checkSettableStatus(notNull(input.status, 'input.status'), 'input.status');
  }
  if (input.requestConfig !== undefined) {
    const requestConfig = toRequestConfig(
      notNull(input.requestConfig, 'input.requestConfig'),
      'input.requestConfig',
    );
    if (requestConfig) params.requestConfig = requestConfig;
  }
  if (Object.keys(params).length === 0) {
    throw new BadUserInputError('Give at least one field to change.', 'input');
  }
  return params;
}

function notNull<T>(value: T | null, field: string): T {
  if (value === null) throw new BadUserInputError(`${field} cannot be null.`, field);
  return value;
}

function checkName(name: string, field: string): string {
  // The length first: a 1 MB name is refused without being trimmed or scanned.
  if (name.length > LIMITS.nameMaxLength || name.trim().length === 0) {
    throw new BadUserInputError(
      `${field} must be 1 to ${LIMITS.nameMaxLength} characters, not blank.`,
      field,
    );
  }
  return name;
}

function checkDescription(description: string, field: string): string {
  if (description.length > LIMITS.descriptionMaxLength) {
    throw new BadUserInputError(
      `${field} must be at most ${LIMITS.descriptionMaxLength} characters.`,
      field,
    );
  }
  return description;
}

/**
 * Featurebase delivers only to public https endpoints (rules in public-url.ts). What is sent is the
 * normalised URL, the form that was checked. The value is never echoed back: it may carry a token
 * in its path or query.
 */
function checkUrl(raw: string, field: string): string {
  const result = checkPublicHttpsUrl(raw);
  if (!result.ok) throw new BadUserInputError(`${field} ${URL_MESSAGES[result.reason]}`, field);
  return result.href;
}

function checkTopics(topics: readonly string[], field: string): KnownWebhookTopic[] {
  if (topics.length === 0) throw new BadUserInputError(`${field} needs at least one topic.`, field);
  const known: KnownWebhookTopic[] = [];
  for (const topic of topics) {
    const match = WEBHOOK_TOPICS.find((candidate) => candidate === topic);
    if (!match) {
      throw new BadUserInputError(
        `${field} has a topic that cannot be subscribed to (UNKNOWN).`,
        field,
      );
    }
    if (!known.includes(match)) known.push(match);
  }
  return known;
}

function checkSettableStatus(status: string, field: string): SettableWebhookStatus {
  const match = SETTABLE_WEBHOOK_STATUSES.find((candidate) => candidate === status);
  if (!match) throw new BadUserInputError(`${field} must be ACTIVE or PAUSED.`, field);
  return match;
}

function toRequestConfig(
  input: Maybe<RequestConfigInput>,
  field: string,
): WireCreateParams['requestConfig'] | undefined {
  if (input === undefined || input === null) return undefined;
  const config: NonNullable<WireCreateParams['requestConfig']> = {};
  if (input.timeoutMs !== undefined && input.timeoutMs !== null) {
    const timeoutMs = input.timeoutMs;
    if (
      !Number.isInteger(timeoutMs) ||
      timeoutMs < LIMITS.timeoutMsMin ||
      timeoutMs > LIMITS.timeoutMsMax
    ) {
      throw new BadUserInputError(
        `${field}.timeoutMs must be from ${LIMITS.timeoutMsMin} to ${LIMITS.timeoutMsMax}.`,
        `${field}.timeoutMs`,
      );
    }
    config.timeoutMs = timeoutMs;
  }
  if (input.headers !== undefined && input.headers !== null) {
    config.headers = toHeaderMap(input.headers, `${field}.headers`);
  }
  return Object.keys(config).length > 0 ? config : undefined;
}

/**
 * Header names and values are not echoed: a refused name may hold line breaks, a value a token.
 * The message names the header by its position instead.
 */
function toHeaderMap(headers: readonly HeaderInput[], field: string): Record<string, string> {
  if (headers.length > LIMITS.headersMax) {
    throw new BadUserInputError(`${field} holds at most ${LIMITS.headersMax} headers.`, field);
  }
  // A null prototype: header names such as "__proto__" must stay plain data.
  const map: Record<string, string> = Object.create(null);
  const seen = new Set<string>();
  for (const [index, { name, value }] of headers.entries()) {
    const at = `${field}[${index}]`;
    if (!HEADER_NAME.test(name)) {
      throw new BadUserInputError(
        `${at}.name must be an HTTP header name: an RFC 9110 token of 1 to 256 characters.`,
        `${at}.name`,
      );
    }
    const lower = name.toLowerCase();
    if (RESERVED_HEADER_NAMES.has(lower) || lower.startsWith('proxy-')) {
      throw new BadUserInputError(
        `${at}.name is a header that Featurebase sets itself (framing, connection, content type or signature) and cannot be overridden.`,
        `${at}.name`,
      );
    }
    if (seen.has(lower)) {
      throw new BadUserInputError(
        `${at}.name names the same header as an earlier one (names are case-insensitive).`,
        `${at}.name`,
      );
    }
    if (value.length > HEADER_VALUE_MAX_LENGTH || !HEADER_VALUE.test(value)) {
      throw new BadUserInputError(
        `${at}.value must be at most ${HEADER_VALUE_MAX_LENGTH} characters of printable ASCII or Latin-1 text, without line breaks or other control characters (tab allowed).`,
        `${at}.value`,
      );
    }
    seen.add(lower);
    map[name] = value;
  }
  return map;
}
