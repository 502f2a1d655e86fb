/**
 * One attempt: one HTTP exchange with Featurebase through the injected dispatcher, its timeout,
 * the caller's abort, the response size cap and JSON decoding. Every outcome comes back as a
 * value (`AttemptResult`); the retry loop in `request.ts` decides what happens next.
 */

import type { Dispatcher } from 'undici';
import { errorFromResponse, UpstreamProtocolError } from '../errors.ts';
import { firstHeader, type RateLimitInfo, readRateLimit } from './answer-headers.ts';
import { parseRetryAfter, retryAfterSeconds } from './retry.ts';
import { errorCode, type FailedCall, transportError } from './transport-errors.ts';

/** Everything one attempt needs; built once per call. */
export interface AttemptSpec extends FailedCall {
  dispatcher: Dispatcher;
  /** The timeout of one attempt (cut to the time left in the total budget). */
  timeoutMs: number;
  maxResponseBytes: number;
  options: Dispatcher.RequestOptions & { maxRedirections: 0 };
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

/** One attempt, its timeout cut to the time left in the total budget. */
export async function timedAttempt(call: AttemptSpec, deadline: number): Promise<TimedAttempt> {
  const started = performance.now();
  const remainingMs = deadline - started;
  const timeoutMs = Math.max(1, Math.floor(Math.min(call.timeoutMs, remainingMs)));
  // When the budget, not the attempt timeout, limits this attempt, its timeout is the total one.
  const lastInBudget = remainingMs <= call.timeoutMs;
  return { result: await attemptOnce(call, timeoutMs, lastInBudget), started, lastInBudget };
}

async function attemptOnce(
  call: AttemptSpec,
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
