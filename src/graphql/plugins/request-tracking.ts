/**
 * Per-request bookkeeping at the HTTP edge: a request id (the caller's `X-Request-Id` when it
 * is safe to reuse, else a new one) that is sent upstream, logged, and echoed back; one access
 * log line per request; and `Cache-Control: no-store` on every answer that sets none itself,
 * since any GraphQL response may carry a webhook secret.
 */

import { randomUUID } from 'node:crypto';
import { type DocumentNode, Kind, type OperationDefinitionNode } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { isSecretShaped } from '../../telemetry/secret-shapes.ts';

/** Short printable ids only: the value goes into logs and an upstream header. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The caller's id is logged, sent to Featurebase and echoed back, so it must be an id and
 * nothing else: a short printable value (above) that is not shaped like a key or a secret (an
 * API key pasted into the wrong header would otherwise travel everywhere a request id goes).
 * UUIDs, ULIDs, W3C trace ids and ids like `req-123` pass; see src/telemetry/secret-shapes.ts.
 * Anything else is replaced by a fresh UUID, never repaired: a repaired value could still
 * carry part of a secret.
 */
function isUsableRequestId(value: string): boolean {
  return SAFE_REQUEST_ID.test(value) && !isSecretShaped(value);
}

interface Tracked {
  id: string;
  startedAt: number;
  operationName?: string;
}

const tracked = new WeakMap<Request, Tracked>();

export function requestIdOf(request: Request): string {
  return track(request).id;
}

function track(request: Request): Tracked {
  let entry = tracked.get(request);
  if (!entry) {
    const incoming = request.headers.get('x-request-id');
    entry = {
      id: incoming && isUsableRequestId(incoming) ? incoming : randomUUID(),
      startedAt: performance.now(),
    };
    tracked.set(request, entry);
  }
  return entry;
}

export function useRequestTracking(log: Logger): Plugin {
  return {
    onRequest({ request }) {
      track(request);
    },
    onParams({ request, params }) {
      noteOperationName(request, params.operationName);
    },
    // Parsed (or taken from the parse cache): a request that named no operation is logged under
    // the name its document gives its one operation.
    onParse({ context }) {
      return ({ result }) => {
        if (result instanceof Error || result === null) return;
        const { request, params } = context as { request?: Request; params?: GraphQLParams };
        if (request) noteOperation(request, result, params?.operationName);
      };
    },
    onResponse({ request, response }) {
      const id = finishTracking(request, response.status, log);
      response.headers.set('x-request-id', id);
      // Only an answer that says otherwise (GraphiQL's versioned assets) may be kept.
      if (!response.headers.has('cache-control')) response.headers.set('cache-control', 'no-store');
    },
  };
}

/**
 * The operation name for the access log line: truncated, since it is the caller's text, and
 * left out when it is shaped like a key (as a request id would be).
 */
export function noteOperationName(request: Request, operationName: unknown): void {
  if (typeof operationName !== 'string' || isSecretShaped(operationName)) return;
  track(request).operationName = operationName.slice(0, 100);
}

/** The operation the request runs: the name it gave, else the name of its document's one operation. */
export function noteOperation(
  request: Request,
  document: DocumentNode,
  operationName: string | null | undefined,
): void {
  noteOperationName(request, operationName ?? soleOperationName(document));
}

function soleOperationName(document: DocumentNode): string | undefined {
  let found: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    // Several operations and no name given: nothing runs (graphql-js refuses), so none is named.
    if (found) return undefined;
    found = definition;
  }
  return found?.name?.value;
}

/** Writes the access log line of a request (when info is on) and returns its request id. */
export function finishTracking(request: Request, status: number, log: Logger): string {
  const entry = track(request);
  // Not even built when info is off (the object and the URL parse cost on every request).
  if (log.isLevelEnabled('info')) {
    log.info(
      {
        requestId: entry.id,
        method: request.method,
        path: new URL(request.url).pathname,
        operationName: entry.operationName,
        status,
        durationMs: Math.round((performance.now() - entry.startedAt) * 10) / 10,
      },
      'request',
    );
  }
  return entry.id;
}
