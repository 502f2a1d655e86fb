import type { CallTrace } from './call-trace.ts';

/**
 * Who an upstream call is made for. The GraphQL layer builds one per incoming request; the
 * client never reads credentials from anywhere else (no process-wide key, no global state).
 */
export interface Caller {
  /** The Featurebase API key, sent as `Authorization: Bearer <apiKey>`. Never logged. */
  apiKey: string;
  /** Sent as `Featurebase-Version` (for example `2026-01-01.nova`). */
  apiVersion: string;
  /** The gateway's request id, sent as `X-Request-Id` for tracing. */
  requestId: string;
  /** Aborted when the caller goes away: the call (and any retry wait) stops at once. */
  signal?: AbortSignal;
  /**
   * The client's network address. Calls with a key Featurebase has not accepted yet share the
   * upstream by address (`resilience/resilience.ts`); never sent, logged or kept beyond the call.
   */
  clientAddress?: string;
  /**
   * The trace the call belongs to (the GraphQL operation's span), when tracing is on: each attempt
   * gets a span under it and sends its `traceparent`. Never sent or logged itself.
   */
  trace?: CallTrace;
}

/** What a call ends with when its caller's signal aborted. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
