/**
 * What can go wrong when talking to Featurebase, as a small class hierarchy. One factory
 * (`errorFromResponse`) turns a status and a parsed body into the right class, so callers can
 * branch on `instanceof` and never parse bodies themselves. None of these errors holds request
 * headers, the API key or a raw upstream body: their messages are safe to log.
 */

import type { WireErrorBody } from './wire.ts';

/** Featurebase's own description of an error, from its `{ error: {...} }` body. */
export interface UpstreamErrorDetails {
  type?: string;
  code?: string;
  param?: string;
  message?: string;
}

export abstract class FeaturebaseError extends Error {
  override name = 'FeaturebaseError';
}

/** Refused by this client before any request was sent (for example an id that is not an id). */
export class InvalidArgumentError extends FeaturebaseError {
  override name = 'InvalidArgumentError';
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

/** Featurebase answered with a non-2xx status. */
export class UpstreamHttpError extends FeaturebaseError {
  override name = 'UpstreamHttpError';
  constructor(
    readonly status: number,
    readonly details: UpstreamErrorDetails,
    /** Seconds to wait, from `Retry-After` (any status may carry it). */
    readonly retryAfterSeconds?: number,
  ) {
    super(`Featurebase answered ${status}${details.code ? ` (${details.code})` : ''}`);
  }
}

export class BadRequestError extends UpstreamHttpError {
  override name = 'BadRequestError';
}
export class AuthenticationError extends UpstreamHttpError {
  override name = 'AuthenticationError';
}
export class PermissionDeniedError extends UpstreamHttpError {
  override name = 'PermissionDeniedError';
}
/** 404, and 410 (gone) which means the same to a caller. */
export class NotFoundError extends UpstreamHttpError {
  override name = 'NotFoundError';
}
export class ConflictError extends UpstreamHttpError {
  override name = 'ConflictError';
}
export class UnprocessableEntityError extends UpstreamHttpError {
  override name = 'UnprocessableEntityError';
}
export class RateLimitError extends UpstreamHttpError {
  override name = 'RateLimitError';
}
/** Any 5xx. */
export class InternalServerError extends UpstreamHttpError {
  override name = 'InternalServerError';
}

/** No usable answer: connection refused or reset, DNS failure. */
export class UpstreamConnectionError extends FeaturebaseError {
  override name = 'UpstreamConnectionError';
  constructor(
    message: string,
    /** False when the request certainly never left (refused, DNS): safe to send again. */
    readonly mayHaveReachedUpstream: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The attempt (or the whole retry budget) ran out of time. */
export class UpstreamTimeoutError extends FeaturebaseError {
  override name = 'UpstreamTimeoutError';
}

/**
 * Featurebase answered, but not in a way we can use: malformed JSON, a redirect (never
 * followed: the key must not reach another origin), a body over the size cap.
 */
export class UpstreamProtocolError extends FeaturebaseError {
  override name = 'UpstreamProtocolError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * Refused by this client's own protection, without calling Featurebase: the call can simply be
 * made again later. Both subclasses mean "Featurebase is unavailable to this gateway right now".
 */
export abstract class UpstreamRefusedError extends FeaturebaseError {
  override name = 'UpstreamRefusedError';
  constructor(
    message: string,
    /** A hint, in whole seconds, of when trying again makes sense; absent when unknown. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * The circuit breaker is open: too many recent calls to Featurebase failed, so the gateway
 * stopped calling it for a few seconds (one probe call at a time tells when it is back).
 */
export class CircuitOpenError extends UpstreamRefusedError {
  override name = 'CircuitOpenError';
  constructor(retryAfterSeconds?: number) {
    super(
      'Featurebase is failing; the gateway stopped calling it for a few seconds.',
      retryAfterSeconds,
    );
  }
}

/**
 * Too many calls to Featurebase are already in progress or waiting (the bulkhead is full), or
 * this call waited for a free slot until its time ran out. Nothing was sent.
 */
export class UpstreamOverloadedError extends UpstreamRefusedError {
  override name = 'UpstreamOverloadedError';
}

/**
 * Featurebase said this API key's rate limit is used up (`X-RateLimit-Remaining: 0`, or a 429
 * with `Retry-After`), and that time has not passed yet: refused without calling it. A
 * `RateLimitError` (status 429) like the answer it remembers; `retryAfterSeconds` is the time
 * left.
 */
export class RateLimitGateError extends RateLimitError {
  override name = 'RateLimitGateError';
  constructor(retryAfterSeconds: number) {
    super(429, {}, retryAfterSeconds);
    this.message = 'The rate limit of this API key is used up; no call was made to Featurebase.';
  }
}

type HttpErrorClass = new (
  status: number,
  details: UpstreamErrorDetails,
  retryAfterSeconds?: number,
) => UpstreamHttpError;

const CLASS_BY_STATUS: Record<number, HttpErrorClass> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  410: NotFoundError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

/** Builds the error for a non-2xx answer from its status and (possibly off-shape) body. */
export function errorFromResponse(
  status: number,
  body: unknown,
  retryAfterSeconds?: number,
): UpstreamHttpError {
  const ErrorClass =
    CLASS_BY_STATUS[status] ?? (status >= 500 ? InternalServerError : UpstreamHttpError);
  return new ErrorClass(status, detailsFromBody(body), retryAfterSeconds);
}

function detailsFromBody(body: unknown): UpstreamErrorDetails {
  if (!isErrorBody(body)) return {};
  const { type, code, param, message } = body.error;
  const details: UpstreamErrorDetails = {};
  if (typeof type === 'string') details.type = type;
  if (typeof code === 'string') details.code = code;
  if (typeof param === 'string') details.param = param;
  if (typeof message === 'string') details.message = message;
  return details;
}

function isErrorBody(
  body: unknown,
): body is { error: Partial<Record<keyof WireErrorBody['error'], unknown>> } {
  return (
    typeof body === 'object' &&
    body !== null &&
    'error' in body &&
    typeof body.error === 'object' &&
    body.error !== null
  );
}
