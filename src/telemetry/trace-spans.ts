/**
 * The gateway's spans: one SERVER span per GraphQL operation, continuing the caller's W3C trace
 * when its request carries a `traceparent`, and one CLIENT span per Featurebase attempt under it
 * (the upstream client's `CallTrace`, src/upstream/call-trace.ts).
 *
 * What a span may hold is decided here, once: the operation's type, its name when it is short and
 * not shaped like a secret, its outcome as an error code; for an attempt, the method, the path
 * template (`/v2/webhooks/:id`), the upstream's host and port, the status and the error class.
 * Never a document, a variable, a header value, a key, a secret, a webhook id or a URL; no event
 * and no exception is recorded (their messages are free text).
 *
 * No global OpenTelemetry state: the tracer is passed in, parents are passed explicitly as
 * contexts, and the propagator is an object of this module.
 */

import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';
import type {
  AttemptOutcome,
  AttemptSpan,
  CallTrace,
  TracedAttempt,
} from '../upstream/call-trace.ts';
import { isSecretShaped } from './secret-shapes.ts';

/**
 * Attribute names of the semantic conventions still marked incubating: written here rather than
 * imported from the package's `incubating` entry point, which the OpenTelemetry authors advise
 * against depending on (its names may change between minor versions).
 */
export const ATTR_GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';
export const ATTR_GRAPHQL_OPERATION_NAME = 'graphql.operation.name';
export const ATTR_URL_TEMPLATE = 'url.template';
/** The gateway's own: `ok`, or the `extensions.code` of the operation's first error. */
export const ATTR_OUTCOME = 'gateway.outcome';

export type OperationType = 'query' | 'mutation' | 'subscription';

/** Reads a request header (a Fetch `Headers`, or the fast path's view of Node's headers). */
export interface HeaderReader {
  get(name: string): string | null;
}

export interface OperationTracer {
  /** Starts the span of one GraphQL operation, as a child of the caller's span when it sent one. */
  start(headers: HeaderReader): OperationSpan;
}

export interface OperationSpan {
  /** What the parsed document says the operation is (the span was named `anonymous` until then). */
  describe(type: OperationType, name: string | undefined): void;
  /** For the operation's Featurebase calls: their spans are children of this one. */
  readonly calls: CallTrace;
  /** `ok`, or the first error's `extensions.code`. Only the first call counts. */
  end(outcome: string): void;
}

/** Operation names are the caller's text: at most this long in a span, or left out. */
const MAX_OPERATION_NAME = 100;
/** An error code as the gateway and Yoga write them (`NOT_FOUND`, `GRAPHQL_PARSE_FAILED`). */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
/** An error class name (`UpstreamTimeoutError`, `AbortError`). */
const ERROR_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

const propagator = new W3CTraceContextPropagator();

const headerGetter: TextMapGetter<HeaderReader> = {
  get: (carrier, key) => carrier.get(key) ?? undefined,
  // Only `get` is used by the W3C propagator.
  keys: () => [],
};

const headerSetter = {
  set(carrier: Record<string, string>, key: string, value: string): void {
    carrier[key] = value;
  },
};

export function operationTracer(tracer: Tracer): OperationTracer {
  return {
    start(headers) {
      const span = tracer.startSpan('anonymous', { kind: SpanKind.SERVER }, callerContext(headers));
      return operationSpan(tracer, span);
    },
  };
}

/**
 * The caller's trace from `traceparent` (and `tracestate`), or none. A `tracestate` is the
 * caller's text and would be exported with every span: one shaped like a key or secret is
 * dropped, the trace itself kept.
 */
function callerContext(headers: HeaderReader): Context {
  const extracted = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
  const parent = trace.getSpanContext(extracted);
  if (parent?.traceState === undefined || !isSecretShaped(parent.traceState.serialize())) {
    return extracted;
  }
  const { traceState: _dropped, ...withoutState } = parent;
  return trace.setSpanContext(ROOT_CONTEXT, withoutState);
}

function operationSpan(tracer: Tracer, span: Span): OperationSpan {
  const parent = trace.setSpan(ROOT_CONTEXT, span);
  let ended = false;
  return {
    describe(type, name) {
      const safeName = operationName(name);
      span.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, type);
      if (safeName !== undefined) span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, safeName);
      span.updateName(safeName === undefined ? type : `${type} ${safeName}`);
    },
    calls: {
      startAttempt: (attempt) => attemptSpan(tracer, parent, attempt),
    },
    end(outcome) {
      if (ended) return;
      ended = true;
      const code = outcome === 'ok' ? 'ok' : errorCode(outcome);
      span.setAttribute(ATTR_OUTCOME, code);
      if (code !== 'ok') {
        span.setAttribute(ATTR_ERROR_TYPE, code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      }
      span.end();
    },
  };
}

function attemptSpan(tracer: Tracer, parent: Context, attempt: TracedAttempt): AttemptSpan {
  const span = tracer.startSpan(
    `${attempt.method} ${attempt.pathTemplate}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: attempt.method,
        [ATTR_URL_TEMPLATE]: attempt.pathTemplate,
        [ATTR_SERVER_ADDRESS]: attempt.serverAddress,
        [ATTR_SERVER_PORT]: attempt.serverPort,
        ...(attempt.attempt > 1 ? { [ATTR_HTTP_REQUEST_RESEND_COUNT]: attempt.attempt - 1 } : {}),
      },
    },
    parent,
  );
  // Only `traceparent` is sent: a `tracestate` the caller sent stays with the gateway.
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, headerSetter);
  return {
    traceparent: carrier['traceparent'],
    end(outcome: AttemptOutcome) {
      if (outcome.status !== undefined) {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, outcome.status);
      }
      const errorType = attemptErrorType(outcome);
      if (errorType !== undefined) {
        span.setAttribute(ATTR_ERROR_TYPE, errorType);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
      }
      span.end();
    },
  };
}

/** The name as a span may carry it: bounded, and left out when shaped like a key or secret. */
function operationName(name: string | undefined): string | undefined {
  if (name === undefined || name === '' || isSecretShaped(name)) return undefined;
  return name.slice(0, MAX_OPERATION_NAME);
}

/** A code the gateway wrote; anything else (never expected) as a generic one. */
function errorCode(outcome: string): string {
  return ERROR_CODE.test(outcome) && !isSecretShaped(outcome) ? outcome : 'INTERNAL_SERVER_ERROR';
}

/** As the HTTP conventions say: the status for an error answer, else the error's class. */
function attemptErrorType(outcome: AttemptOutcome): string | undefined {
  if (outcome.status !== undefined && outcome.status >= 400) return String(outcome.status);
  if (outcome.error === undefined) return undefined;
  return ERROR_NAME.test(outcome.error) && !isSecretShaped(outcome.error) ? outcome.error : 'Error';
}
