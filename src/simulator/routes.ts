/** The six endpoints of the webhooks resource, matched on the raw path and method. */

import { ApiError, webhookNotFound } from './api-error.ts';
import { ERROR_CODES } from './error-codes.ts';
import { isWebhookId } from './validation.ts';

export type Route =
  | { kind: 'list' }
  | { kind: 'create' }
  | { kind: 'retrieve'; id: string }
  | { kind: 'update'; id: string }
  | { kind: 'delete'; id: string }
  | { kind: 'refreshSecret'; id: string };

const COLLECTION = '/v2/webhooks';
const ITEM_PREFIX = '/v2/webhooks/';
const SECRET_SUFFIX = '/secret';

/**
 * Throws a 404 for unknown paths and a 405 for a known path with another method. The id is
 * returned as sent: it is checked with `requireWebhookId` after the version gate.
 */
export function matchRoute(method: string, path: string): Route {
  if (path === COLLECTION) {
    if (method === 'GET') return { kind: 'list' };
    if (method === 'POST') return { kind: 'create' };
    throw methodNotAllowed(method, path, 'GET, POST');
  }
  if (!path.startsWith(ITEM_PREFIX)) throw routeNotFound(method, path);
  const rest = path.slice(ITEM_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash === -1) {
    if (method === 'GET') return { kind: 'retrieve', id: rest };
    if (method === 'PATCH') return { kind: 'update', id: rest };
    if (method === 'DELETE') return { kind: 'delete', id: rest };
    throw methodNotAllowed(method, path, 'GET, PATCH, DELETE');
  }
  if (rest.slice(slash) === SECRET_SUFFIX) {
    if (method === 'POST') return { kind: 'refreshSecret', id: rest.slice(0, slash) };
    throw methodNotAllowed(method, path, 'POST');
  }
  throw routeNotFound(method, path);
}

/**
 * A malformed id is answered like an unknown one, 404 `resource_not_found` (UNCONFIRMED: a 400
 * is as likely). Either way it names no webhook, and the gateway refuses such ids before calling.
 */
export function requireWebhookId(segment: string): string {
  if (!isWebhookId(segment)) throw webhookNotFound();
  return segment.toLowerCase();
}

function routeNotFound(method: string, path: string): ApiError {
  return new ApiError(
    404,
    'invalid_request_error',
    ERROR_CODES.routeNotFound,
    `No such endpoint: ${method} ${path.length > 100 ? `${path.slice(0, 100)}…` : path}`,
  );
}

function methodNotAllowed(method: string, path: string, allow: string): ApiError {
  return new ApiError(
    405,
    'invalid_request_error',
    ERROR_CODES.methodNotAllowed,
    `${method} is not allowed on ${path}; use ${allow}`,
    undefined,
    { allow },
  );
}
