/**
 * Shared by the upstream fault suite (`test/faults/`, reliability-catalogue §3). Every row there
 * asserts four things: the public code, the exact number of upstream calls, a latency bound, and
 * that the next normal request succeeds. This file makes the last three cheap:
 *
 * - `UpstreamEvents` records what the upstream client reports (every attempt, every breaker
 *   change and refusal), with the time it happened, so a row can count attempts that never
 *   reached a server (connection refused, DNS) and time the breaker;
 * - `startScriptedUpstream()`: a `node:http` Featurebase stand-in on 127.0.0.1 port 0 for what
 *   the simulator's fault switch cannot do (a stalled body, 50 MB, an idle close without a
 *   keep-alive hint), counting connections, open sockets and requests in flight;
 * - `startGatewayOver(url)`: the real gateway and upstream client (production agent) over any
 *   base URL (a scripted upstream, a closed port, a name that does not resolve);
 * - `withEvents()`: `startTestGateway` (the simulator and its fault switch) with the same
 *   recorders;
 * - `expectNextRequestSucceeds()`: a known-good `webhook(id)` query answers with data and costs
 *   exactly one upstream call;
 * - timing, pacing and RSS helpers for the load rows (F19, F20), which run over real HTTP.
 */

import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Agent, type Dispatcher, request as undiciRequest } from 'undici';
import { expect } from 'vitest';
import { createGateway, type Gateway } from '../../src/graphql/gateway.ts';
import { SAMPLE_WEBHOOKS, SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import {
  createFeaturebaseClient,
  createUpstreamAgent,
  type FeaturebaseClientOptions,
  type ResilienceEvent,
  type UpstreamAgentOptions,
  type UpstreamAttemptEvent,
  type UpstreamHealth,
} from '../../src/upstream/index.ts';
import type { WireWebhook } from '../../src/upstream/wire.ts';
import {
  API_KEY,
  captureLogger,
  type GraphQLResponse,
  sendGraphQL,
  startTestGateway,
  type TestGateway,
  type TestGatewayOptions,
} from './gateway.ts';

/** A seeded webhook of the simulator; the scripted upstream answers for any id. */
export const WEBHOOK_ID = SEED_WEBHOOK_IDS[0] as string;
export const SAMPLE = SAMPLE_WEBHOOKS[0] as WireWebhook;

/** The query every row ends with (`expectNextRequestSucceeds`). */
export const KNOWN_GOOD = `query KnownGood($id: ID!) { webhook(id: $id) { id name } }`;
export const READ = `query Read($id: ID!) { webhook(id: $id) { id name status createdAt } }`;
export const ROTATE = `mutation Rotate($id: ID!) { refreshWebhookSecret(id: $id) { id secret } }`;

export type ClientOptions = Partial<Omit<FeaturebaseClientOptions, 'baseUrl' | 'dispatcher'>>;
/** Sends a GraphQL operation with the demo key (override or remove headers with `headers`). */
export type Send = <TData = Record<string, unknown>>(
  query: string,
  variables?: Record<string, unknown>,
  headers?: Record<string, string | null>,
) => Promise<GraphQLResponse<TData>>;

export interface TimedResilienceEvent {
  /** `performance.now()` when it was reported. */
  at: number;
  event: ResilienceEvent;
}

/** What the upstream client reported: attempts (also those that reached no server) and events. */
export class UpstreamEvents {
  readonly attempts: UpstreamAttemptEvent[] = [];
  /** When each of `attempts` was reported (its end), on the clock of `resilience`. */
  readonly attemptEndedAt: number[] = [];
  readonly resilience: TimedResilienceEvent[] = [];

  /** Client options that record here. */
  options(): Pick<FeaturebaseClientOptions, 'onAttempt' | 'onResilienceEvent'> {
    return {
      onAttempt: (event) => {
        this.attempts.push(event);
        this.attemptEndedAt.push(performance.now());
      },
      onResilienceEvent: (event) => this.resilience.push({ at: performance.now(), event }),
    };
  }

  /**
   * When each attempt started, on the gateway's side (its end less its duration, which is
   * rounded to the millisecond: each start is within ±0.5 ms).
   */
  attemptStarts(): number[] {
    return this.attempts.map(
      (event, index) => (this.attemptEndedAt[index] ?? 0) - event.durationMs,
    );
  }

  /** Times of the breaker's changes to `state`, oldest first. */
  breakerAt(state: 'open' | 'halfOpen' | 'closed'): number[] {
    return this.resilience
      .filter(({ event }) => event.type === 'breaker' && event.state === state)
      .map(({ at }) => at);
  }
}

/**
 * Secret hygiene over the whole suite (catalogue §4, "Secrets"): every answer and every log line
 * of every gateway built here is kept, and `expectNoLeaks()` (each file's `afterAll`) checks that
 * no API key ever appears, and no webhook secret appears in a log or in an answer to a query that
 * did not select `secret`.
 */
const KEY_SHAPE = /\bsk_[A-Za-z0-9_]{6,}/;
const SECRET_SHAPE = /\bwhsec_[A-Za-z0-9]{6,}/;
const answers: { query: string; text: string }[] = [];
const logSources: (() => string)[] = [];

function watched(send: Send): Send {
  return async <TData>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string | null>,
  ) => {
    const response = await send<TData>(query, variables, headers);
    answers.push({ query, text: response.text });
    return response;
  };
}

export function expectNoLeaks(): void {
  for (const { query, text } of answers) {
    expect(KEY_SHAPE.test(text), `an API key in an answer: ${text.slice(0, 200)}`).toBe(false);
    if (!/\bsecret\b/.test(query)) {
      expect(SECRET_SHAPE.test(text), `a secret in an answer that did not select it`).toBe(false);
    }
  }
  for (const logs of logSources) {
    const text = logs();
    expect(KEY_SHAPE.test(text), 'an API key in the logs').toBe(false);
    expect(SECRET_SHAPE.test(text), 'a webhook secret in the logs').toBe(false);
  }
}

/** The gateway of one row, whatever its upstream. */
export interface FaultGateway {
  gateway: Gateway;
  graphql: Send;
  events: UpstreamEvents;
  /** Requests that reached the upstream server (not attempts that failed to connect). */
  upstreamCalls(): number;
  /** Everything the gateway logged, one JSON line per entry. */
  logs(): string;
  /** `GET /health` through the gateway. */
  health(): Promise<{ status: number; upstream: UpstreamHealth }>;
  close(): Promise<void>;
}

/** `harness.graphql`, for a gateway built here. */
export function graphqlVia(gateway: Gateway): Send {
  return (query, variables, headers) => sendGraphQL(gateway, query, variables, headers);
}

async function healthOf(gateway: Gateway) {
  const response = await gateway.fetch('http://gateway.test/health');
  const body = (await response.json()) as { upstream: UpstreamHealth };
  return { status: response.status, upstream: body.upstream };
}

/**
 * The real gateway over `baseUrl` with the production agent and a recording client; logged as
 * main.ts logs (attempts and protection events at debug, breaker changes at warn), into memory.
 */
export function startGatewayOver(
  baseUrl: string,
  options: {
    client?: ClientOptions;
    agent?: UpstreamAgentOptions;
    upstreamCalls?: () => number;
    /** Default `debug` (everything, for leak checks); the load rows log as production does. */
    logLevel?: 'debug' | 'info';
  } = {},
): FaultGateway {
  const agent = createUpstreamAgent(options.agent);
  const { logger, captured } = captureLogger(options.logLevel ?? 'debug');
  const events = new UpstreamEvents();
  const record = events.options();
  const client = createFeaturebaseClient({
    baseUrl,
    dispatcher: agent,
    timeoutMs: 2000,
    // Scripted 401/403 answers stand for faults, not for keys Featurebase refuses for good
    // (see test/support/gateway.ts).
    rejectedKeyTtlMs: 0,
    ...options.client,
    onAttempt: (event) => {
      record.onAttempt?.(event);
      logger.debug({ upstream: event }, 'upstream attempt');
    },
    onResilienceEvent: (event) => {
      record.onResilienceEvent?.(event);
      if (event.type === 'breaker')
        logger.warn({ upstream: event }, `upstream circuit ${event.state}`);
      else logger.debug({ upstream: event }, 'upstream protection');
    },
  });
  const gateway = createGateway({
    client,
    logger,
    credentialDefaults: { apiVersion: '2026-01-01.nova', fallbackApiKey: undefined },
  });
  const logs = () => captured.join('');
  logSources.push(logs);
  return {
    gateway,
    graphql: watched(graphqlVia(gateway)),
    events,
    upstreamCalls: options.upstreamCalls ?? (() => Number.NaN),
    logs,
    health: () => healthOf(gateway),
    close: () => agent.close(),
  };
}

export interface SimulatorFaultGateway extends FaultGateway {
  harness: TestGateway;
}

/** `startTestGateway` (the simulator and its fault switch) with recorded client events. */
export async function withEvents(
  options: TestGatewayOptions & { client?: ClientOptions } = {},
): Promise<SimulatorFaultGateway> {
  const events = new UpstreamEvents();
  const harness = await startTestGateway({
    ...options,
    client: { ...options.client, ...events.options() },
  });
  logSources.push(() => harness.logs());
  return {
    harness,
    gateway: harness.gateway,
    graphql: watched((query, variables, headers) => harness.graphql(query, variables, headers)),
    events,
    upstreamCalls: () => harness.simulator.countRequests(),
    logs: () => harness.logs(),
    health: () => healthOf(harness.gateway),
    close: () => harness.close(),
  };
}

/**
 * The end of every row: a known-good query with `apiKey` answers with the webhook, without
 * errors, and costs exactly one upstream call.
 */
export async function expectNextRequestSucceeds(
  target: Pick<FaultGateway, 'graphql' | 'upstreamCalls'>,
  apiKey: string = API_KEY,
): Promise<void> {
  const before = target.upstreamCalls();
  const response = await target.graphql<{ webhook: { id: string; name: string } | null }>(
    KNOWN_GOOD,
    { id: WEBHOOK_ID },
    { authorization: `Bearer ${apiKey}` },
  );
  expect(response.body.errors, 'the next normal request: errors').toBeUndefined();
  expect(response.body.data?.webhook?.id, 'the next normal request: data').toBe(WEBHOOK_ID);
  expect(target.upstreamCalls() - before, 'the next normal request: upstream calls').toBe(1);
}

/** The single error of a response, checked for what no error may carry. */
export function onlyError(response: GraphQLResponse<unknown>) {
  expect(response.body.errors, response.text).toHaveLength(1);
  const [error] = response.body.errors ?? [];
  if (!error) throw new Error('no error');
  for (const key of Object.keys(error.extensions ?? {})) {
    expect(['code', 'upstream', 'retryAfter'], `extension ${key}`).toContain(key);
  }
  expect(response.text).not.toMatch(/at .*\.ts:\d+|node:internal|"stack"|"cause"/);
  return error;
}

/**
 * The latency bounds of the rows (README point 3). A row whose answer comes without waiting (a
 * status, a broken body, a refusal, a connection that fails at once) sets the attempt timeout,
 * the timer such a bug would wait for, to LONG_TIMEOUT_MS, and asserts under NO_WAIT_MS: the
 * right behaviour takes milliseconds on any machine, the bug seconds. What a row is about in
 * time (backoffs, a Retry-After) is read exactly from the client's attempt reports.
 */
export const LONG_TIMEOUT_MS = 5000;
export const NO_WAIT_MS = LONG_TIMEOUT_MS / 2;

/** Runs `run` and measures it with `performance.now()`. */
export async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms; fails with `what` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  timeoutMs = 2000,
): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`not in time: ${what}`);
    await sleep(10);
  }
}

/** The `p`-th percentile (0-100) by the nearest-rank method; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/**
 * Calls `fire(index)` `rps` times a second for `durationMs`, against an absolute schedule (a
 * late timer does not shift the ones after it), without waiting for what `fire` starts.
 */
export async function paced(
  rps: number,
  durationMs: number,
  fire: (index: number) => void,
): Promise<number> {
  const interval = 1000 / rps;
  const count = Math.round((durationMs * rps) / 1000);
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const wait = started + index * interval - performance.now();
    if (wait > 0) await sleep(wait);
    fire(index);
  }
  return count;
}

/** Samples this process's RSS every `everyMs` until `stop()`, which returns the growth in MiB. */
export function sampleRss(everyMs = 5) {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  return {
    stop(): { baselineMiB: number; peakMiB: number; growthMiB: number } {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      const mib = (bytes: number) => bytes / 1024 / 1024;
      return { baselineMiB: mib(baseline), peakMiB: mib(peak), growthMiB: mib(peak - baseline) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A scripted upstream

export interface ScriptedRequest {
  /** 0 for the first request the server received. */
  index: number;
  method: string;
  /** Without the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Which connection it came on (1 for the first the server accepted). */
  connection: number;
  /** `performance.now()` when its headers arrived. */
  at: number;
}

export interface ScriptContext {
  request: IncomingMessage;
  response: ServerResponse;
  recorded: ScriptedRequest;
  /** Answers as Featurebase would: the webhook for any id, a fresh secret for a rotation. */
  answer(): void;
}

/** Behaviour for one request; the default answers normally. */
export type Script = (context: ScriptContext) => void;

export interface ScriptedUpstreamOptions {
  /** Default 0 (any free port); a given port brings back a closed one (F03's recovery). */
  port?: number;
  /** Node's own idle timeout, announced to clients as `Keep-Alive: timeout=N`. */
  keepAliveTimeoutMs?: number;
  /**
   * Close a connection after it has been idle this long, WITHOUT announcing it (no `Keep-Alive`
   * hint), like many load balancers. Overrides Node's idle timeout.
   */
  silentIdleCloseMs?: number;
}

export interface ScriptedUpstream {
  url: string;
  requests: ScriptedRequest[];
  /** Sets the behaviour of the next requests (`undefined`: answer normally). */
  script(script: Script | undefined): void;
  /** Connections accepted so far. */
  connections(): number;
  /** Connections open now. */
  openConnections(): number;
  /** Whether connection `id` (`ScriptedRequest.connection`) is still open. */
  isOpen(connection: number): boolean;
  /** Requests whose answer has not finished (or whose socket is not closed) yet. */
  inFlight(): number;
  /** The most requests in flight at once so far. */
  maxInFlight(): number;
  close(): Promise<void>;
}

let rotations = 0;

/** The webhook JSON the scripted upstream answers with (a fresh secret after a rotation). */
export function scriptedWebhook(id: string, rotated = false): WireWebhook {
  const secret = rotated ? `whsec_scriptedRotation${++rotations}xxxxxxxx` : SAMPLE.secret;
  return { ...structuredClone(SAMPLE), id, secret };
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function answerNormally(request: IncomingMessage, response: ServerResponse, path: string): void {
  const one = /^\/v2\/webhooks\/([0-9a-f]{24})(\/secret)?$/i.exec(path);
  if (one && request.method === 'GET' && !one[2]) {
    sendJson(response, 200, scriptedWebhook(one[1] as string));
  } else if (one && request.method === 'POST' && one[2]) {
    sendJson(response, 200, scriptedWebhook(one[1] as string, true));
  } else if (path === '/v2/webhooks' && request.method === 'GET') {
    sendJson(response, 200, {
      object: 'list',
      data: [scriptedWebhook(WEBHOOK_ID)],
      nextCursor: null,
    });
  } else {
    const error = { type: 'invalid_request_error', code: 'resource_not_found', status: 404 };
    sendJson(response, 404, { error: { ...error, message: 'Not found' } });
  }
}

export async function startScriptedUpstream(
  options: ScriptedUpstreamOptions = {},
): Promise<ScriptedUpstream> {
  const requests: ScriptedRequest[] = [];
  const sockets = new Set<Socket>();
  const openById = new Set<number>();
  const connectionIds = new WeakMap<Socket, number>();
  const idleTimers = new Map<Socket, NodeJS.Timeout>();
  let connections = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let script: Script | undefined;

  const silentIdle = options.silentIdleCloseMs;
  const armIdleClose = (socket: Socket): void => {
    if (silentIdle === undefined) return;
    clearTimeout(idleTimers.get(socket));
    idleTimers.set(
      socket,
      setTimeout(() => socket.destroy(), silentIdle),
    );
  };

  const server = createServer((request, response) => {
    const { socket } = request;
    if (silentIdle !== undefined) clearTimeout(idleTimers.get(socket));
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    const recorded: ScriptedRequest = {
      index: requests.length,
      method: request.method ?? '',
      path: queryAt === -1 ? url : url.slice(0, queryAt),
      headers: request.headers,
      connection: connectionIds.get(socket) ?? 0,
      at: performance.now(),
    };
    requests.push(recorded);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    response.once('close', () => {
      inFlight--;
      if (!socket.destroyed) armIdleClose(socket);
    });
    // Request bodies (create, update) are not needed: drained so the connection stays usable.
    request.resume();
    const context: ScriptContext = {
      request,
      response,
      recorded,
      answer: () => answerNormally(request, response, recorded.path),
    };
    if (script) script(context);
    else context.answer();
  });
  if (silentIdle !== undefined) {
    // No `Keep-Alive: timeout=` hint and no idle timeout of Node's own: we close, unannounced.
    server.keepAliveTimeout = 0;
  } else if (options.keepAliveTimeoutMs !== undefined) {
    server.keepAliveTimeout = options.keepAliveTimeoutMs;
  }
  server.on('connection', (socket: Socket) => {
    connections++;
    const id = connections;
    connectionIds.set(socket, id);
    sockets.add(socket);
    openById.add(id);
    armIdleClose(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      openById.delete(id);
      clearTimeout(idleTimers.get(socket));
      idleTimers.delete(socket);
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (next) => {
      script = next;
    },
    connections: () => connections,
    openConnections: () => sockets.size,
    isOpen: (connection) => openById.has(connection),
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    close: async () => {
      for (const timer of idleTimers.values()) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Over real HTTP (F19, F20)

export interface HttpExchange {
  status: number;
  /** `performance.now()` when the request was started. */
  startedAt: number;
  /** Until the whole answer was read. */
  ms: number;
  body: GraphQLResponse<Record<string, unknown>>['body'];
}

/** A GraphQL POST over HTTP with `dispatcher` (an undici Agent the test owns). */
export async function postGraphQL(
  dispatcher: Dispatcher,
  baseUrl: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<HttpExchange> {
  const startedAt = performance.now();
  const response = await undiciRequest(`${baseUrl}/graphql`, {
    dispatcher,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${API_KEY}`,
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    startedAt,
    ms: performance.now() - startedAt,
    body: JSON.parse(text),
  };
}

/** `GET /health` over HTTP, timed. */
export async function getHealth(
  dispatcher: Agent,
  baseUrl: string,
): Promise<{ status: number; ms: number; upstream: UpstreamHealth }> {
  const started = performance.now();
  const response = await undiciRequest(`${baseUrl}/health`, { dispatcher });
  const body = (await response.body.json()) as { upstream: UpstreamHealth };
  return { status: response.statusCode, ms: performance.now() - started, upstream: body.upstream };
}

/** The `extensions.code` of the single error, or `'OK'` for an answer without errors. */
export function outcomeOf(body: HttpExchange['body']): string {
  const errors = body.errors ?? [];
  if (errors.length === 0) return 'OK';
  return errors.map((error) => error.extensions?.code ?? 'NO_CODE').join(',');
}
