/**
 * Errors the gateway raises itself, before or instead of an upstream call. Each carries the
 * stable `extensions.code` of the public contract; `src/graphql/errors.ts` turns them (and the
 * upstream client's errors) into GraphQL errors in one place.
 */

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'UNSUPPORTED_API_VERSION'
  | 'RATE_LIMITED'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_UNAVAILABLE'
  | 'ENTITY_BATCH_TOO_LARGE'
  | 'INTERNAL_SERVER_ERROR';

export abstract class GatewayError extends Error {
  abstract readonly code: ErrorCode;
}

export class UnauthenticatedError extends GatewayError {
  override name = 'UnauthenticatedError';
  readonly code = 'UNAUTHENTICATED';
}

export class UnsupportedApiVersionError extends GatewayError {
  override name = 'UnsupportedApiVersionError';
  readonly code = 'UNSUPPORTED_API_VERSION';
}

export class BadUserInputError extends GatewayError {
  override name = 'BadUserInputError';
  readonly code = 'BAD_USER_INPUT';
  constructor(
    message: string,
    /** The argument or input field at fault, as a dotted path (`input.url`). */
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * Webhooks asked for by id in one batch (a router's `_entities` references, several
 * `webhook(id:)`) that the operation's budget did not let the gateway look up: the workspace is
 * larger than the list pages one operation may read, and more of the ids lie beyond them than
 * the remaining calls can retrieve one by one. Not `BAD_USER_INPUT`: each reference is valid and
 * the same batch in a smaller workspace resolves; not `UPSTREAM_*` nor `RATE_LIMITED`: Featurebase
 * is fine and a retry of the same batch fails the same way. What helps is a smaller batch, or a
 * larger `ENTITY_PAGES_PER_OPERATION`.
 */
export class EntityBatchTooLargeError extends GatewayError {
  override name = 'EntityBatchTooLargeError';
  readonly code = 'ENTITY_BATCH_TOO_LARGE';
  constructor(pages: number, calls: number) {
    super(
      'Not looked up: the workspace holds more webhooks than one request may page through ' +
        `(${pages} list ${pages === 1 ? 'page' : 'pages'} of 100), and too many of the webhooks asked for lie beyond them to ` +
        `fetch one by one within the request's ${calls} Featurebase calls. The reference itself ` +
        'is fine: send fewer references per request.',
    );
  }
}
