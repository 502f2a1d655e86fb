/**
 * The one function that talks to Featurebase. It owns everything every endpoint shares: the base
 * URL, the headers (and only those), timeouts per attempt and in total, retries, the caller's
 * abort signal and the mapping of every failure onto the error hierarchy of `../errors.ts`.
 * Endpoint methods (`../webhooks.ts`) only say method, path, query and body. One exchange (size
 * cap, JSON decoding) is `attempt.ts`; what a transport failure means is `transport-errors.ts`.
 *
 * The HTTP seam is an injected undici `Dispatcher` (a keep-alive `Agent` in production, see
 * `agent.ts`; a `MockAgent` in tests): no global dispatcher, no global fetch.
 *
 * Each call goes through `../resilience/resilience.ts` (rate-limit gate, circuit breaker, retry
 * budget, bulkhead); see there for the order and why.
 */

import type { Dispatcher } from 'undici';
import { abortReason, type Caller } from '../caller.ts';
import { UpstreamOverloadedError, UpstreamTimeoutError } from '../errors.ts';
import { pathTemplate } from '../path.ts';
import type { Resilience } from '../resilience/resilience.ts';
import type { CallScope, Tenant } from '../resilience/types.ts';
import type { RateLimitInfo } from './answer-headers.ts';
import { type AttemptSpec, type TimedAttempt, timedAttempt } from './attempt.ts';
import { buildHeaders } from './request-headers.ts';
import { decideRetry, type HttpMethod, isIdempotent, type RetryPolicy } from './retry.ts';

export type { HttpMethod } from './retry.ts';

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
  /** Host name and port, for spans (`server.address`, `server.port`). */
  server: { address: string; port: number };
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
  return {
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    server: {
      // An IPv6 literal without its brackets, as `server.address` wants it.
      address: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
    },
  };
}

// Header values we build from caller data: visible ASCII only, so nothing can split a header.
/** The least time a retry's attempt must have left in the total budget. */
const MIN_ATTEMPT_MS = 100;

/** An attempt's spec, plus what the retry loop around it needs. */
interface Call extends AttemptSpec {
  config: RequestConfig;
  scope: CallScope;
}

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
    dispatcher: config.dispatcher,
    timeoutMs: config.timeoutMs,
    totalTimeoutMs: config.totalTimeoutMs,
    maxResponseBytes: config.maxResponseBytes,
    method,
    template,
    scope: { method, pathTemplate: template },
    idempotent: isIdempotent(method),
    callerSignal,
    headers,
    trace: caller.trace,
    server: base.server,
    options: {
      origin: base.origin,
      path: `${base.basePath}${request.path}${search ? `?${search}` : ''}`,
      method,
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
        timedAttempt(call, deadline, attempt),
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

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
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
