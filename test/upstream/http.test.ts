/**
 * Faults a mock cannot produce, against a scripted `node:http` upstream on 127.0.0.1 port 0
 * and the production agent (`createUpstreamAgent`): what is really on the wire, resets, stalls,
 * endless bodies, a closed port, redirects to another origin, and sockets left behind.
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  NotFoundError,
  UpstreamConnectionError,
  UpstreamProtocolError,
  UpstreamTimeoutError,
} from '../../src/upstream/errors.ts';
import { createUpstreamAgent } from '../../src/upstream/request/agent.ts';
import {
  API_KEY,
  caller,
  closedPort,
  errorBody,
  ID,
  JSON_HEADERS,
  rejection,
  sendJson,
  startServer,
  type TestServer,
  testClient,
  WEBHOOK,
  waitFor,
} from './helpers.ts';

const agent = (connectTimeoutMs = 1000) => {
  const created = createUpstreamAgent({ connectTimeoutMs });
  cleanup.push(() => created.close());
  return created;
};
const servers: TestServer[] = [];
const cleanup: (() => Promise<void>)[] = [];

async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const started = await startServer(...args);
  servers.push(started);
  return started;
}

afterEach(async () => {
  for (const close of cleanup.splice(0)) await close();
  for (const started of servers.splice(0)) await started.close();
});

describe('on the wire', () => {
  it('sends only our headers and undici’s framing headers', async () => {
    const upstream = await server((_request, response) => sendJson(response, 200, WEBHOOK));
    const { client } = testClient(agent(), {}, upstream.url);
    await client.webhooks.retrieve(ID, caller());
    await client.webhooks.create(
      { name: 'n', url: 'https://example.com/h', topics: ['post.created'] },
      caller(),
    );
    await client.webhooks.refreshSecret(ID, caller());
    const [get, create, rotate] = upstream.requests;
    const ours = ['accept', 'authorization', 'featurebase-version', 'user-agent', 'x-request-id'];
    expect(Object.keys(get?.headers ?? {}).sort()).toEqual(['connection', 'host', ...ours].sort());
    expect(Object.keys(create?.headers ?? {}).sort()).toEqual(
      ['connection', 'content-length', 'content-type', 'host', ...ours].sort(),
    );
    expect(Object.keys(rotate?.headers ?? {}).sort()).toEqual(
      ['connection', 'content-length', 'host', ...ours].sort(),
    );
    expect(get?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(rotate?.headers['content-length']).toBe('0');
    expect(rotate?.body).toBe('');
    expect(get?.url).toBe(`/v2/webhooks/${ID}`);
  });

  it('reuses one keep-alive socket, after success and error answers alike (bodies are consumed)', async () => {
    let connections = 0;
    const upstream = await server((_request, response, index) => {
      if (index === 1)
        sendJson(
          response,
          404,
          errorBody('invalid_request_error', 'resource_not_found', 'no', 404, 'id'),
        );
      else sendJson(response, 200, WEBHOOK);
    });
    const dispatcher = agent();
    dispatcher.on('connect', () => connections++);
    const { client } = testClient(dispatcher, {}, upstream.url);
    // The pool frees a socket a moment after its answer ends; without waiting for that, a
    // back-to-back request may open a second one, which would say nothing about consumed bodies.
    const pause = () =>
      waitFor(() => {
        const stats = dispatcher.stats[upstream.url];
        return stats !== undefined && 'free' in stats && stats.free === 1;
      });
    await client.webhooks.retrieve(ID, caller());
    await pause();
    expect(await rejection(client.webhooks.retrieve(ID, caller()))).toBeInstanceOf(NotFoundError);
    await pause();
    await client.webhooks.retrieve(ID, caller());
    expect(upstream.requests).toHaveLength(3);
    expect(connections).toBe(1);
  });
});

describe('keep-alive race', () => {
  it('after the upstream idled a socket out, a POST rotation goes on a fresh socket and succeeds', async () => {
    // Node sends `Keep-Alive: timeout=0` here; the agent then never reuses the socket, so the
    // rotation cannot be written onto a socket the server is closing (and fail ambiguously).
    const upstream = await server((_request, response) => sendJson(response, 200, WEBHOOK), {
      keepAliveTimeoutMs: 300,
    });
    const { client, events } = testClient(agent(), {}, upstream.url);
    await client.webhooks.retrieve(ID, caller());
    await new Promise((resolve) => setTimeout(resolve, 400));
    await expect(client.webhooks.refreshSecret(ID, caller())).resolves.toMatchObject({ id: ID });
    expect(upstream.requests).toHaveLength(2);
    expect(upstream.connections()).toBe(2);
    expect(events.every((event) => event.outcome === 'success')).toBe(true);
  });
});

describe('resets', () => {
  it('GET reset mid-body → retried, success on the next attempt, 2 calls (F04)', async () => {
    const upstream = await server((_request, response, index) => {
      if (index === 0) {
        const text = JSON.stringify(WEBHOOK);
        response.writeHead(200, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text) });
        response.write(text.slice(0, text.length / 2));
        setTimeout(() => response.socket?.destroy(), 20);
        return;
      }
      sendJson(response, 200, WEBHOOK);
    });
    const { client, events } = testClient(agent(), {}, upstream.url);
    await expect(client.webhooks.retrieve(ID, caller())).resolves.toEqual(WEBHOOK);
    expect(upstream.requests).toHaveLength(2);
    expect(events[0]).toMatchObject({
      status: 200,
      outcome: 'error',
      error: 'UpstreamConnectionError',
    });
  });

  it.each([
    ['POST rotation', 'refreshSecret'],
    ['PATCH', 'update'],
  ] as const)(
    '%s reset after the request was written → 1 call, may have reached Featurebase (F05)',
    async (_label, method) => {
      const upstream = await server((request) => {
        request.socket.destroy();
      });
      const { client } = testClient(agent(), {}, upstream.url);
      const call =
        method === 'update'
          ? client.webhooks.update(ID, { name: 'x' }, caller())
          : client.webhooks.refreshSecret(ID, caller());
      const error = await rejection(call);
      expect(error).toBeInstanceOf(UpstreamConnectionError);
      expect((error as UpstreamConnectionError).mayHaveReachedUpstream).toBe(true);
      expect((error as Error).message).toContain('may or may not have happened');
      expect(upstream.requests).toHaveLength(1);
    },
  );
});

describe('stalls', () => {
  it('POST rotation to a server that never answers → timeout after 1 call, socket closed (F02)', async () => {
    const upstream = await server(() => {
      // Never answers.
    });
    // A 10 s total budget: were the attempt not cut at its 150 ms, the budget would end it.
    const { client } = testClient(
      agent(),
      { timeoutMs: 150, totalTimeoutMs: 10_000 },
      upstream.url,
    );
    const started = performance.now();
    const error = await rejection(client.webhooks.refreshSecret(ID, caller()));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(10_000 / 2);
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as Error).message).toContain('may or may not have happened');
    expect(upstream.requests).toHaveLength(1);
    await waitFor(() => upstream.openSockets() === 0);
  });

  it('GET with headers delayed past the attempt timeout → ≤ 1 + retries calls, bounded, sockets closed (F01)', async () => {
    const upstream = await server(() => {
      // Never answers.
    });
    // A 10 s total budget: three attempts each cut at 100 ms end it, not the budget.
    const { client } = testClient(
      agent(),
      { timeoutMs: 100, totalTimeoutMs: 10_000 },
      upstream.url,
    );
    const started = performance.now();
    const error = await rejection(client.webhooks.retrieve(ID, caller()));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as Error).message).toBe(
      'Featurebase did not answer GET /v2/webhooks/:id within 100 ms.',
    );
    expect(upstream.requests).toHaveLength(3);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 95);
    expect(elapsed).toBeLessThan(10_000 / 2);
    await waitFor(() => upstream.openSockets() === 0);
  });

  it('GET whose body stalls mid-stream → timeout, then the next attempt succeeds', async () => {
    const upstream = await server((_request, response, index) => {
      if (index === 0) {
        const text = JSON.stringify(WEBHOOK);
        response.writeHead(200, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text) });
        response.write(text.slice(0, 10));
        return;
      }
      sendJson(response, 200, WEBHOOK);
    });
    const { client, events } = testClient(agent(), { timeoutMs: 150 }, upstream.url);
    await expect(client.webhooks.retrieve(ID, caller())).resolves.toEqual(WEBHOOK);
    expect(events[0]).toMatchObject({ status: 200, error: 'UpstreamTimeoutError' });
    expect(upstream.requests).toHaveLength(2);
  });

  it('the total budget stops a stalled GET even with many retries left', async () => {
    const upstream = await server((_request, response, index) => {
      // A 503 first, then never an answer: the retry stalls.
      if (index === 0) sendJson(response, 503, {});
    });
    // The retry is cut by the 500 ms budget, long before its own 5 s attempt timeout.
    const { client } = testClient(
      agent(),
      { timeoutMs: 5000, totalTimeoutMs: 500, maxRetries: 10 },
      upstream.url,
    );
    const started = performance.now();
    const error = await rejection(client.webhooks.retrieve(ID, caller()));
    const elapsed = performance.now() - started;
    expect((error as Error).message).toContain('total time allowed (500 ms)');
    expect(elapsed).toBeGreaterThanOrEqual(490);
    expect(elapsed).toBeLessThan(5000 / 2);
    expect(upstream.requests).toHaveLength(2);
  });
});

describe('huge bodies (F08)', () => {
  it('an endless chunked body is cut at the cap, and its socket closed', async () => {
    let sent = 0;
    const upstream = await server((_request, response) => {
      response.writeHead(200, JSON_HEADERS);
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const pump = (): void => {
        while (!response.destroyed && response.write(chunk)) sent += chunk.length;
        if (!response.destroyed) response.once('drain', pump);
      };
      response.write('{"data":"');
      pump();
    });
    const { client } = testClient(agent(), { maxResponseBytes: 64 * 1024 }, upstream.url);
    const error = await rejection(client.webhooks.retrieve(ID, caller()));
    expect(error).toBeInstanceOf(UpstreamProtocolError);
    expect((error as Error).message).toBe("Featurebase's answer is larger than 65536 bytes.");
    expect(upstream.requests).toHaveLength(1);
    await waitFor(() => upstream.openSockets() === 0);
    // Bounded by the cap plus what the socket buffers held, not by what the server would send.
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });

  it('a declared Content-Length over the cap is refused before reading', async () => {
    const upstream = await server((_request, response) => {
      response.writeHead(200, { ...JSON_HEADERS, 'content-length': String(50 * 1024 * 1024) });
      response.write('{');
    });
    // Reading the body would stall until the 5 s attempt timeout.
    const { client } = testClient(agent(), { timeoutMs: 5000 }, upstream.url);
    const started = performance.now();
    expect(await rejection(client.webhooks.retrieve(ID, caller()))).toBeInstanceOf(
      UpstreamProtocolError,
    );
    expect(performance.now() - started).toBeLessThan(5000 / 2);
    await waitFor(() => upstream.openSockets() === 0);
  });
});

describe('connection refused (F03)', () => {
  it.each([
    ['GET', 'retrieve'],
    ['POST rotation', 'refreshSecret'],
  ] as const)(
    '%s on a closed port → retried (it never left), then UpstreamConnectionError',
    async (_label, method) => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      // Refused at once: no attempt waits for the 5 s connect timeout (backoffs are 1-5 ms).
      const connectTimeoutMs = 5000;
      const { client, events } = testClient(agent(connectTimeoutMs), {}, url);
      const started = performance.now();
      const error = await rejection(
        method === 'retrieve'
          ? client.webhooks.retrieve(ID, caller())
          : client.webhooks.refreshSecret(ID, caller()),
      );
      expect(performance.now() - started).toBeLessThan(connectTimeoutMs / 2);
      expect(error).toBeInstanceOf(UpstreamConnectionError);
      expect((error as UpstreamConnectionError).mayHaveReachedUpstream).toBe(false);
      expect((error as Error).message).toBe('Could not connect to Featurebase (ECONNREFUSED).');
      expect(events.map((event) => event.errorCode)).toEqual([
        'ECONNREFUSED',
        'ECONNREFUSED',
        'ECONNREFUSED',
      ]);
      expect(JSON.stringify(events)).not.toContain(API_KEY);
    },
  );
});

describe('redirects (F18)', () => {
  it.each([301, 307])(
    '%i to another origin is not followed; the other origin sees nothing',
    async (status) => {
      const elsewhere = await server((_request, response) => sendJson(response, 200, WEBHOOK));
      const upstream = await server((_request, response) => {
        response.writeHead(status, {
          location: `${elsewhere.url}/v2/webhooks/${ID}`,
          'content-length': '0',
        });
        response.end();
      });
      const { client } = testClient(agent(), {}, upstream.url);
      const error = await rejection(client.webhooks.retrieve(ID, caller()));
      expect(error).toBeInstanceOf(UpstreamProtocolError);
      expect(error).toMatchObject({ status });
      expect(upstream.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(0);
    },
  );
});
