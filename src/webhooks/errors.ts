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
