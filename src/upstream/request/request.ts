/**
 * The one function that talks to Featurebase. It owns everything every endpoint shares: the base
 * URL, the headers (and only those), timeouts per attempt and in total, retries, the caller's
 * abort signal, the response size cap, JSON decoding and the mapping of every failure onto the
 * error hierarchy of `../errors.ts`. Endpoint methods (`../webhooks.ts`) only say method, path, query
 * and body.
 *
 * The HTTP seam is an injected undici `Dispatcher` (a keep-alive `Agent` in production, a
 * `MockAgent` in tests): no global dispatcher, no global fetch.
 *
 * Each call goes through `../resilience/resilience.ts` (rate-limit gate, circuit breaker, retry budget,
 * bulkhead); see there for the order and why.
 */

import { Agent, type Dispatcher } from 'undici';
import { abortReason, type Caller } from '../caller.ts';
import {
  errorFromResponse,
  InvalidArgumentError,
  UpstreamConnectionError,
  UpstreamOverloadedError,
  UpstreamProtocolError,
  UpstreamTimeoutError,
} from '../errors.ts';
import { pathTemplate } from '../path.ts';
import type { CallScope, Resilience, Tenant } from '../resilience/resilience.ts';
import { RATE_LIMIT_HEADERS } from '../wire.ts';
import {
  decideRetry,
  type HttpMethod,
  isIdempotent,
  parseRetryAfter,
  type RetryPolicy,
  retryAfterSeconds,
} from './retry.ts';

export type { HttpMethod } from './retry.ts';

/** Rate-limit headers of an answer, as numbers, when present and numeric. */
export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  /** `X-RateLimit-Reset` as sent (its unit is undocumented: seconds left or a Unix time). */
  reset?: number;
}

/**
 * One upstream attempt, for logs and metrics. It never carries headers, keys, ids, bodies or
 * secrets: the path is a template (`/v2/webhooks/:id`).
 */
export interface UpstreamAttemptEvent {
  method: HttpMethod;
  pathTemplate: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The HTTP status, when an answer arrived. */
  status?: number;
  durationMs: number;
  outcome: 'success' | 'error';
  /** The error class name (`InternalServerError`, `UpstreamTimeoutError`, `AbortError`…). */
  error?: string;
  /** The transport error code, when there was one (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`…). */
  errorCode?: string;
  /** Set when another attempt follows, after this wait. */
  retryDelayMs?: number;
  rateLimit?: RateLimitInfo;
}

export type AttemptObserver = (event: UpstreamAttemptEvent) => void;

/** The resolved settings of the request function (see `client.ts` for the documented defaults). */
export interface RequestConfig {
  baseUrl: string;
  dispatcher: Dispatcher;
  timeoutMs: number;
  totalTimeoutMs: number;
  retry: RetryPolicy;
  maxResponseBytes: number;
  userAgent: string;
  onAttempt?: AttemptObserver | undefined;
  /** The client's gate, breaker, budget and bulkhead (one set per client). */
  resilience: Resilience;
}

export interface UpstreamRequest {
  method: HttpMethod;
  /** Starts with `/v2/`; ids in it already checked and encoded (`path.ts`). */
  path: string;
  /** Query parameters, in order (only those to send). */
  query?: URLSearchParams;
  /** Sent as JSON; `undefined` sends no body (and no `Content-Type`). */
  body?: unknown;
  caller: Caller;
}

export interface UpstreamResponse {
  status: number;
  /** The parsed JSON body, not yet checked; `undefined` when the body was empty. */
  body: unknown;
}

export type RequestFunction = (request: UpstreamRequest) => Promise<UpstreamResponse>;

export function createRequestFunction(config: RequestConfig): RequestFunction {
  const base = parseBaseUrl(config.baseUrl);
  if (!/^[\x20-\x7e]{1,256}$/.test(config.userAgent)) {
    throw new TypeError('userAgent must be 1 to 256 printable ASCII characters.');
  }
  return (request) => send(config, base, request);
}

interface BaseUrl {
  origin: string;
  /** `''` or a path without a trailing slash, put before every `/v2/...`. */
  basePath: string;
}

function parseBaseUrl(baseUrl: string): BaseUrl {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError('baseUrl must be an absolute URL, e.g. https://do.featurebase.app');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('baseUrl must use https (or http for a local simulator).');
  }
  // Userinfo would travel with every caller's key; a query or fragment would corrupt paths.
  if (url.username || url.password || url.search || url.hash) {
    throw new TypeError('baseUrl must not contain a user name, password, query or fragment.');
  }
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

// Header values we build from caller data: visible ASCII only, so nothing can split a header.
const API_KEY = /^[\x21-\x7e]{1,4096}$/;
const API_VERSION = /^[\x21-\x7e]{1,64}$/;
const REQUEST_ID = /^[\x21-\x7e]{1,256}$/;

/** Exactly the headers Featurebase needs, and nothing of the incoming request. */
function buildHeaders(caller: Caller, hasBody: boolean, userAgent: string): Record<string, string> {
  // The values are never echoed: the key is a credential, the others come from callers.
  if (typeof caller.apiKey !== 'string' || !API_KEY.test(caller.apiKey)) {
    throw new InvalidArgumentError('apiKey', 'The API key has characters that cannot be sent.');
  }
  if (typeof caller.apiVersion !== 'string' || !API_VERSION.test(caller.apiVersion)) {
    throw new InvalidArgumentError('apiVersion', 'The API version cannot be sent as a header.');
  }
  if (typeof caller.requestId !== 'string' || !REQUEST_ID.test(caller.requestId)) {
    throw new InvalidArgumentError('requestId', 'The request id cannot be sent as a header.');
  }
  const headers: Record<string, string> = {
    authorization: `Bearer ${caller.apiKey}`,
    'featurebase-version': caller.apiVersion,
    accept: 'application/json',
    'user-agent': userAgent,
    'x-request-id': caller.requestId,
  };
  if (hasBody) headers['content-type'] = 'application/json';
  return headers;
}

/** The least time a retry's attempt must have left in the total budget. */
const MIN_ATTEMPT_MS = 100;

/** Everything one attempt needs; built once per call. */
interface Call {
  config: RequestConfig;
  method: HttpMethod;
  template: string;
  scope: CallScope;
  idempotent: boolean;
  options: Dispatcher.RequestOptions & { maxRedirections: 0 };
  callerSignal: AbortSignal | undefined;
}

type AttemptResult =
  | { ok: true; status: number; body: unknown; rateLimit: RateLimitInfo | undefined }
  | {
      ok: false;
      error: unknown;
      status?: number | undefined;
      errorCode?: string | undefined;
      retryAfterMs?: number | undefined;
      rateLimit?: RateLimitInfo | undefined;
    };

async function send(
  config: RequestConfig,
  base: BaseUrl,
  request: UpstreamRequest,
): Promise<UpstreamResponse> {
  const { caller, method } = request;
  if (!request.path.startsWith('/v2/')) throw new TypeError('An upstream path starts with /v2/.');
  const hasBody = request.body !== undefined;
  const headers = buildHeaders(caller, hasBody, config.userAgent);
  const callerSignal = caller.signal;
  callerSignal?.throwIfAborted();

  const search = request.query?.toString() ?? '';
  const deadline = performance.now() + config.totalTimeoutMs;
  // No timer of its own bounds the total: each attempt's timeout is cut to the time left, and a
  // retry wait is only started when it ends before the deadline.

  const template = pathTemplate(request.path);
  const call: Call = {
    config,
    method,
    template,
    scope: { method, pathTemplate: template },
    idempotent: isIdempotent(method),
    callerSignal,
    options: {
      origin: base.origin,
      path: `${base.basePath}${request.path}${search ? `?${search}` : ''}`,
      method,
      headers,
      body: hasBody ? JSON.stringify(request.body) : null,
      // Redirects are never followed (the key must not reach another origin). undici 7 does
      // not follow them unless a redirect interceptor is composed in; 0 disables even that.
      maxRedirections: 0,
    },
  };
  // Waiting for the key's probe is bounded like waiting for a slot (below).
  const maxWaitMs = deadline - performance.now() - Math.min(config.timeoutMs, MIN_ATTEMPT_MS);
  return config.resilience.run(caller, call.scope, maxWaitMs, (tenant) =>
    attempts(call, tenant, deadline),
  );
}

/** The retry loop: one attempt after another, each in a bulkhead slot, while retries are allowed. */
async function attempts(call: Call, tenant: Tenant, deadline: number): Promise<UpstreamResponse> {
  const { config, method, callerSignal, scope } = call;
  const { resilience } = config;
  let previousError: unknown;
  for (let attempt = 1; ; attempt++) {
    let timed: TimedAttempt;
    try {
      // Waiting for a slot is bounded like a retry wait: the attempt must still get some time.
      const maxWaitMs = deadline - performance.now() - Math.min(config.timeoutMs, MIN_ATTEMPT_MS);
      timed = await resilience.withSlot(tenant, scope, attempt, callerSignal, maxWaitMs, () =>
        timedAttempt(call, deadline),
      );
    } catch (error) {
      // No slot for a retry: the call ends as its last attempt did (as with a spent budget).
      if (attempt > 1 && error instanceof UpstreamOverloadedError) throw previousError;
      throw error;
    }
    const { result, started, lastInBudget } = timed;
    const event: UpstreamAttemptEvent = {
      method,
      pathTemplate: call.template,
      attempt,
      durationMs: Math.round(performance.now() - started),
      outcome: result.ok ? 'success' : 'error',
    };
    if (result.status !== undefined) {
      event.status = result.status;
      const retryAfterMs = result.ok ? undefined : result.retryAfterMs;
      tenant.answered(result.status);
      resilience.observe(tenant, scope, {
        status: result.status,
        rateLimit: result.rateLimit,
        retryAfterMs,
      });
    }
    if (result.rateLimit) event.rateLimit = result.rateLimit;
    if (result.ok) {
      notify(config.onAttempt, event);
      return { status: result.status, body: result.body };
    }

    event.error = errorName(result.error);
    if (result.errorCode) event.errorCode = result.errorCode;
    // The caller left, or the total budget ran out: nothing more to try.
    if (callerSignal?.aborted || (lastInBudget && result.error instanceof UpstreamTimeoutError)) {
      notify(config.onAttempt, event);
      throw result.error;
    }
    const decision = decideRetry(
      {
        method,
        error: result.error,
        retriesDone: attempt - 1,
        // A retry must leave its attempt some time: a last attempt of a few milliseconds would
        // only turn a clear failure into an ambiguous timeout.
        remainingMs: deadline - performance.now() - Math.min(config.timeoutMs, MIN_ATTEMPT_MS),
        retryAfterMs: result.retryAfterMs,
      },
      config.retry,
    );
    // The policy says whether a retry is safe and useful; the retry budget, whether it is affordable.
    const delayMs =
      decision.retry && resilience.mayRetry(scope, attempt + 1) ? decision.delayMs : undefined;
    if (delayMs !== undefined) event.retryDelayMs = delayMs;
    notify(config.onAttempt, event);
    if (delayMs === undefined) throw result.error;
    previousError = result.error;
    // The wait holds no bulkhead slot: the next attempt queues for one again.
    const slept = await sleep(delayMs, callerSignal);
    if (!slept && callerSignal) throw abortReason(callerSignal);
  }
}

interface TimedAttempt {
  result: AttemptResult;
  /** `performance.now()` when the attempt started (after it got its slot). */
  started: number;
  /** Whether the total budget, not the attempt timeout, bounded it. */
  lastInBudget: boolean;
}

/** One attempt, its timeout cut to the time left in the total budget. */
async function timedAttempt(call: Call, deadline: number): Promise<TimedAttempt> {
  const started = performance.now();
  const remainingMs = deadline - started;
  const timeoutMs = Math.max(1, Math.floor(Math.min(call.config.timeoutMs, remainingMs)));
  // When the budget, not the attempt timeout, limits this attempt, its timeout is the total one.
  const lastInBudget = remainingMs <= call.config.timeoutMs;
  return { result: await attemptOnce(call, timeoutMs, lastInBudget), started, lastInBudget };
}

async function attemptOnce(
  call: Call,
  timeoutMs: number,
  lastInBudget: boolean,
): Promise<AttemptResult> {
  const { config } = call;
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
      response = await config.dispatcher.request({
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
        config.maxResponseBytes,
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
            `Featurebase's answer is larger than ${config.maxResponseBytes} bytes.`,
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

/** Transport codes after which the request certainly never left this process. */
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

interface AttemptTiming {
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
function transportError(call: Call, raw: unknown, timing: AttemptTiming, status?: number): unknown {
  const maybeDone = call.idempotent ? '' : '; the operation may or may not have happened';
  const what = `${call.method} ${call.template}`;
  if (call.callerSignal?.aborted) return abortReason(call.callerSignal);
  const options = { cause: raw };
  const code = errorCode(raw);
  const timedOut = timing.attemptTimedOut || (code !== undefined && TIMEOUT_CODES.has(code));
  if (timedOut && timing.lastInBudget) {
    return new UpstreamTimeoutError(
      `Featurebase did not answer ${what} within the total time allowed (${call.config.totalTimeoutMs} ms)${maybeDone}.`,
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
function errorCode(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || !('code' in raw)) return undefined;
  const { code } = raw;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : undefined;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readRateLimit(headers: Dispatcher.ResponseData['headers']): RateLimitInfo | undefined {
  const info: RateLimitInfo = {};
  const limit = numericHeader(headers[RATE_LIMIT_HEADERS.limit]);
  const remaining = numericHeader(headers[RATE_LIMIT_HEADERS.remaining]);
  const reset = numericHeader(headers[RATE_LIMIT_HEADERS.reset]);
  if (limit !== undefined) info.limit = limit;
  if (remaining !== undefined) info.remaining = remaining;
  if (reset !== undefined) info.reset = reset;
  return limit === undefined && remaining === undefined && reset === undefined ? undefined : info;
}

function numericHeader(value: string | string[] | undefined): number | undefined {
  const raw = firstHeader(value)?.trim();
  if (raw === undefined || raw === '') return undefined;
  const number = Number(raw);
  return Number.isFinite(number) ? number : undefined;
}

/** Observers must never break a request. */
function notify(observer: AttemptObserver | undefined, event: UpstreamAttemptEvent): void {
  if (!observer) return;
  try {
    observer(event);
  } catch {
    // Ignored on purpose: logging or metrics failing is no reason to fail the call.
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (!signal) return new Promise((resolve) => setTimeout(() => resolve(true), ms));
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settings of the production connection pool; each has a default. */
export interface UpstreamAgentOptions {
  /** Most sockets open to the upstream origin at once; further requests queue. Default `32`. */
  connections?: number;
  /**
   * How long an idle keep-alive socket is kept. Shorter than the upstream's own idle timeout
   * (Node servers: 5 s, load balancers: often 60 s), so we close first and never write a request
   * onto a socket the server is closing. Default `4000`.
   */
  keepAliveTimeoutMs?: number;
  /** Upper bound of a server's `Keep-Alive: timeout=` hint. Default `30000`. */
  keepAliveMaxTimeoutMs?: number;
  /** Subtracted from a server's keep-alive hint, for latency. Default `2000`. */
  keepAliveTimeoutThresholdMs?: number;
  /**
   * Time allowed for TCP and TLS connect. Keep it below the attempt timeout: a connect timeout is
   * known never to have sent anything, so even a POST may be retried after one. Default `5000`.
   */
  connectTimeoutMs?: number;
}

/**
 * The production dispatcher: a keep-alive pool per origin. Redirects are not followed (no
 * redirect interceptor is composed in). Close it on shutdown (`await agent.close()`).
 */
export function createUpstreamAgent(options: UpstreamAgentOptions = {}): Agent {
  return new Agent({
    connections: options.connections ?? 32,
    pipelining: 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
    keepAliveMaxTimeout: options.keepAliveMaxTimeoutMs ?? 30_000,
    keepAliveTimeoutThreshold: options.keepAliveTimeoutThresholdMs ?? 2000,
    connectTimeout: options.connectTimeoutMs ?? 5000,
  });
}
