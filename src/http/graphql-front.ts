/**
 * The front of `/graphql`, in the Node server before Yoga: what every GraphQL request meets
 * before it may cost memory or execution.
 *
 *   admission (requests in execution) → body read (limit, body memory) → JSON bounds → GraphQL
 *
 * - At most `maxRequestsInFlight` GraphQL requests are in execution; beyond that a request is
 *   shed at once with 503 and `Retry-After` (load shedding), before its body is read.
 * - While the process is short of CPU (src/http/event-loop-pressure.ts), requests without a key
 *   Featurebase has accepted are shed the same way, so tenants it knows are served first.
 * - POST bodies Yoga would parse are read here: within the body limit (413, also while a
 *   chunked body streams) and the body-memory budget (503). Nothing else reads a `/graphql`
 *   body; a POST of another type is refused unread.
 * - A JSON body's `variables` and `extensions` are bounded before it is parsed
 *   (src/graphql/json-limits.ts): 400 BAD_USER_INPUT.
 * - Then the ordinary request (a JSON POST without CORS) goes to the fast path
 *   (src/http/fast-path.ts), and anything else to Yoga, with the body already read.
 *
 * A refusal that leaves a body unread closes the connection (src/http/server.ts). Refusals are
 * answered here with the same JSON error shape Yoga uses, `Cache-Control: no-store` and a
 * request id, written to the access log, and summarised in one warning a second.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Gateway, GRAPHQL_PATH, internalsOf } from '../graphql/gateway.ts';
import {
  JsonBoundsScan,
  type JsonLimitViolation,
  violationMessage,
} from '../graphql/json-limits.ts';
import { finishTracking } from '../graphql/plugins/request-tracking.ts';
import { eventSummary } from '../telemetry/event-summary.ts';
import type { Pressure } from './event-loop-pressure.ts';
import {
  createFastPath,
  type FastPath,
  type FastPathOptions,
  negotiateResponseType,
  RequestView,
  type ServedBy,
} from './fast-path.ts';
import { BodyMemory, InFlightLimit } from './load-shedding.ts';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from './memory-budget.ts';
import { readRequestBody } from './request-body.ts';

/** A handler that may serve a request itself, or pass it on to `next`. */
export type FrontHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  next: () => void,
) => void;

export interface GraphQLFrontOptions extends FastPathOptions {
  /** Told of each request shed with 503 before execution, with its reason (metrics). */
  onShed?: (reason: ShedReason) => void;
  /** The admission and body-memory limits; each one left out keeps its default. */
  limits?: Partial<ServerLimits>;
  /** Whether the process is short of CPU. Default: never (the server passes its own watch). */
  pressure?: Pick<Pressure, 'high'>;
}

/** Seconds a shed client is asked to wait: load moves in milliseconds; one second is plenty. */
const SHED_RETRY_AFTER_SECONDS = 1;

export type ShedReason = 'requests-in-flight' | 'body-memory' | 'event-loop-late';

const NO_PRESSURE = { high: false };

export function createGraphQLFront(
  gateway: Gateway,
  options: GraphQLFrontOptions = {},
): FrontHandler {
  const internals = internalsOf(gateway);
  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  const admission = new InFlightLimit(limits.maxRequestsInFlight);
  const bodies = new BodyMemory(limits.bodyFreeBytesPerRequest, limits.bodyPoolBytes);
  const fastPath = createFastPath(gateway, options);
  const summary = eventSummary<ShedReason>(internals.logger, 'requests shed (HTTP 503)');
  const shed = (reason: ShedReason) => {
    summary(reason);
    options.onShed?.(reason);
  };
  const context: Front = {
    internals,
    admission,
    bodies,
    fastPath,
    onServed: options.onServed,
    shed,
    pressure: options.pressure ?? NO_PRESSURE,
  };
  return (request, response, yoga) => {
    if (!isGraphQLPath(request.url)) {
      yoga();
      return;
    }
    // Short of CPU: tenants Featurebase knows first; nothing is done for anyone else.
    if (
      context.pressure.high &&
      !internals.knownTenant(new RequestView(request, response).headers)
    ) {
      refuseOverloaded(context, request, response, 'event-loop-late');
      return;
    }
    if (request.method === 'POST' && hasParsedBody(request)) {
      handlePost(context, request, response);
      return;
    }
    if (request.method === 'GET' || request.method === 'POST') {
      // A GET runs an operation too (or serves GraphiQL), and a POST of another type is refused
      // by Yoga without its body being read: each takes a place like any request.
      if (!admit(context, request, response)) return;
    }
    context.onServed?.('yoga');
    yoga();
  };
}

interface Front {
  internals: ReturnType<typeof internalsOf>;
  admission: InFlightLimit;
  bodies: BodyMemory;
  fastPath: FastPath;
  onServed: ((path: ServedBy) => void) | undefined;
  shed: (reason: ShedReason) => void;
  pressure: Pick<Pressure, 'high'>;
}

function isGraphQLPath(url: string | undefined): boolean {
  if (url === GRAPHQL_PATH) return true;
  return url?.startsWith(`${GRAPHQL_PATH}?`) === true;
}

function handlePost(front: Front, request: IncomingMessage, response: ServerResponse): void {
  const { internals, bodies } = front;
  // Full already: a body that is not small is refused before a byte of it is read (the
  // connection closes with the answer); a small one is read first, so the connection lives on.
  if (front.admission.full && !isSmall(request, bodies.freeBytesPerBody)) {
    refuseOverloaded(front, request, response, 'requests-in-flight');
    return;
  }
  // JSON is checked against its bounds as it streams in: a padded body is refused after its
  // first kilobytes, the rest never read.
  const scan = isJson(request) ? new JsonBoundsScan(internals.limits) : undefined;
  const refuses = scan ? (chunk: Buffer) => scan.feed(chunk) !== undefined : undefined;
  readRequestBody(request, internals.limits.maxRequestBodyBytes, bodies, refuses)
    .then((read) => {
      if (!read.ok) {
        if (read.refusal === 'too-large') refuseTooLarge(front, request, response);
        else if (read.refusal === 'no-memory') {
          refuseOverloaded(front, request, response, 'body-memory');
        } else if (scan?.violation) refuseJson(front, request, response, scan.violation);
        return;
      }
      if (!admit(front, request, response)) {
        read.release();
        return;
      }
      return front.fastPath(request, response, read.body, read.release);
    })
    // The client went away while sending, or writing the answer failed: nothing to answer.
    .catch(() => response.destroy());
}

/** Takes a place among the requests in execution until the answer is done, or sheds. */
function admit(front: Front, request: IncomingMessage, response: ServerResponse): boolean {
  if (!front.admission.tryEnter()) {
    refuseOverloaded(front, request, response, 'requests-in-flight');
    return false;
  }
  response.once('close', () => front.admission.leave());
  return true;
}

/**
 * The body types Yoga parses into GraphQL params (JSON, `application/graphql`, and forms, which
 * need the CSRF header). A POST of any other type is refused by Yoga without reading its body
 * (403 without the CSRF header, else 415), so it is not read here either: the connection is
 * closed after the refusal instead (src/http/server.ts).
 */
const PARSED_BODY_TYPES = [
  'application/json',
  'application/graphql+json',
  'application/graphql',
  'application/x-www-form-urlencoded',
];

function hasParsedBody(request: IncomingMessage): boolean {
  const type = request.headers['content-type']?.toLowerCase().split(';')[0]?.trim() ?? '';
  return PARSED_BODY_TYPES.includes(type);
}

/** A body whose declared length fits its free share of body memory. */
function isSmall(request: IncomingMessage, freeBytes: number): boolean {
  const declared = request.headers['content-length'];
  return declared !== undefined && /^\d+$/.test(declared) && Number(declared) <= freeBytes;
}

function isJson(request: IncomingMessage): boolean {
  const type = request.headers['content-type']?.toLowerCase() ?? '';
  return type.startsWith('application/json') || type.startsWith('application/graphql+json');
}

function refuseOverloaded(
  front: Front,
  request: IncomingMessage,
  response: ServerResponse,
  reason: ShedReason,
): void {
  front.shed(reason);
  refuse(front, request, response, 503, {
    message: 'The gateway is busy; try again in a moment.',
    extensions: { code: 'OVERLOADED', retryAfter: SHED_RETRY_AFTER_SECONDS },
    headers: { 'retry-after': String(SHED_RETRY_AFTER_SECONDS) },
  });
}

function refuseTooLarge(front: Front, request: IncomingMessage, response: ServerResponse): void {
  // The same words and code as Yoga's own limit (src/graphql/plugins/body-limit.ts).
  refuse(front, request, response, 413, {
    message: 'Request body too large',
    extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' },
  });
}

function refuseJson(
  front: Front,
  request: IncomingMessage,
  response: ServerResponse,
  violation: JsonLimitViolation,
): void {
  refuse(front, request, response, 400, {
    message: violationMessage(violation, front.internals.limits),
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

interface Refusal {
  message: string;
  extensions: Record<string, unknown>;
  headers?: Record<string, string>;
}

function refuse(
  front: Front,
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  refusal: Refusal,
): void {
  front.onServed?.('refused');
  if (response.headersSent || response.destroyed) return;
  const view = new RequestView(request, response);
  const requestId = finishTracking(view.asRequest(), status, front.internals.logger);
  const text = JSON.stringify({
    errors: [{ message: refusal.message, extensions: refusal.extensions }],
  });
  response.writeHead(status, {
    'content-type': `${negotiateResponseType(request.headers.accept) ?? 'application/json'}; charset=utf-8`,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-request-id': requestId,
    ...refusal.headers,
  });
  response.end(text);
}
