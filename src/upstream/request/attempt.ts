/**
 * One attempt: one HTTP exchange with Featurebase through the injected dispatcher, its timeout,
 * the caller's abort, the response size cap and JSON decoding. Every outcome comes back as a
 * value (`AttemptResult`); the retry loop in `request.ts` decides what happens next.
 */

import type { Dispatcher } from 'undici';
import type { AttemptOutcome, CallTrace } from '../call-trace.ts';
import { errorFromResponse, UpstreamProtocolError } from '../errors.ts';
import { firstHeader, type RateLimitInfo, readRateLimit } from './answer-headers.ts';
import { endAttemptSpan, startAttemptSpan, withTraceparent } from './attempt-trace.ts';
import { parseRetryAfter, retryAfterSeconds } from './retry.ts';
import { errorCode, type FailedCall, transportError } from './transport-errors.ts';

/** Everything one attempt needs; built once per call. */
export interface AttemptSpec extends FailedCall {
  dispatcher: Dispatcher;
  /** The timeout of one attempt (cut to the time left in the total budget). */
  timeoutMs: number;
  maxResponseBytes: number;
  /** Exactly the headers Featurebase gets (`request-headers.ts`); a traced attempt adds `traceparent`. */
  headers: Readonly<Record<string, string>>;
  options: Omit<Dispatcher.RequestOptions, 'headers'> & { maxRedirections: 0 };
  /** The caller's trace; `undefined` when tracing is off (then no span and no header work). */
  trace: CallTrace | undefined;
  /** The upstream's host name and port, for spans. */
  server: { address: string; port: number };
}

export type AttemptResult =
  | { ok: true; status: number; body: unknown; rateLimit: RateLimitInfo | undefined }
  | {
      ok: false;
      error: unknown;
      status?: number | undefined;
      errorCode?: string | undefined;
      retryAfterMs?: number | undefined;
      rateLimit?: RateLimitInfo | undefined;
    };

export interface TimedAttempt {
  result: AttemptResult;
  /** `performance.now()` when the attempt started (after it got its slot). */
  started: number;
  /** Whether the total budget, not the attempt timeout, bounded it. */
  lastInBudget: boolean;
}

/** One attempt (`attempt`: 1 for the first), its timeout cut to the time left in the total budget. */
export async function timedAttempt(
  call: AttemptSpec,
  deadline: number,
  attempt: number,
): Promise<TimedAttempt> {
  const started = performance.now();
  const remainingMs = deadline - started;
  const timeoutMs = Math.max(1, Math.floor(Math.min(call.timeoutMs, remainingMs)));
  // When the budget, not the attempt timeout, limits this attempt, its timeout is the total one.
  const lastInBudget = remainingMs <= call.timeoutMs;
  const result =
    call.trace === undefined
      ? await attemptOnce(call, call.headers, timeoutMs, lastInBudget)
      : await tracedAttempt(call, call.trace, attempt, timeoutMs, lastInBudget);
  return { result, started, lastInBudget };
}

/** The attempt inside its span, which Featurebase learns of through `traceparent`. */
async function tracedAttempt(
  call: AttemptSpec,
  trace: CallTrace,
  attempt: number,
  timeoutMs: number,
  lastInBudget: boolean,
): Promise<AttemptResult> {
  const span = startAttemptSpan(trace, {
    method: call.method,
    pathTemplate: call.template,
    attempt,
    serverAddress: call.server.address,
    serverPort: call.server.port,
  });
  let result: AttemptResult | undefined;
  try {
    result = await attemptOnce(call, withTraceparent(call.headers, span), timeoutMs, lastInBudget);
    return result;
  } finally {
    endAttemptSpan(span, outcomeOf(result));
  }
}

/** What the span says of an attempt: its status, and its error's class when it failed. */
function outcomeOf(result: AttemptResult | undefined): AttemptOutcome {
  if (result === undefined) return { error: 'Error' };
  if (result.ok) return { status: result.status };
  const error = result.error instanceof Error ? result.error.name : 'Error';
  return result.status === undefined ? { error } : { status: result.status, error };
}

async function attemptOnce(
  call: AttemptSpec,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
  lastInBudget: boolean,
): Promise<AttemptResult> {
  const attemptController = new AbortController();
  let attemptTimedOut = false;
  const timer = setTimeout(() => {
    attemptTimedOut = true;
    attemptController.abort();
  }, timeoutMs);
  const { callerSignal } = call;
  const onCallerAbort = (): void => attemptController.abort();
  if (callerSignal?.aborted) attemptController.abort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });

  // Every failure of this attempt goes through here, so the cause is read the same way whether
  // it came before the headers or while reading the body.
  const fail = (raw: unknown, status?: number, rateLimit?: RateLimitInfo): AttemptResult => ({
    ok: false,
    error: transportError(call, raw, { timeoutMs, attemptTimedOut, lastInBudget }, status),
    status,
    errorCode: errorCode(raw),
    rateLimit,
  });

  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await call.dispatcher.request({
        ...call.options,
        headers,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: attemptController.signal,
      });
    } catch (raw) {
      return fail(raw);
    }

    const status = response.statusCode;
    const rateLimit = readRateLimit(response.headers);
    const isSuccess = status >= 200 && status < 300;
    let bytes: Buffer | 'too-large';
    try {
      bytes = await readBounded(
        response.body,
        call.maxResponseBytes,
        response.headers['content-length'],
      );
    } catch (raw) {
      return fail(raw, status, rateLimit);
    } finally {
      // Whatever happened, the body is finished or destroyed: no socket is left waiting.
      if (!response.body.destroyed && !response.body.readableEnded) response.body.destroy();
    }

    if (status >= 300 && status < 400) {
      return {
        ok: false,
        status,
        rateLimit,
        error: new UpstreamProtocolError(
          `Featurebase answered with a redirect (${status}); redirects are not followed.`,
          status,
        ),
      };
    }
    if (isSuccess) {
      if (bytes === 'too-large') {
        return {
          ok: false,
          status,
          rateLimit,
          error: new UpstreamProtocolError(
            `Featurebase's answer is larger than ${call.maxResponseBytes} bytes.`,
            status,
          ),
        };
      }
      const parsed = parseJson(bytes);
      if (!parsed.ok) {
        // The body is never put in the message: it may hold anything, secrets included.
        return {
          ok: false,
          status,
          rateLimit,
          error: new UpstreamProtocolError(
            `Featurebase answered ${status} with a body that is not JSON.`,
            status,
          ),
        };
      }
      return { ok: true, status, body: parsed.value, rateLimit };
    }

    // An error answer: its class comes from the status; its body (if readable) adds details.
    const body = bytes === 'too-large' ? undefined : parseJson(bytes);
    const retryAfterMs = parseRetryAfter(
      {
        'retry-after': firstHeader(response.headers['retry-after']),
        'retry-after-ms': firstHeader(response.headers['retry-after-ms']),
      },
      Date.now(),
    );
    return {
      ok: false,
      status,
      rateLimit,
      retryAfterMs,
      error: errorFromResponse(
        status,
        body?.ok ? body.value : undefined,
        retryAfterSeconds(retryAfterMs),
      ),
    };
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }
}

/** Reads at most `limit` bytes; past that the body is destroyed (and so is its socket). */
async function readBounded(
  body: Dispatcher.ResponseData['body'],
  limit: number,
  contentLength: string | string[] | undefined,
): Promise<Buffer | 'too-large'> {
  const declared = Number(firstHeader(contentLength));
  if (Number.isFinite(declared) && declared > limit) {
    body.destroy();
    return 'too-large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limit) {
      body.destroy();
      return 'too-large';
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}

function parseJson(bytes: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (bytes.length === 0) return { ok: true, value: undefined };
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return { ok: true, value };
  } catch {
    return { ok: false };
  }
}
