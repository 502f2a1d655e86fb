/**
 * Hostile load at the HTTP edge (reliability-catalogue §5: R02, R04, R06, and the load-shedding
 * it asks for), against the production server (`createGatewayServer`, as main.ts runs it) around
 * the real gateway and simulator on 127.0.0.1, with small limits so that each row is exact and
 * fast. Every row also checks the leak rules of the hostile suite (no sentinel key or secret in
 * any answer or log).
 *
 * Nothing here waits on the clock for its verdict: each step waits for the event it needs (the
 * simulator holding a request, the server having read so many bytes).
 */

import type { Socket } from 'node:net';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServedBy } from '../../src/http/fast-path.ts';
import { LINGER_AFTER_REFUSAL_MS } from '../../src/http/server.ts';
import {
  codesOf,
  listen,
  parseJson,
  rawExchange,
  rawRequest,
  SENTINEL_ID,
  SENTINEL_KEY,
  SENTINEL_SECRET,
  sleep,
  startHostileGateway,
} from '../support/hostile.ts';

const hostile = await startHostileGateway();
afterAll(async () => {
  try {
    hostile.expectNoLeaks();
  } finally {
    await hostile.close();
  }
});
beforeEach(() => hostile.harness.simulator.reset());

const calls = () => hostile.upstreamCalls();
const READ = JSON.stringify({ query: `{ webhook(id: "${SENTINEL_ID}") { id name } }` });
const HEADERS = {
  'content-type': 'application/json',
  authorization: `Bearer ${SENTINEL_KEY}`,
};

type Listening = Awaited<ReturnType<typeof listen>>;

/** `fetch` over a server's socket, recorded for the leak scan. */
async function post(server: Listening, body: string, headers: Record<string, string> = HEADERS) {
  const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body });
  const text = await response.text();
  hostile.record(body.slice(0, 200), text);
  return { status: response.status, headers: response.headers, text, json: parseJson(text) };
}

/** The server-side sockets of `server` as they connect, to read what the server took in. */
function trackSockets(server: Listening): Socket[] {
  const sockets: Socket[] = [];
  server.server.on('connection', (socket: Socket) => sockets.push(socket));
  return sockets;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Writes an endless chunked body, 64 KB at a time, as fast as the socket takes it. */
function endlessChunks(socket: Socket): void {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const frame = Buffer.concat([
    Buffer.from(`${chunk.length.toString(16)}\r\n`),
    chunk,
    Buffer.from('\r\n'),
  ]);
  const pump = (): void => {
    while (!socket.destroyed && socket.write(frame)) {
      // until the socket's buffer is full
    }
  };
  socket.on('drain', pump);
  pump();
}

describe('R04 refused requests whose chunked body keeps coming', () => {
  let server: Listening;
  let sockets: Socket[];
  beforeEach(async () => {
    server ??= await listen(hostile.harness.gateway);
    sockets ??= trackSockets(server);
  });
  afterAll(() => server.close());

  it.each([
    [
      'a text/plain POST without the CSRF header (403)',
      rawRequest('POST', '/graphql', [
        'Host: gateway.test',
        'Content-Type: text/plain',
        `Authorization: Bearer ${SENTINEL_KEY}`,
        'Transfer-Encoding: chunked',
      ]),
      403,
    ],
    [
      'a GET with a non-JSON Content-Type (415)',
      rawRequest('GET', `/graphql?query=${encodeURIComponent('{ __typename }')}`, [
        'Host: gateway.test',
        'Content-Type: text/plain',
        'x-graphql-yoga-csrf: 1',
        'Transfer-Encoding: chunked',
      ]),
      415,
    ],
  ])(
    'R04 %s: refused, Connection: close, the body not read, closed promptly',
    async (_, head, status) => {
      const before = sockets.length;
      const answer = await rawExchange(server.port, head, { waitMs: 5000, drive: endlessChunks });
      hostile.record(head, answer.text);
      expect(answer.status).toBe(status);
      expect(answer.headers['connection']).toBe('close');
      expect(answer.closed, 'closed by the server').toBe(true);
      // The linger after the answer, plus a loaded machine: not the ~57 s Node would read for.
      expect(answer.elapsedMs).toBeLessThan(LINGER_AFTER_REFUSAL_MS + 2000);
      const socket = sockets[before];
      // The head and a few socket reads at most: an endless body at loopback speed would be
      // hundreds of megabytes.
      expect(socket?.bytesRead).toBeLessThan(4 * 1024 * 1024);
      expect(calls()).toBe(0);
      expect(hostile.heldSentinelSecret()).toBe(SENTINEL_SECRET);
    },
  );
});

describe('R06 an open-connection cap', () => {
  const capped = async (silentEvictionAfterMs = 0) => {
    const server = await listen(hostile.harness.gateway, {
      limits: { maxConnections: 4 },
      timeouts: { silentEvictionAfterMs },
    });
    const accepted = trackSockets(server);
    const { connect } = await import('node:net');
    const opened: Socket[] = [];
    const open = async () => {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      opened.push(socket);
      return socket;
    };
    return { server, accepted, open, opened };
  };
  const health = (port: number) =>
    rawExchange(port, rawRequest('GET', '/health', ['Host: gateway.test', 'Connection: close']), {
      waitMs: 3000,
    });

  it('R06 when every place is held by a silent connection, a newcomer takes the place of the oldest one', async () => {
    const { server, accepted, open, opened } = await capped();
    try {
      for (let n = 0; n < 4; n++) await open();
      await until(() => accepted.length === 4, 'four accepted connections');
      const answer = await health(server.port);
      expect(answer.status).toBe(200);
      expect(accepted[0]?.destroyed, 'the oldest silent connection gave its place').toBe(true);
      expect(accepted.slice(1, 4).every((socket) => !socket.destroyed)).toBe(true);
    } finally {
      for (const socket of opened) socket.destroy();
      await server.close();
    }
  });

  it('R06 a connection that has just come keeps its place: a newcomer is closed instead (no churn)', async () => {
    const { server, accepted, open, opened } = await capped(60_000);
    try {
      for (let n = 0; n < 4; n++) await open();
      await until(() => accepted.length === 4, 'four accepted connections');
      const refused = await health(server.port);
      expect(refused.closed).toBe(true);
      expect(refused.status, 'no answer on a connection over the cap').toBeUndefined();
      // The four that came first are still there (the fifth, seen here too, was closed).
      expect(accepted.slice(0, 4).every((socket) => !socket.destroyed)).toBe(true);
    } finally {
      for (const socket of opened) socket.destroy();
      await server.close();
    }
  });

  it('R06 when every place is held by a connection in use, a newcomer is closed at once', async () => {
    // No silent eviction: only the four connections in use may hold the places.
    const { server, accepted } = await capped(60_000);
    // Featurebase has accepted the key (a key it has not judged yet goes one call at a time).
    // Through yoga.fetch, not this server: a kept-alive connection of its own would be a fifth
    // when the four below open theirs, and the cap would close one of them (flaked once so).
    expect((await hostile.graphql(JSON.parse(READ).query)).status).toBe(200);
    hostile.harness.simulator.reset();
    // Four requests held at a slow Featurebase: four connections in use.
    hostile.harness.simulator.injectFault({ match: { method: 'GET' }, delayMs: 30_000, times: 4 });
    // Four different webhooks: identical reads in flight together would share one call.
    const held = Array.from({ length: 4 }, (_, n) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify({ query: `{ webhook(id: "${String(n).repeat(24)}") { id } }` }),
      }).catch(() => undefined),
    );
    try {
      await until(() => calls() === 4, 'four calls held at Featurebase');
      const refused = await health(server.port);
      expect(refused.closed).toBe(true);
      expect(refused.status, 'no answer on a connection over the cap').toBeUndefined();
      expect(accepted.filter((socket) => !socket.destroyed)).toHaveLength(4);
    } finally {
      hostile.harness.simulator.clearFaults();
      await server.close();
      await Promise.all(held);
    }
  });
});

describe('load shedding: requests in execution', () => {
  it('past maxRequestsInFlight, a request is answered 503 with Retry-After at once, and later ones are served again', async () => {
    const served: ServedBy[] = [];
    const shedReasons: string[] = [];
    const server = await listen(hostile.harness.gateway, {
      limits: { maxRequestsInFlight: 2 },
      onServed: (path) => served.push(path),
      onShed: (reason) => shedReasons.push(reason),
    });
    const logged = hostile.harness.logs().length;
    try {
      // Featurebase has accepted the key (a key it has not judged yet goes one call at a time).
      expect((await post(server, READ)).status).toBe(200);
      hostile.harness.simulator.reset();
      // Two reads held by a slow Featurebase fill the two places.
      hostile.harness.simulator.injectFault({
        match: { method: 'GET' },
        delayMs: 30_000,
        times: 2,
      });
      // Two different webhooks: identical reads in flight together would share one call.
      const held = ['1', '2'].map((digit) =>
        post(server, JSON.stringify({ query: `{ webhook(id: "${digit.repeat(24)}") { id } }` })),
      );
      await until(() => calls() === 2, 'two calls held at Featurebase');

      const shed = await post(server, READ);
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('1');
      expect(shed.headers.get('cache-control')).toBe('no-store');
      expect(shed.headers.get('x-request-id')).toBeTruthy();
      expect(codesOf({ ...shed, json: shed.json })).toEqual(['OVERLOADED']);
      // Told to the metrics, with its reason.
      expect(shedReasons).toEqual(['requests-in-flight']);
      expect(shed.json?.errors?.[0]?.extensions?.['retryAfter']).toBe(1);
      expect(served.at(-1)).toBe('refused');
      expect(calls(), 'the shed request cost nothing upstream').toBe(2);
      const warning = hostile.harness
        .logs()
        .slice(logged)
        .split('\n')
        .find((line) => line.includes('requests shed (HTTP 503)'));
      expect(warning, 'one warning line for operators').toBeDefined();
      expect(JSON.parse(warning as string)).toMatchObject({
        level: 'warn',
        counts: { 'requests-in-flight': 1 },
      });

      // The held requests end (their client goes away): the places are free again.
      hostile.harness.simulator.clearFaults();
      await server.close();
      await Promise.allSettled(held);
    } finally {
      await server.close();
    }
    const again = await listen(hostile.harness.gateway, { limits: { maxRequestsInFlight: 2 } });
    try {
      expect((await post(again, READ)).status).toBe(200);
    } finally {
      await again.close();
    }
  });
});

describe('load shedding: request bodies in memory', () => {
  it('a body that would overdraw the shared pool is refused with 503; small bodies are never refused by it', async () => {
    const server = await listen(hostile.harness.gateway, {
      limits: { bodyFreeBytesPerRequest: 1024, bodyPoolBytes: 64 * 1024 },
    });
    const sockets = trackSockets(server);
    const { connect } = await import('node:net');
    // A slow upload holds 60 KB: 59 KB of the 64 KB pool.
    const holder = connect(server.port, '127.0.0.1');
    holder.on('error', () => {});
    try {
      await new Promise((resolve) => holder.once('connect', resolve));
      holder.write(
        rawRequest('POST', '/graphql', [
          'Host: gateway.test',
          'Content-Type: application/json',
          `Authorization: Bearer ${SENTINEL_KEY}`,
          'Content-Length: 200000',
        ]),
      );
      holder.write(Buffer.alloc(60 * 1024, 0x20));
      await until(() => (sockets[0]?.bytesRead ?? 0) >= 60 * 1024, 'the server reading 60 KB');

      // 10 KB more would need 9 KB of the pool: refused.
      const padded = JSON.stringify({
        query: '{ __typename }',
        extensions: { pad: 'p'.repeat(10_000) },
      });
      const refused = await post(server, padded);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(codesOf({ ...refused, json: refused.json })).toEqual(['OVERLOADED']);

      // A small body fits its free share: served.
      expect((await post(server, READ)).status).toBe(200);

      // The slow upload goes away: its memory is given back, and the 10 KB body fits again.
      holder.destroy();
      await until(() => sockets[0]?.destroyed === true, 'the slow upload closed');
      await sleep(20);
      expect((await post(server, padded)).status).toBe(200);
    } finally {
      holder.destroy();
      await server.close();
    }
  });
});

describe('R02 large variables', () => {
  it('R02 1 MB of padding in variables: 400 BAD_USER_INPUT before it is parsed, served by the front, no call', async () => {
    const served: ServedBy[] = [];
    const server = await listen(hostile.harness.gateway, { onServed: (path) => served.push(path) });
    const sockets = trackSockets(server);
    try {
      const body = `{"query":"query ($id: ID!) { webhook(id: $id) { id } }","variables":{"id":"${SENTINEL_ID}","pad":[${'[],'.repeat(320_000)}[]]}}`;
      expect(body.length).toBeLessThan(1_000_000);
      const answer = await post(server, body);
      // Refused as it streamed in, a few kilobytes into the padding: the rest was never read.
      expect(answer.headers.get('connection')).toBe('close');
      expect(sockets[0]?.bytesRead).toBeLessThan(512 * 1024);
      expect(answer.status).toBe(400);
      expect(codesOf({ ...answer, json: answer.json })).toEqual(['BAD_USER_INPUT']);
      expect(answer.json?.errors?.[0]?.message).toBe(
        'The request carries more than 4000 JSON values.',
      );
      expect(served).toEqual(['refused']);
      expect(calls()).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('load shedding: short of CPU', () => {
  it('while the event loop runs late, only tenants Featurebase knows are served; the others get 503 before any work', async () => {
    const pressure = { high: false };
    const server = await listen(hostile.harness.gateway, { pressure });
    try {
      // The tenant: Featurebase has answered for its key.
      expect((await post(server, READ)).status).toBe(200);
      pressure.high = true;
      const tenant = await post(server, READ);
      expect(tenant.status).toBe(200);
      expect(tenant.json?.data).toEqual({ webhook: { id: SENTINEL_ID, name: 'Sentinel' } });

      for (const headers of [
        { 'content-type': 'application/json' },
        {
          'content-type': 'application/json',
          authorization: 'Bearer sk_live_never_seen_0123456789',
        },
      ]) {
        const shed = await post(server, READ, headers);
        expect(shed.status).toBe(503);
        expect(shed.headers.get('retry-after')).toBe('1');
        expect(codesOf({ ...shed, json: shed.json })).toEqual(['OVERLOADED']);
      }
      expect(calls(), "the tenant's two reads only").toBe(2);

      pressure.high = false;
      const unknown = await post(server, READ, {
        'content-type': 'application/json',
        authorization: 'Bearer sk_live_never_seen_0123456789',
      });
      expect(codesOf({ ...unknown, json: unknown.json })).toEqual(['UNAUTHENTICATED']);
    } finally {
      await server.close();
    }
  });
});
