/**
 * Shared pieces of the upstream client tests: a sample webhook, a caller with a sentinel key,
 * a MockAgent upstream that records calls, a client with fast retries, and a scripted
 * `node:http` upstream on 127.0.0.1 port 0 for what a mock cannot do (resets, stalls, huge
 * bodies).
 */

import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Dispatcher, MockAgent } from 'undici';
import { expect } from 'vitest';
import type { Caller } from '../../src/upstream/caller.ts';
import {
  createFeaturebaseClient,
  type FeaturebaseClient,
  type FeaturebaseClientOptions,
} from '../../src/upstream/client.ts';
import type { UpstreamAttemptEvent } from '../../src/upstream/request/request.ts';
import type { ResilienceEvent } from '../../src/upstream/resilience/types.ts';
import type { WireWebhook } from '../../src/upstream/wire.ts';
import { compareFastest } from '../support/timing.ts';

export const ORIGIN = 'https://featurebase.test';
export const ID = '507f1f77bcf86cd799439011';
export const API_KEY = 'sk_test_SENTINEL_KEY_0123456789';
export const SECRET = 'whsec_SENTINEL_SECRET_abcdef';
export const API_VERSION = '2026-01-01.nova';
export const REQUEST_ID = 'req-7f3a';

export const WEBHOOK: WireWebhook = {
  object: 'webhook',
  id: ID,
  name: 'Production Webhook',
  url: 'https://example.com/webhooks',
  description: 'Handles all production events',
  topics: ['post.created', 'post.updated'],
  status: 'active',
  secret: SECRET,
  version: '1.0',
  requestConfig: { timeoutMs: 5000, headers: { 'X-Custom-Header': 'value' } },
  lastStatus: { code: 200, message: 'Success', timestamp: '2025-01-15T10:30:00.000Z' },
  health: {
    avgResponseTime: 200,
    lastResponseTime: 150,
    lastSuccessAt: '2025-01-15T10:30:00.000Z',
    errorsSinceLastSuccess: 0,
    consecutiveFailures: 0,
  },
  createdAt: '2025-01-15T10:30:00.000Z',
  updatedAt: '2025-01-15T10:30:00.000Z',
};

export const JSON_HEADERS = { 'content-type': 'application/json' };

export function errorBody(
  type: string,
  code: string,
  message: string,
  status: number,
  param?: string,
) {
  return { error: { type, code, message, status, ...(param === undefined ? {} : { param }) } };
}

export function caller(extra: Partial<Caller> = {}): Caller {
  return { apiKey: API_KEY, apiVersion: API_VERSION, requestId: REQUEST_ID, ...extra };
}

/** A MockAgent that refuses the network and records every call. */
export function mockUpstream() {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  return {
    agent,
    pool: agent.get(ORIGIN),
    calls: () => agent.getCallHistory()?.calls() ?? [],
  };
}

export interface TestClient {
  client: FeaturebaseClient;
  events: UpstreamAttemptEvent[];
  /** Breaker changes, refusals and skipped retries. */
  resilienceEvents: ResilienceEvent[];
}

/** Fast retries (1-5 ms backoff) and recorded attempt and resilience events, unless overridden. */
export function testClient(
  dispatcher: Dispatcher,
  overrides: Partial<FeaturebaseClientOptions> = {},
  baseUrl = ORIGIN,
): TestClient {
  const events: UpstreamAttemptEvent[] = [];
  const resilienceEvents: ResilienceEvent[] = [];
  const client = createFeaturebaseClient({
    baseUrl,
    dispatcher,
    timeoutMs: 2000,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    random: () => 0.5,
    // Scripted 401/403 answers stand for faults, not for keys refused for good (the memory of
    // refused keys has tests of its own).
    rejectedKeyTtlMs: 0,
    // These tests load the client with identical concurrent reads to exercise the bulkhead, the
    // breaker and the gate: shared, they would be one call. Sharing has tests of its own.
    shareReads: false,
    onAttempt: (event) => events.push(event),
    onResilienceEvent: (event) => resilienceEvents.push(event),
    ...overrides,
  });
  return { client, events, resilienceEvents };
}

/**
 * Expects `refuse` (a call refused without reaching Featurebase) to cost less than one read that
 * does reach a mock Featurebase and succeeds, made by a client with the test settings on an
 * upstream of its own (so it counts in no test's calls). Both timed in the same run, fastest of
 * 20 each, alternating (`compareFastest` in test/support/timing.ts): a refusal costs about a
 * quarter of a call; one that waited for anything (a timer, a slot, a reset) would cost many
 * times more.
 */
export async function expectCheaperThanACall(refuse: () => Promise<unknown>): Promise<void> {
  const healthy = mockUpstream();
  healthy.pool
    .intercept({ path: `/v2/webhooks/${ID}`, method: 'GET' })
    .reply(200, WEBHOOK)
    .persist();
  const { client } = testClient(healthy.agent);
  try {
    const cost = await compareFastest(refuse, () => client.webhooks.retrieve(ID, caller()), {
      rounds: 20,
    });
    expect(cost.ratio, cost.note).toBeLessThan(1);
  } finally {
    await healthy.agent.close();
  }
}

/** Resolves to the error the promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type ScriptedHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  index: number,
) => void | Promise<void>;

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  /** Sockets the server has seen and that are still open. */
  openSockets: () => number;
  /** Connections accepted so far. */
  connections: () => number;
  close: () => Promise<void>;
}

/**
 * A scripted upstream on 127.0.0.1 port 0. The handler sees the request after its body was read
 * (recorded in `requests`), and the call index (0 for the first).
 */
export async function startServer(
  handler: ScriptedHandler,
  options: { keepAliveTimeoutMs?: number } = {},
): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(Buffer.from(chunk));
    const index = requests.length;
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    await handler(request, response, index);
  });
  if (options.keepAliveTimeoutMs !== undefined)
    server.keepAliveTimeout = options.keepAliveTimeoutMs;
  let connections = 0;
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    openSockets: () => sockets.size,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A port on 127.0.0.1 that was just free and is now closed (connection refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...JSON_HEADERS,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
