/**
 * Checks and converts the GraphQL inputs of createWebhook/updateWebhook into Featurebase's wire
 * params, so that a request Featurebase would refuse costs no upstream call and gets a message
 * that names the field. The rules are the documented ones (wire.ts LIMITS); where the docs
 * disagree we keep the stricter reading.
 */

import { BadUserInputError } from './errors.ts';
import {
  type KnownWebhookTopic,
  LIMITS,
  SETTABLE_WEBHOOK_STATUSES,
  type SettableWebhookStatus,
  WEBHOOK_TOPICS,
  type WireCreateParams,
  type WireUpdateParams,
} from './upstream/wire.ts';

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

const URL_MAX_LENGTH = 2048;
/** RFC 9110 token: what an HTTP header name may contain. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;
/** Visible ASCII, spaces and tabs, and non-ASCII text; never CR, LF or NUL. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\uffff]{0,4096}$/;

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
  const trimmed = name.trim();
  if (trimmed.length === 0 || name.length > LIMITS.nameMaxLength) {
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
 * Featurebase delivers only to public https endpoints. The value is never echoed back: it may
 * carry a token in its path or query.
 */
function checkUrl(raw: string, field: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (raw.length > URL_MAX_LENGTH || /[\u0000-\u001f\u007f\s]/.test(raw)) {
    throw new BadUserInputError(
      `${field} must be an https URL of at most ${URL_MAX_LENGTH} characters, without spaces or control characters.`,
      field,
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BadUserInputError(`${field} must be an absolute https URL.`, field);
  }
  if (url.protocol !== 'https:') throw new BadUserInputError(`${field} must use https.`, field);
  if (url.username || url.password) {
    throw new BadUserInputError(`${field} must not contain a user name or password.`, field);
  }
  return raw;
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

function toHeaderMap(headers: readonly HeaderInput[], field: string): Record<string, string> {
  if (headers.length > LIMITS.headersMax) {
    throw new BadUserInputError(`${field} holds at most ${LIMITS.headersMax} headers.`, field);
  }
  // A null prototype: header names such as "__proto__" must stay plain data.
  const map: Record<string, string> = Object.create(null);
  const seen = new Set<string>();
  for (const { name, value } of headers) {
    if (!HEADER_NAME.test(name)) {
      throw new BadUserInputError(
        `${field} has a name that is not a valid HTTP header name.`,
        field,
      );
    }
    if (seen.has(name.toLowerCase())) {
      throw new BadUserInputError(`${field} names the same header twice.`, field);
    }
    if (!HEADER_VALUE.test(value)) {
      throw new BadUserInputError(
        `${field} has a value that is too long or holds line breaks or control characters.`,
        field,
      );
    }
    seen.add(name.toLowerCase());
    map[name] = value;
  }
  return map;
}
