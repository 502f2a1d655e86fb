/**
 * Tracing of upstream calls, as the client sees it: interfaces only. The client knows nothing of
 * OpenTelemetry (src/telemetry/ implements these). A `Caller` that carries a `CallTrace` gets a
 * span per HTTP attempt, and Featurebase receives that span's `traceparent`; without one
 * (tracing off, the default), the client does no tracing work at all.
 *
 * A span per attempt, not per call: each attempt is one HTTP request with its own status and
 * duration (as the metrics count them), and each carries its own `traceparent`, so a retry is
 * told apart from the first try on Featurebase's side as on ours.
 */

import type { HttpMethod } from './request/retry.ts';

/** The trace an upstream call belongs to: the GraphQL operation's span, as a parent. */
export interface CallTrace {
  /** Starts the span of one attempt; called when the attempt has its bulkhead slot. */
  startAttempt(attempt: TracedAttempt): AttemptSpan;
}

/** What a span may say of an attempt: never a header, an id, a query or a body. */
export interface TracedAttempt {
  method: HttpMethod;
  /** The path with ids as `:id` (`/v2/webhooks/:id`), as in logs and metrics. */
  pathTemplate: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The configured upstream's host name and port. */
  serverAddress: string;
  serverPort: number;
}

export interface AttemptSpan {
  /** The W3C `traceparent` naming this attempt's span, sent to Featurebase; `undefined`: none. */
  readonly traceparent: string | undefined;
  /** Ends the span once the attempt's outcome is known. */
  end(outcome: AttemptOutcome): void;
}

export interface AttemptOutcome {
  /** The HTTP status, when an answer arrived. */
  status?: number;
  /** The error class name when the attempt failed (`UpstreamTimeoutError`, `NotFoundError`…). */
  error?: string;
}
