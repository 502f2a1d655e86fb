/**
 * From `unknown` JSON to the wire types, without `any`.
 *
 * Lenient on purpose. Only the envelope is checked here: that the body is an object of the
 * expected kind, with a string `id`, a `data` array, a `nextCursor` that is a string or null.
 * Leaf fields (`name`, `createdAt`, `health.avgResponseTime`…) are passed through as they came,
 * unchecked: one odd leaf (a number where a date string was promised, a `null` in a non-null
 * field, a topic newer than this code) must not make the whole webhook unreadable. The GraphQL
 * layer checks each leaf as it serializes it and reports a bad one as an error on that field
 * alone. So the `Wire*` types here describe what Featurebase promises, and the resolvers must
 * still treat leaf values as untrusted.
 *
 * Extra fields are dropped: only the documented fields are copied, so nothing unknown (and
 * possibly sensitive) travels further than this module.
 *
 * A body that is not the expected envelope at all (an array, a string, a Clover-era
 * `{ success, results }` list, a webhook without an id) is an `UpstreamProtocolError`.
 */

import { UpstreamProtocolError } from './errors.ts';
import type { WireDeletedWebhook, WireWebhook, WireWebhookList } from './wire.ts';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function protocolError(what: string, status: number): UpstreamProtocolError {
  // Says what was expected, never what came: the body may hold anything, secrets included.
  return new UpstreamProtocolError(
    `Featurebase answered ${status} with a body that is not ${what}.`,
    status,
  );
}

/** The documented fields of a webhook, in the documented order. */
const WEBHOOK_FIELDS = [
  'object',
  'id',
  'name',
  'url',
  'description',
  'topics',
  'status',
  'secret',
  'version',
  'requestConfig',
  'lastStatus',
  'health',
  'createdAt',
  'updatedAt',
] as const satisfies readonly (keyof WireWebhook)[];

function toWebhook(value: unknown): WireWebhook | undefined {
  if (!isObject(value)) return undefined;
  const { id, object: tag } = value;
  if (typeof id !== 'string' || id === '') return undefined;
  // An `object` tag, when present, must say webhook: anything else is another resource.
  if (tag !== undefined && tag !== 'webhook') return undefined;
  const webhook: JsonObject = {};
  for (const field of WEBHOOK_FIELDS) {
    if (Object.hasOwn(value, field)) webhook[field] = value[field];
  }
  // Leaves are deliberately unchecked (see the file comment).
  return { ...webhook, object: 'webhook' } as unknown as WireWebhook;
}

/** A webhook (retrieve, create, update, refreshSecret). */
export function decodeWebhook(body: unknown, status = 200): WireWebhook {
  const webhook = toWebhook(body);
  if (!webhook) throw protocolError('a webhook', status);
  return webhook;
}

/** A page of webhooks. A missing or empty `nextCursor` means the last page (as in the SDK). */
export function decodeWebhookList(body: unknown, status = 200): WireWebhookList {
  if (!isObject(body)) throw protocolError('a list of webhooks', status);
  const { object: tag, data, nextCursor } = body;
  const validCursor =
    nextCursor === undefined || nextCursor === null || typeof nextCursor === 'string';
  if (!Array.isArray(data) || (tag !== undefined && tag !== 'list') || !validCursor) {
    throw protocolError('a list of webhooks', status);
  }
  const webhooks: WireWebhook[] = [];
  for (const item of data) {
    // An item that is not a webhook at all cannot be shown, and dropping it would hide it.
    const webhook = toWebhook(item);
    if (!webhook) throw protocolError('a list of webhooks', status);
    webhooks.push(webhook);
  }
  return {
    object: 'list',
    data: webhooks,
    nextCursor: typeof nextCursor === 'string' && nextCursor !== '' ? nextCursor : null,
  };
}

/** The answer to a delete: `{ id, object: "webhook", deleted: true }`. */
export function decodeDeleted(body: unknown, status = 200): WireDeletedWebhook {
  if (!isObject(body)) throw protocolError('a deletion confirmation', status);
  const { id, deleted } = body;
  if (typeof id !== 'string' || deleted !== true)
    throw protocolError('a deletion confirmation', status);
  return { id, object: 'webhook', deleted: true };
}
