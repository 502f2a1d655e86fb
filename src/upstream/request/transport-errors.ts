/**
 * What a failed exchange with Featurebase means: the transport error codes read as "never sent"
 * (safe to retry, even a POST), "may have been sent" or a timeout, and mapped onto the client's
 * error hierarchy with a message that says which.
 */

import { abortReason } from '../caller.ts';
import { UpstreamConnectionError, UpstreamTimeoutError } from '../errors.ts';
import type { HttpMethod } from './retry.ts';

/** What the mapping needs to know of the call that failed. */
export interface FailedCall {
  method: HttpMethod;
  template: string;
  idempotent: boolean;
  callerSignal: AbortSignal | undefined;
  totalTimeoutMs: number;
}

const NEVER_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NODATA',
  'EAI_NONAME',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** TLS handshake failures: they happen before any byte of the request is written. */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/;
/** Transport codes after which the request may well have been received and acted on. */
const MAY_HAVE_BEEN_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE',
  'UND_ERR_INFO',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export interface AttemptTiming {
  timeoutMs: number;
  /** Our own attempt timer fired (undici's timeouts show as error codes instead). */
  attemptTimedOut: boolean;
  /** The attempt ran until the end of the total budget. */
  lastInBudget: boolean;
}

/**
 * Maps what the dispatcher threw to this client's errors. Which signal fired decides first (the
 * abort error itself says nothing of why); then the transport code. Errors that are not
 * transport failures (a bug, a mock that matched nothing) pass through unchanged.
 */
export function transportError(
  call: FailedCall,
  raw: unknown,
  timing: AttemptTiming,
  status?: number,
): unknown {
  const maybeDone = call.idempotent ? '' : '; the operation may or may not have happened';
  const what = `${call.method} ${call.template}`;
  if (call.callerSignal?.aborted) return abortReason(call.callerSignal);
  const options = { cause: raw };
  const code = errorCode(raw);
  const timedOut = timing.attemptTimedOut || (code !== undefined && TIMEOUT_CODES.has(code));
  if (timedOut && timing.lastInBudget) {
    return new UpstreamTimeoutError(
      `Featurebase did not answer ${what} within the total time allowed (${call.totalTimeoutMs} ms)${maybeDone}.`,
      options,
    );
  }
  if (timedOut) {
    const message = `Featurebase did not answer ${what} within ${timing.timeoutMs} ms${maybeDone}.`;
    return new UpstreamTimeoutError(message, options);
  }
  if (code === undefined) return raw;
  if (NEVER_SENT_CODES.has(code) || TLS_CODE.test(code) || allInnerCodesNeverSent(raw)) {
    const message = `Could not connect to Featurebase (${code}).`;
    return new UpstreamConnectionError(message, false, options);
  }
  if (MAY_HAVE_BEEN_SENT_CODES.has(code) || code.startsWith('HPE_') || /^E[A-Z]+$/.test(code)) {
    const when = status === undefined ? 'before it answered' : `while reading its ${status} answer`;
    const message = `The connection to Featurebase failed ${when} (${code})${maybeDone}.`;
    return new UpstreamConnectionError(message, true, options);
  }
  return raw;
}

/** Node reports a failed multi-address connect (happy eyeballs) as an AggregateError. */
function allInnerCodesNeverSent(raw: unknown): boolean {
  if (!(raw instanceof AggregateError) || raw.errors.length === 0) return false;
  return raw.errors.every((inner) => {
    const code = errorCode(inner);
    return code !== undefined && (NEVER_SENT_CODES.has(code) || TLS_CODE.test(code));
  });
}

/** A transport code such as `ECONNRESET`; only well-formed codes (they are logged). */
export function errorCode(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || !('code' in raw)) return undefined;
  const { code } = raw;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : undefined;
}
