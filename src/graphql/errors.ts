/**
 * The one place where failures become public GraphQL errors (Yoga's `maskError` hook).
 *
 * Expected failures get a stable `extensions.code` (design.md 1.4) and, when Featurebase gave
 * them, `extensions.upstream` with its status/type/code/param. Anything else is masked as
 * INTERNAL_SERVER_ERROR: no stack, no cause, no upstream body or headers, ever.
 */

import { type ExecutionResult, GraphQLError, type GraphQLErrorExtensions } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isSecretShaped, scrubSecretShapes } from '../telemetry/secret-shapes.ts';
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  FeaturebaseError,
  InternalServerError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  RateLimitGateError,
  UnprocessableEntityError,
  UpstreamConnectionError,
  UpstreamHttpError,
  UpstreamProtocolError,
  UpstreamRefusedError,
  UpstreamTimeoutError,
} from '../upstream/errors.ts';
import type { WireErrorType } from '../upstream/wire.ts';
import { type ErrorCode, GatewayError } from '../webhooks/errors.ts';
import { hygienicMessage } from './message-hygiene.ts';

interface PublicError {
  code: ErrorCode;
  message: string;
  extensions?: GraphQLErrorExtensions;
}

const UNEXPECTED: PublicError = { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' };

/** Yoga `maskedErrors.maskError`: `error` is what the executor (or a plugin) produced. */
export function maskError(error: unknown): GraphQLError {
  const located = isGraphQLError(error) ? error : undefined;
  // Errors graphql-js or Yoga made on purpose (syntax, validation, HTTP-level): already public
  // (`useLeakFreeErrors` removes what they would say of the schema, of the request body, or of
  // the values the caller sent).
  if (located && isDeliberateGraphQLError(located)) return located;

  const publicError = describe(located ? located.originalError : error);
  return new GraphQLError(publicError.message, {
    ...(located?.nodes ? { nodes: located.nodes } : {}),
    ...(located?.path ? { path: located.path } : {}),
    extensions: { ...publicError.extensions, code: publicError.code },
  });
}

/**
 * The last look at every error before it is sent, whatever produced it (parser, validation,
 * variable coercion, request parsing, execution): Yoga's `maskError` does not see all of them.
 */
export function useLeakFreeErrors(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result)) setResult(result.map(scrubLeakyErrors));
      else if (!isAsyncIterable(result)) setResult(scrubLeakyErrors(result));
    },
  };
}

/** Removes in place what an answer's errors would leak (see `useLeakFreeErrors`). */
export function scrubLeakyErrors(result: ExecutionResult): ExecutionResult {
  for (const error of result.errors ?? []) if (isGraphQLError(error)) withoutLeaks(error);
  return result;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * The message may not hold schema suggestions, the caller's values or anything secret-shaped
 * (src/graphql/message-hygiene.ts), and Yoga's `originalError` extension of a JSON parse error quotes
 * the whole request body (which may hold a key): neither reaches a response.
 */
function withoutLeaks(error: GraphQLError): GraphQLError {
  // In place: Yoga reads other properties of these very objects (the HTTP status among them),
  // and a cached validation error is cleaned the same way every time (the rewrite is
  // idempotent).
  const message = hygienicMessage(error);
  if (message !== error.message) error.message = message;
  const extensions: Record<string, unknown> | undefined = error.extensions;
  if (extensions && 'originalError' in extensions) {
    delete extensions['originalError'];
    // Yoga read that extension to know the request itself was broken (400 even for clients
    // that accept only application/json); without it, the status must no longer be optional.
    const http = extensions['http'];
    if (typeof http === 'object' && http !== null) extensions['http'] = { ...http, spec: false };
  }
  return error;
}

/**
 * By name, not `instanceof`: graphql ships both a CommonJS and an ES module build, and an error
 * made by one copy is not an instance of the other's class.
 */
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError';
}

function isDeliberateGraphQLError(error: GraphQLError): boolean {
  let cause: unknown = error.originalError;
  while (isGraphQLError(cause)) {
    if (!cause.originalError) return true;
    cause = cause.originalError;
  }
  return cause === undefined || cause === null;
}

/** The public code of an error the gateway expects (not a bug of its own), for logging. */
export function expectedErrorCode(error: unknown): string | undefined {
  if (isGraphQLError(error) && isDeliberateGraphQLError(error)) {
    const code = error.extensions?.['code'];
    return typeof code === 'string' ? code : 'GRAPHQL_REQUEST_REFUSED';
  }
  const original = isGraphQLError(error) ? error.originalError : error;
  // The client went away: its calls were cut on purpose and nobody reads the answer.
  if (original instanceof Error && original.name === 'AbortError') return 'CLIENT_CLOSED_REQUEST';
  const { code } = describe(original);
  return code === 'INTERNAL_SERVER_ERROR' ? undefined : code;
}

export function describe(error: unknown): PublicError {
  if (error instanceof GatewayError) return { code: error.code, message: error.message };
  if (error instanceof FeaturebaseError) return withSaneRetryAfter(describeUpstream(error));
  return UNEXPECTED;
}

/**
 * The longest `extensions.retryAfter` a client is told, in seconds. Featurebase's windows are
 * one minute, and the rate-limit gate holds a key back at most an hour whatever Featurebase
 * says (`CLIENT_DEFAULTS.rateLimitGateMaxWaitMs`): a bogus `Retry-After: 99999999999`, or a
 * breaker configured to wait for days, must not tell a client to come back in 3000 years.
 */
export const MAX_PUBLIC_RETRY_AFTER_SECONDS = 3600;

/** Every public `retryAfter` passes here: whole seconds from 0 to the maximum. */
function withSaneRetryAfter(described: PublicError): PublicError {
  const retryAfter = described.extensions?.['retryAfter'];
  if (typeof retryAfter !== 'number') return described;
  const extensions: GraphQLErrorExtensions = { ...described.extensions };
  // NaN says nothing: left out. Infinity and anything too long become the maximum.
  if (Number.isNaN(retryAfter)) delete extensions['retryAfter'];
  else {
    extensions['retryAfter'] = Math.min(
      MAX_PUBLIC_RETRY_AFTER_SECONDS,
      Math.max(0, Math.ceil(retryAfter)),
    );
  }
  return { ...described, extensions };
}

function describeUpstream(error: FeaturebaseError): PublicError {
  if (error instanceof InvalidArgumentError) {
    return { code: 'BAD_USER_INPUT', message: error.message };
  }
  if (error instanceof UpstreamTimeoutError) {
    return { code: 'UPSTREAM_TIMEOUT', message: error.message };
  }
  if (error instanceof UpstreamConnectionError) {
    return { code: 'UPSTREAM_UNAVAILABLE', message: error.message };
  }
  if (error instanceof UpstreamRefusedError) {
    // The breaker is open or too many calls are in flight: nothing was sent.
    const extensions: GraphQLErrorExtensions = {};
    if (error.retryAfterSeconds !== undefined) extensions['retryAfter'] = error.retryAfterSeconds;
    return { code: 'UPSTREAM_UNAVAILABLE', message: error.message, extensions };
  }
  if (error instanceof UpstreamProtocolError) {
    return {
      code: 'UPSTREAM_UNAVAILABLE',
      message: 'Featurebase sent an answer the gateway cannot use.',
      extensions: { upstream: { status: error.status } },
    };
  }
  if (error instanceof UpstreamHttpError) return describeHttp(error);
  return UNEXPECTED;
}

/** Error types Featurebase documents: only their messages are worth passing on. */
const DOCUMENTED_TYPES: ReadonlySet<string> = new Set<WireErrorType>([
  'authentication_error',
  'authorization_error',
  'invalid_request_error',
  'rate_limit_error',
  'api_error',
]);

function describeHttp(error: UpstreamHttpError): PublicError {
  const extensions: GraphQLErrorExtensions = { upstream: upstreamExtension(error) };
  // A body off Featurebase's documented shape may not come from Featurebase at all (a proxy, a
  // misrouted request): its text is not passed on.
  const documented = DOCUMENTED_TYPES.has(error.details.type ?? '');
  const reason = documented ? safeUpstreamMessage(error.details.message) : undefined;
  const because = reason ? `: ${reason}` : '.';
  if (error instanceof AuthenticationError) {
    return {
      code: 'UNAUTHENTICATED',
      message: 'Featurebase did not accept the API key.',
      extensions,
    };
  }
  if (error instanceof PermissionDeniedError) {
    return {
      code: 'FORBIDDEN',
      message: `Featurebase does not allow this API key to do that${because}`,
      extensions,
    };
  }
  if (error instanceof NotFoundError) {
    return { code: 'NOT_FOUND', message: 'No webhook with this id.', extensions };
  }
  if (
    error instanceof BadRequestError ||
    error instanceof UnprocessableEntityError ||
    error instanceof ConflictError
  ) {
    return {
      code: 'BAD_USER_INPUT',
      message: `Featurebase refused the request${because}`,
      extensions,
    };
  }
  if (error instanceof RateLimitGateError) {
    // Refused here, from what Featurebase said earlier: no upstream answer to describe.
    return {
      code: 'RATE_LIMITED',
      message: error.message,
      extensions: { retryAfter: error.retryAfterSeconds ?? 0 },
    };
  }
  if (error instanceof RateLimitError) {
    if (error.retryAfterSeconds !== undefined) extensions['retryAfter'] = error.retryAfterSeconds;
    return {
      code: 'RATE_LIMITED',
      message: 'Featurebase rate limit reached; try again later.',
      extensions,
    };
  }
  if (error instanceof InternalServerError) {
    return {
      code: 'UPSTREAM_UNAVAILABLE',
      message: `Featurebase is unavailable (it answered ${error.status}).`,
      extensions,
    };
  }
  // A status Featurebase does not document (a 418, say): its details mean nothing to a caller.
  return { ...UNEXPECTED, extensions: { upstream: { status: error.status } } };
}

/**
 * Featurebase's `type`, `code` and `param` are upstream text shown to clients: each is passed on
 * only when it is one of the documented values or has the documented shape, and otherwise left
 * out whole (never clipped, never repaired: a clipped key is still part of a key).
 */
function upstreamExtension(error: UpstreamHttpError): Record<string, string | number> {
  const upstream: Record<string, string | number> = { status: error.status };
  const { type, code, param } = error.details;
  if (type !== undefined && DOCUMENTED_TYPES.has(type)) upstream['type'] = type;
  if (code !== undefined && isUpstreamCode(code)) upstream['code'] = code;
  if (param !== undefined && isUpstreamParam(param)) upstream['param'] = param;
  return upstream;
}

/** Longest `code` or `param` passed on; the documented ones are a fraction of it. */
const UPSTREAM_DETAIL_MAX_LENGTH = 64;
/**
 * A short snake_case identifier, as the one documented code (`resource_not_found`) and every
 * code the simulator uses (src/simulator/error-codes.ts).
 */
const UPSTREAM_CODE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/**
 * A field path: names joined by dots, each with optional list indexes (`name`,
 * `requestConfig.timeoutMs`, `requestConfig.headers[0].name`). Names may hold a dash, as the
 * header a parameter came from can be named (`Featurebase-Version`).
 */
const UPSTREAM_PARAM =
  /^[A-Za-z_][A-Za-z0-9_-]*(?:\[\d{1,4}\])*(?:\.[A-Za-z_][A-Za-z0-9_-]*(?:\[\d{1,4}\])*)*$/;

function isUpstreamCode(code: string): boolean {
  return (
    code.length <= UPSTREAM_DETAIL_MAX_LENGTH && UPSTREAM_CODE.test(code) && !isSecretShaped(code)
  );
}

function isUpstreamParam(param: string): boolean {
  return (
    param.length <= UPSTREAM_DETAIL_MAX_LENGTH &&
    UPSTREAM_PARAM.test(param) &&
    !isSecretShaped(param)
  );
}

/**
 * Featurebase's human message helps with 4xx (which field, which limit), but it is upstream
 * text: keep it short, printable, and scrub anything shaped like a key or a secret.
 */
function safeUpstreamMessage(message: string | undefined): string | undefined {
  if (!message) return undefined;
  const scrubbed = scrubSecretShapes(
    message.replace(/[\p{Cc}\p{Cf}]+/gu, ' '),
    '[redacted]',
  ).trim();
  return scrubbed ? clip(scrubbed, 200) : undefined;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
