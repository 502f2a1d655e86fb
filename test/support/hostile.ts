/**
 * Shared by the bad-input suite (`test/hostile/`, reliability-catalogue §2). Every row there
 * asserts the same three things besides its own outcome, and this file makes them cheap:
 *
 * - the caller's key and one seeded webhook secret are sentinels, and every answer is recorded
 *   and checked as it arrives (no sentinel key or secret, and no secret value at all unless the
 *   request selected `secret`), then once more with the logs at the end of each file;
 * - `expectHealthy()`: `GET /health` answers 200 and a known-good `webhook(id)` query succeeds;
 * - raw sockets and a real `node:http` server (the production one, `createHttpServer`) for the
 *   rows a `fetch` client cannot express (lying framing, split headers, `Host`, slowloris).
 */

import type { Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { expect } from 'vitest';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/graphql/gateway.ts';
import { createGatewayServer, type GatewayServerOptions } from '../../src/http/server.ts';
import { type RequestFilter, SAMPLE_WEBHOOKS } from '../../src/simulator/index.ts';
import { createFeaturebaseClient, createUpstreamAgent } from '../../src/upstream/index.ts';
import type { WireWebhook } from '../../src/upstream/wire.ts';
import {
  captureLogger,
  startTestGateway,
  type TestGateway,
  type TestGatewayOptions,
} from './gateway.ts';

/** Shaped like a live Featurebase key: it must never appear in an answer or a log line. */
export const SENTINEL_KEY = 'sk_live_SENTINEL_KEY_0123456789';
/** The seeded secret of `SENTINEL_ID`: no row selects it, so no answer may carry it. */
export const SENTINEL_SECRET = 'whsec_SENTINEL_SECRET_0123456789';
export const SENTINEL_ID = '5e11d0000000000000000001';
/** Two more webhooks of the sentinel workspace, for batches (`_entities`, several ids). */
export const OTHER_IDS = ['5e11d0000000000000000002', '5e11d0000000000000000003'] as const;
export const SENTINEL_WORKSPACE = 'hostile';

/** GraphQL-over-HTTP: request errors are 4xx with this Accept... */
export const STRICT = 'application/graphql-response+json';
/** ...and 200 with the legacy one (Yoga follows the spec's watershed rule). */
export const LEGACY = 'application/json';
export type Accept = typeof STRICT | typeof LEGACY;

const SAMPLE = SAMPLE_WEBHOOKS[0] as WireWebhook;

export const HOSTILE_SEED: readonly WireWebhook[] = [
  { ...structuredClone(SAMPLE), id: SENTINEL_ID, name: 'Sentinel', secret: SENTINEL_SECRET },
  ...OTHER_IDS.map((id, index) => ({
    ...structuredClone(SAMPLE),
    id,
    name: `Other ${index + 1}`,
    secret: `whsec_hostileOther${index + 1}Secret0000000000`,
  })),
];

/** The query every row ends with: it must still work, with one upstream call. */
const KNOWN_GOOD = `{ webhook(id: "${SENTINEL_ID}") { id name } }`;

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: {
    message: string;
    path?: (string | number)[];
    locations?: unknown;
    extensions?: Record<string, unknown> & { code?: string };
  }[];
}

export interface Exchange {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, when it is JSON. */
  json: GraphQLBody | undefined;
}

export interface GraphQLOptions {
  accept?: Accept;
  /** Merged over the defaults (JSON, strict Accept, the sentinel key); `null` removes one. */
  headers?: Record<string, string | null>;
  operationName?: string;
}

/** Sends a request and returns the answer; used to run the known-good checks over a socket. */
export type Send = (path: string, init: RequestInit) => Promise<Response>;

export interface HostileGateway {
  harness: TestGateway;
  /** `yoga.fetch` on `path`, recorded and checked for leaks. */
  fetch(path: string, init?: RequestInit): Promise<Exchange>;
  /** A GraphQL POST with the sentinel key, recorded and checked for leaks. */
  graphql(query: string, variables?: unknown, options?: GraphQLOptions): Promise<Exchange>;
  /** A raw JSON body (for bodies `JSON.stringify` cannot produce), POSTed as is. */
  postRaw(body: string, options?: GraphQLOptions): Promise<Exchange>;
  /** Records an answer obtained some other way (a socket), and checks it. */
  record(request: string, answer: string): void;
  upstreamCalls(filter?: RequestFilter): number;
  /** The held secret of the sentinel webhook, read from the simulator. */
  heldSentinelSecret(): string | undefined;
  /** `GET /health` is 200 and a known-good `webhook(id)` query succeeds (via `send`, if given). */
  expectHealthy(send?: Send): Promise<void>;
  /** Over everything recorded, the gateway logs and `extraLogs`: no sentinel, no stray secret. */
  expectNoLeaks(extraLogs?: readonly string[]): void;
  close(): Promise<void>;
}

/** A request that names `secret` may get one back; any other must carry no secret at all. */
export function selectsSecret(request: string): boolean {
  return /\bsecret\b/.test(request);
}

/**
 * A secret value: `whsec_` and its random part. The bare prefix is not one: the schema's own
 * description of `Webhook.secret` says "whsec_…", so every introspection answer contains it.
 */
export const SECRET_VALUE = /whsec_[A-Za-z0-9]{4,}/;

export function headerRecord(headers: Record<string, string | null>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== null) result[name] = value;
  return result;
}

export async function startHostileGateway(
  options: TestGatewayOptions = {},
): Promise<HostileGateway> {
  const harness = await startTestGateway({
    ...options,
    simulator: {
      apiKeys: [{ key: SENTINEL_KEY, workspace: SENTINEL_WORKSPACE }],
      seed: HOSTILE_SEED,
      ...options.simulator,
    },
  });
  const recorded: { request: string; answer: string }[] = [];

  const record = (request: string, answer: string) => {
    recorded.push({ request, answer });
    checkAnswer(request, answer);
  };

  const fetchRecorded = async (path: string, init: RequestInit = {}): Promise<Exchange> => {
    const response = await harness.gateway.fetch(`http://gateway.test${path}`, init);
    const text = await response.text();
    record(`${init.method ?? 'GET'} ${path} ${describeBody(init.body)}`, text);
    return { status: response.status, headers: response.headers, text, json: parseJson(text) };
  };

  const postRaw = (body: string, options: GraphQLOptions = {}) =>
    fetchRecorded('/graphql', {
      method: 'POST',
      headers: headerRecord({
        'content-type': 'application/json',
        accept: options.accept ?? STRICT,
        authorization: `Bearer ${SENTINEL_KEY}`,
        ...lowerCased(options.headers ?? {}),
      }),
      body,
    });

  return {
    harness,
    fetch: fetchRecorded,
    postRaw,
    graphql: (query, variables, options = {}) =>
      postRaw(
        JSON.stringify({
          query,
          ...(variables === undefined ? {} : { variables }),
          ...(options.operationName === undefined ? {} : { operationName: options.operationName }),
        }),
        options,
      ),
    record,
    upstreamCalls: (filter) => harness.simulator.countRequests(filter),
    heldSentinelSecret: () => harness.simulator.peekWebhook(SENTINEL_KEY, SENTINEL_ID)?.secret,
    async expectHealthy(send) {
      const via: Send =
        send ?? (async (path, init) => harness.gateway.fetch(`http://gateway.test${path}`, init));
      const health = await via('/health', {});
      await health.text();
      expect(health.status, 'GET /health after the row').toBe(200);
      const body = JSON.stringify({ query: KNOWN_GOOD });
      const callsBefore = harness.simulator.countRequests();
      const response = await via('/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: STRICT,
          authorization: `Bearer ${SENTINEL_KEY}`,
        },
        body,
      });
      const text = await response.text();
      record(body, text);
      expect(response.status, 'the known-good query after the row').toBe(200);
      expect(parseJson(text), 'the known-good query after the row').toEqual({
        data: { webhook: { id: SENTINEL_ID, name: 'Sentinel' } },
      });
      expect(harness.simulator.countRequests() - callsBefore, 'its upstream calls').toBe(1);
    },
    expectNoLeaks(extraLogs = []) {
      // A scan of nothing would pass whatever the gateway did.
      expect(recorded.length).toBeGreaterThan(0);
      const offenders: string[] = [];
      for (const { request, answer } of recorded) {
        for (const problem of leaksIn(request, answer)) {
          offenders.push(`${problem} in the answer to ${request.slice(0, 120)}`);
        }
      }
      for (const logs of [harness.logs(), ...extraLogs]) {
        expect(logs.length).toBeGreaterThan(0);
        for (const needle of [SENTINEL_KEY, SENTINEL_SECRET]) {
          if (logs.includes(needle)) offenders.push(`${needle} in the logs`);
        }
        if (SECRET_VALUE.test(logs)) offenders.push('a whsec_ secret in the logs');
      }
      expect(offenders).toEqual([]);
    },
    close: () => harness.close(),
  };
}

function checkAnswer(request: string, answer: string): void {
  expect(leaksIn(request, answer), `leaks in the answer to ${request.slice(0, 120)}`).toEqual([]);
}

function leaksIn(request: string, answer: string): string[] {
  const problems: string[] = [];
  if (answer.includes(SENTINEL_KEY)) problems.push('the sentinel key');
  if (answer.includes(SENTINEL_SECRET)) problems.push('the sentinel secret');
  if (!selectsSecret(request) && SECRET_VALUE.test(answer)) {
    problems.push('a whsec_ secret that was not selected');
  }
  return problems;
}

function describeBody(body: RequestInit['body']): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('latin1');
  if (body instanceof URLSearchParams) return body.toString();
  return '';
}

function lowerCased(headers: Record<string, string | null>): Record<string, string | null> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
}

export function parseJson(text: string): GraphQLBody | undefined {
  try {
    return JSON.parse(text) as GraphQLBody;
  } catch {
    return undefined;
  }
}

/** The `extensions.code` of every error, in order. */
export function codesOf(exchange: Exchange): (string | undefined)[] {
  return (exchange.json?.errors ?? []).map((error) => error.extensions?.code);
}

/** The production Node server around `gateway` (with `options`, if given), on 127.0.0.1 port 0. */
export async function listen(
  gateway: Gateway,
  options: GatewayServerOptions = {},
): Promise<{ server: Server; port: number; url: string; send: Send; close(): Promise<void> }> {
  // As main.ts builds it: the GraphQL front and its fast path before Yoga. Except that it never
  // sheds for CPU (keys Featurebase has not accepted would be refused whenever the test worker
  // is slow, which a busy machine makes it): the rows of that shedding give their own signal.
  const server = createGatewayServer(gateway, { pressure: { high: false }, ...options });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    server,
    port,
    url,
    send: (path, init) => fetch(`${url}${path}`, init),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawExchange {
  /** Everything the server wrote, as latin1 text. */
  text: string;
  /** The status of the first response, if one arrived. */
  status: number | undefined;
  /** The headers of the first response, lower-cased names. */
  headers: Record<string, string>;
  /** The body of the first response (content-length or chunked). */
  body: string;
  /** Whether the server closed the connection before `waitMs`. */
  closed: boolean;
  elapsedMs: number;
}

export interface RawOptions {
  /** Give up (and destroy the socket) after this long. Default 3000 ms. */
  waitMs?: number;
  /** Settle as soon as the first response is complete, without waiting for the close. */
  stopAtResponse?: boolean;
  /** Called once connected, to write more over time (slow clients). */
  drive?: (socket: Socket) => void;
}

/**
 * Writes `payload` on a new connection and collects what comes back until the server closes
 * it or `waitMs` passes. Requests that want a prompt answer should send `Connection: close`.
 */
export function rawExchange(
  port: number,
  payload: string | Buffer,
  options: RawOptions = {},
): Promise<RawExchange> {
  const waitMs = options.waitMs ?? 3000;
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ ...parseHttpResponse(text), text, closed, elapsedMs: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.stopAtResponse && responseComplete(Buffer.concat(chunks).toString('latin1'))) {
        finish(false);
      }
    });
    socket.on('close', () => finish(true));
    // EPIPE/ECONNRESET while a slow or lying client still writes: the close event follows.
    socket.on('error', () => {});
    socket.write(payload);
    options.drive?.(socket);
  });
}

function responseComplete(text: string): boolean {
  const headerEnd = text.indexOf('\r\n\r\n');
  if (headerEnd === -1) return false;
  const { headers } = parseHttpResponse(text);
  const length = headers['content-length'];
  if (length !== undefined) return text.length - headerEnd - 4 >= Number(length);
  return text.endsWith('0\r\n\r\n');
}

function parseHttpResponse(text: string): Pick<RawExchange, 'status' | 'headers' | 'body'> {
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
  const headerEnd = text.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  if (headerEnd === -1) return { status: status ? Number(status) : undefined, headers, body: '' };
  for (const line of text.slice(0, headerEnd).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = text.slice(headerEnd + 4);
  let body = rest;
  const length = headers['content-length'];
  if (length !== undefined) body = rest.slice(0, Number(length));
  else if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(rest);
  return { status: status ? Number(status) : undefined, headers, body };
}

function dechunk(text: string): string {
  let body = '';
  let at = 0;
  for (;;) {
    const lineEnd = text.indexOf('\r\n', at);
    if (lineEnd === -1) return body;
    const size = Number.parseInt(text.slice(at, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) return body;
    body += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** One HTTP/1.1 request as bytes: `headers` are written exactly as given, CR/LF and all. */
export function rawRequest(
  method: string,
  path: string,
  headerLines: readonly string[],
  body = '',
): string {
  return `${method} ${path} HTTP/1.1\r\n${headerLines.map((line) => `${line}\r\n`).join('')}\r\n${body}`;
}

/**
 * A second gateway over the same simulator, built with options `startTestGateway` does not take
 * (the CORS allow-list). Its logs are captured for the leak scan.
 */
export function gatewayOver(
  harness: TestGateway,
  options: Partial<Omit<GatewayOptions, 'client' | 'logger'>>,
): { gateway: Gateway; logs(): string; close(): Promise<void> } {
  const agent = createUpstreamAgent();
  const { logger, captured } = captureLogger();
  const gateway = createGateway({
    client: createFeaturebaseClient({
      baseUrl: harness.upstreamUrl,
      dispatcher: agent,
      timeoutMs: 2000,
    }),
    logger,
    credentialDefaults: { apiVersion: '2026-01-01.nova', fallbackApiKey: undefined },
    ...options,
  });
  return { gateway, logs: () => captured.join(''), close: () => agent.close() };
}

/** Waits `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
