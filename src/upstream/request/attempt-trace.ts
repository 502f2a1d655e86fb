/**
 * The span of one attempt, when the caller is traced (`../call-trace.ts`): started once the
 * attempt has its slot, ended with its outcome, and its `traceparent` added to exactly the
 * headers `request-headers.ts` built. Tracing must never break a request: a tracer that throws
 * is ignored, and a `traceparent` that is not the W3C shape is not sent.
 */

import type { AttemptOutcome, AttemptSpan, CallTrace, TracedAttempt } from '../call-trace.ts';

/** W3C Trace Context, version 00: `00-<trace id>-<span id>-<flags>`, lower-case hex. */
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export function startAttemptSpan(
  trace: CallTrace,
  attempt: TracedAttempt,
): AttemptSpan | undefined {
  try {
    return trace.startAttempt(attempt);
  } catch {
    return undefined;
  }
}

/** `headers` plus the span's `traceparent`, when it has a well-formed one. */
export function withTraceparent(
  headers: Readonly<Record<string, string>>,
  span: AttemptSpan | undefined,
): Readonly<Record<string, string>> {
  const traceparent = span?.traceparent;
  if (traceparent === undefined || !TRACEPARENT.test(traceparent)) return headers;
  return { ...headers, traceparent };
}

export function endAttemptSpan(span: AttemptSpan | undefined, outcome: AttemptOutcome): void {
  if (!span) return;
  try {
    span.end(outcome);
  } catch {
    // Ignored on purpose: a span that cannot end is no reason to fail the call.
  }
}
