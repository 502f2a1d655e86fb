/**
 * Bad input at the HTTP level (reliability-catalogue §2.1, H01–H16), against the production Node
 * server (`createHttpServer`) around the real gateway on 127.0.0.1 port 0, over the real
 * simulator. Raw sockets where a fetch client cannot say it (lying framing, split headers, `Host`,
 * slowloris); `fetch` over the socket otherwise; `yoga.fetch` for what needs no socket at all.
 *
 * Every row also asserts: the upstream calls (0 unless the row says otherwise), no sentinel key
 * or secret in any answer (checked as each answer arrives, and over all answers and the logs at
 * the end), and a healthy gateway afterwards (`afterEach`).
 */

import { Agent, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpServer, SERVER_TIMEOUTS } from '../../src/http/server.ts';
import {
  codesOf,
  type Exchange,
  gatewayOver,
  LEGACY,
  listen,
  parseJson,
  type RawExchange,
  rawExchange,
  rawRequest,
  SENTINEL_ID,
  SENTINEL_KEY,
  SENTINEL_SECRET,
  STRICT,
  sleep,
  startHostileGateway,
} from '../support/hostile.ts';

const hostile = await startHostileGateway();
const server = await listen(hostile.harness.gateway);

afterAll(async () => {
  try {
    hostile.expectNoLeaks();
  } finally {
    await server.close();
    await hostile.close();
  }
});
beforeEach(() => hostile.harness.simulator.reset());
// Over the socket: the server itself, not only the Yoga app, must still answer.
afterEach(() => hostile.expectHealthy(server.send));

const calls = () => hostile.upstreamCalls();
const ROTATE = `mutation { refreshWebhookSecret(id: "${SENTINEL_ID}") { id } }`;
const READ = `{ webhook(id: "${SENTINEL_ID}") { id name } }`;

/** `fetch` over the real socket, recorded and checked for leaks like every other answer. */
async function overSocket(path: string, init: RequestInit = {}): Promise<Exchange> {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  const body = typeof init.body === 'string' ? init.body : '';
  hostile.record(`${init.method ?? 'GET'} ${path} ${body}`, text);
  return { status: response.status, headers: response.headers, text, json: parseJson(text) };
}

/** A raw exchange, recorded. */
async function raw(payload: string | Buffer, options?: Parameters<typeof rawExchange>[2]) {
  const answer = await rawExchange(server.port, payload, options);
  hostile.record(typeof payload === 'string' ? payload.slice(0, 2000) : '', answer.text);
  return answer;
}

function jsonHeaders(accept: string = STRICT): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept,
    authorization: `Bearer ${SENTINEL_KEY}`,
  };
}

/** The rotation rows: nothing reached Featurebase and the secret it holds is the seeded one. */
function expectNoRotation() {
  expect(hostile.upstreamCalls({ method: 'POST' })).toBe(0);
  expect(calls()).toBe(0);
  expect(hostile.heldSentinelSecret()).toBe(SENTINEL_SECRET);
}

/**
 * The server-side sockets of `server`, as they connect: what the server read of each
 * (`bytesRead`) tells how much of a refused body it took in.
 */
function serverSockets(): { sockets: Socket[]; stop(): void } {
  const sockets: Socket[] = [];
  const track = (socket: Socket) => sockets.push(socket);
  server.server.on('connection', track);
  return { sockets, stop: () => server.server.off('connection', track) };
}

describe('H01 a body of 1,000,001 bytes with an honest Content-Length', () => {
  it('H01 is answered 413 from the headers alone, before any of the body is sent', async () => {
    const answer = await raw(
      rawRequest('POST', '/graphql', [
        'Host: gateway.test',
        'Content-Type: application/json',
        `Authorization: Bearer ${SENTINEL_KEY}`,
        'Content-Length: 1000001',
      ]),
      { stopAtResponse: true, waitMs: 2000 },
    );
    // No body byte was written: an answer at all proves the body was not waited for.
    expect(answer.status).toBe(413);
    expect(parseJson(answer.body)?.errors?.[0]?.message).toBe('Request body too large');
    expect(answer.elapsedMs).toBeLessThan(1000);
    expect(calls()).toBe(0);
  });

  it('H01 the body offered in full: 413 at once with Connection: close; the server reads next to none of it and closes the connection', async () => {
    // 8 MB written as fast as the socket takes them. Node would read and drop a refused body
    // for as long as the client sends (so its memory would not grow, but its CPU would spin and
    // the connection stay open); the server stops reading instead, and closes after its answer.
    const BODY_BYTES = 8_000_000;
    const tracked = serverSockets();
    let answer: RawExchange;
    try {
      answer = await raw(
        Buffer.concat([
          Buffer.from(
            rawRequest('POST', '/graphql', [
              'Host: gateway.test',
              'Content-Type: application/json',
              `Authorization: Bearer ${SENTINEL_KEY}`,
              `Content-Length: ${BODY_BYTES}`,
            ]),
          ),
          Buffer.alloc(BODY_BYTES, 0x20),
        ]),
        { waitMs: 5000 },
      );
    } finally {
      tracked.stop();
    }
    expect(answer.status).toBe(413);
    expect(answer.headers['connection']).toBe('close');
    expect(parseJson(answer.body)?.errors?.[0]?.extensions?.code).toBe('REQUEST_ENTITY_TOO_LARGE');
    expect(answer.closed, 'the server closed the connection').toBe(true);
    expect(tracked.sockets).toHaveLength(1);
    // A few socket reads of the head and the first chunks, never the body.
    expect(tracked.sockets[0]?.bytesRead).toBeLessThan(BODY_BYTES / 8);
    expect(calls()).toBe(0);
  });

  it('H01 a keep-alive client gets its 413, and its next request on a new connection is answered', async () => {
    // The client must not reuse the connection a 413 closes (Connection: close says so): the
    // next request of a keep-alive agent goes on a fresh one and succeeds.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let round = 0; round < 3; round++) {
        const refused = await postVia(agent, Buffer.alloc(1_000_001, 0x20));
        expect(refused).toMatchObject({ status: 413, connection: 'close' });
        const next = await postVia(agent, Buffer.from(JSON.stringify({ query: READ })));
        expect(next).toMatchObject({ status: 200 });
      }
    } finally {
      agent.destroy();
    }
    expect(calls()).toBe(3);
  });
});

/**
 * A JSON POST of `body` to /graphql through a node:http agent, with an honest Content-Length;
 * its status, `Connection` header and text. The server may close while the body is still being
 * written (a refusal): once the answer has come, that is not an error.
 */
function postVia(
  agent: Agent,
  body: Buffer,
): Promise<{ status: number; connection: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/graphql',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          authorization: `Bearer ${SENTINEL_KEY}`,
        },
      },
      (response) => {
        answered = true;
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          hostile.record(body.subarray(0, 200).toString('latin1'), text);
          resolve({
            status: response.statusCode ?? 0,
            connection: response.headers.connection,
            text,
          });
        });
      },
    );
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    request.end(body);
  });
}

describe('H02 the same body, chunked (no Content-Length)', () => {
  it('H02 is answered 413 once the limit is crossed while streaming, and the socket is closed', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const result = await new Promise<{
      status: number | undefined;
      sentAtAnswer: number;
      closedAfterAnswerMs: number | undefined;
    }>((resolve) => {
      const socket = connect(server.port, '127.0.0.1');
      let text = '';
      let sent = 0;
      let sentAtAnswer = -1;
      let answeredAt = 0;
      const done = (closed: boolean) => {
        clearInterval(writer);
        socket.destroy();
        resolve({
          status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]) || undefined,
          sentAtAnswer,
          closedAfterAnswerMs: closed && answeredAt ? performance.now() - answeredAt : undefined,
        });
      };
      socket.on('data', (data: Buffer) => {
        text += data.toString('latin1');
        if (sentAtAnswer === -1) {
          sentAtAnswer = sent;
          answeredAt = performance.now();
        }
      });
      socket.on('close', () => done(true));
      socket.on('error', () => {});
      socket.write(
        rawRequest('POST', '/graphql', [
          'Host: gateway.test',
          'Content-Type: application/json',
          `Authorization: Bearer ${SENTINEL_KEY}`,
          'Transfer-Encoding: chunked',
        ]),
      );
      // A client that never stops: the server must stop it (within 2 s of its answer). Flat
      // out until the answer, then a steady 64 KB every 20 ms.
      let lastWrite = 0;
      const writer = setInterval(() => {
        if (socket.destroyed) return;
        const now = performance.now();
        if (answeredAt && now - answeredAt > 2000) return done(false);
        if (!answeredAt && sent > 40_000_000) return done(false);
        if (answeredAt && now - lastWrite < 20) return;
        lastWrite = now;
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        socket.write('\r\n');
        sent += chunk.length;
      }, 1);
    });
    hostile.record('POST /graphql chunked', '');
    expect(result.status).toBe(413);
    expect(result.sentAtAnswer).toBeGreaterThan(1_000_000);
    // Within a few socket buffers of the limit: the body is checked as it streams.
    expect(result.sentAtAnswer).toBeLessThan(8_000_000);
    expect(result.closedAfterAnswerMs, 'the server closes the socket after its 413').toBeDefined();
    expect(calls()).toBe(0);
  });
});

describe('H03 lying and slow clients', () => {
  /**
   * The production server waits 10 s for headers and 30 s for a whole request, and checks for
   * expired connections every second: waiting for those would take 40 s per case. So the cases
   * below run against the same server with both timeouts lowered, and the production checking
   * interval (one test lowers it too). Node's own interval is 30 s: with it, these timeouts fired
   * up to 30 s late (~27 s for the 10 s header timeout), which the bounds below would catch.
   */
  const HEADERS_TIMEOUT_MS = 800;
  const REQUEST_TIMEOUT_MS = 1200;
  /** The close itself and a loaded CI machine (Node's checking interval is added below). */
  const SLACK_MS = 1000;
  let slow: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    slow = await listen(hostile.harness.gateway, {
      timeouts: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS },
    });
  });
  afterAll(() => slow.close());

  /**
   * A slow client cut off by a server timeout: 408, closed within `timeoutMs` plus one checking
   * interval, nothing upstream.
   */
  function expectTimedOut(answer: RawExchange, timeoutMs: number): void {
    expect(answer.closed).toBe(true);
    expect(answer.status).toBe(408);
    expect(answer.elapsedMs).toBeLessThan(timeoutMs + SERVER_TIMEOUTS.checkIntervalMs + SLACK_MS);
    expect(calls()).toBe(0);
  }

  const headerLines = (extra: string[]) => [
    'Host: gateway.test',
    'Content-Type: application/json',
    `Authorization: Bearer ${SENTINEL_KEY}`,
    ...extra,
  ];

  /** Writes one byte of `text` every `everyMs` until the socket closes. */
  const trickle =
    (text: string, everyMs = 100) =>
    (socket: Socket) => {
      let at = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || at >= text.length) return clearInterval(timer);
        socket.write(text[at] ?? '');
        at += 1;
      }, everyMs);
      socket.on('close', () => clearInterval(timer));
    };

  it('H03 the production server bounds headers to 10 s and the whole request to 30 s, checked every second', () => {
    const production = createHttpServer(() => {});
    expect(production.headersTimeout).toBe(SERVER_TIMEOUTS.headersTimeoutMs);
    expect(production.headersTimeout).toBe(10_000);
    expect(production.requestTimeout).toBe(30_000);
    expect(SERVER_TIMEOUTS.checkIntervalMs).toBe(1000);
  });

  it('H03 with a checking interval of 100 ms, the header timeout fires within 100 ms of its time', async () => {
    // The interval itself at work: a timeout of 300 ms checked every 100 ms fires by ~400 ms;
    // checked every 30 s (Node's default) it would fire at some point in the next 30 s.
    const quick = await listen(hostile.harness.gateway, {
      timeouts: { headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 100 },
    });
    try {
      const answer = await rawExchange(quick.port, 'POST /graphql HTTP/1.1\r\n', {
        waitMs: 300 + 100 + SLACK_MS * 2,
      });
      hostile.record('headers never finish (100 ms checks)', answer.text);
      expectTimedOut(answer, 300);
      expect(answer.elapsedMs).toBeLessThan(300 + 100 + SLACK_MS);
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(290);
    } finally {
      await quick.close();
    }
  });

  it('H03 Content-Length: 50 with 10 MB sent: the rest is refused by the parser and the socket closed', async () => {
    const body = '{"query":"{__typename}"}'.padEnd(50, ' ');
    const payload = Buffer.concat([
      Buffer.from(rawRequest('POST', '/graphql', headerLines(['Content-Length: 50']), body)),
      Buffer.alloc(10_000_000, 'x'),
    ]);
    const answer = await rawExchange(slow.port, payload, { waitMs: 3000 });
    hostile.record('POST /graphql CL 50 + 10 MB', answer.text);
    // The 10 MB are not a body: Node's parser reads them as the next request, refuses it and
    // closes the connection (often before the first request, the 50 bytes, is even answered).
    expect(answer.text).toContain('HTTP/1.1 400 Bad Request');
    expect(answer.closed).toBe(true);
    expect(answer.elapsedMs).toBeLessThan(2000);
    expect(calls()).toBe(0);
  });

  it('H03 Content-Length: 10000 with 10 bytes then silence: 408 and closed within requestTimeout', async () => {
    const answer = await rawExchange(
      slow.port,
      rawRequest('POST', '/graphql', headerLines(['Content-Length: 10000']), '{"query":"'),
      { waitMs: REQUEST_TIMEOUT_MS + SERVER_TIMEOUTS.checkIntervalMs + SLACK_MS * 2 },
    );
    hostile.record('POST /graphql CL 10000, 10 bytes', answer.text);
    expectTimedOut(answer, REQUEST_TIMEOUT_MS);
    expect(answer.elapsedMs).toBeGreaterThan(REQUEST_TIMEOUT_MS - 100);
  });

  it('H03 slowloris headers at one byte per 100 ms: 408 and closed within headersTimeout', async () => {
    const answer = await rawExchange(slow.port, 'P', {
      waitMs: HEADERS_TIMEOUT_MS + SERVER_TIMEOUTS.checkIntervalMs + SLACK_MS * 2,
      drive: trickle(rawRequest('POST', '/graphql', headerLines([])).slice(1)),
    });
    hostile.record('slowloris headers', answer.text);
    expectTimedOut(answer, HEADERS_TIMEOUT_MS);
  });

  it('H03 slowloris body at one byte per 100 ms: 408 and closed within requestTimeout', async () => {
    const body = JSON.stringify({ query: READ });
    const answer = await rawExchange(
      slow.port,
      rawRequest('POST', '/graphql', headerLines([`Content-Length: ${body.length}`])),
      {
        waitMs: REQUEST_TIMEOUT_MS + SERVER_TIMEOUTS.checkIntervalMs + SLACK_MS * 2,
        drive: trickle(body),
      },
    );
    hostile.record('slowloris body', answer.text);
    expectTimedOut(answer, REQUEST_TIMEOUT_MS);
  });

  it('H03 100 slow sockets do not block a normal request, and are all closed by the server', async () => {
    const stalled = Array.from({ length: 100 }, (_, index) =>
      rawExchange(
        slow.port,
        index % 2 === 0
          ? 'POST /graphql HTTP/1.1\r\nHost: gateway.test\r\n' // headers never finish
          : rawRequest('POST', '/graphql', headerLines(['Content-Length: 500']), '{"qu'), // nor the body
        { waitMs: REQUEST_TIMEOUT_MS + SERVER_TIMEOUTS.checkIntervalMs + SLACK_MS * 3 },
      ),
    );
    await sleep(100);
    const started = performance.now();
    const health = await slow.send('/health', {});
    expect(health.status).toBe(200);
    await health.text();
    const normal = await slow.send('/graphql', {
      method: 'POST',
      headers: jsonHeaders(),
      body: JSON.stringify({ query: READ }),
    });
    const text = await normal.text();
    hostile.record(READ, text);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(parseJson(text)?.data).toEqual({ webhook: { id: SENTINEL_ID, name: 'Sentinel' } });

    const answers = await Promise.all(stalled);
    for (const answer of answers) {
      hostile.record('stalled', answer.text);
      expect(answer.closed).toBe(true);
      expect(answer.elapsedMs).toBeLessThan(
        REQUEST_TIMEOUT_MS + SERVER_TIMEOUTS.checkIntervalMs + SLACK_MS * 2,
      );
    }
    expect(calls()).toBe(1); // the normal request only
  });
});

describe('H04 malformed or non-object JSON', () => {
  it.each([
    ['truncated', '{"query":', 'POST body sent invalid JSON.'],
    ['null', 'null', 'POST body is expected to be object but received null'],
    ['a number', '42', 'POST body is expected to be object but received number'],
    ['a string', '"x"', 'POST body is expected to be object but received string'],
  ])('H04 %s body: 400 BAD_REQUEST with both Accept types', async (_, body, message) => {
    for (const accept of [STRICT, LEGACY]) {
      const answer = await overSocket('/graphql', {
        method: 'POST',
        headers: jsonHeaders(accept),
        body,
      });
      expect(answer.status).toBe(400);
      expect(answer.json?.errors?.[0]?.message).toBe(message);
      expect(codesOf(answer)).toEqual(['BAD_REQUEST']);
    }
    expect(calls()).toBe(0);
  });

  it('H04 the answer to a malformed body does not echo the body beyond a parser fragment', async () => {
    const marker = 'ECHO_MARKER_4f1c';
    // Malformed near the end: 10 KB of valid-looking JSON, the marker, then a missing brace.
    const body = `{"query":"${READ.replaceAll('"', '\\"')}","extensions":{"pad":"${'p'.repeat(10_000)}${marker}"`;
    const answer = await overSocket('/graphql', { method: 'POST', headers: jsonHeaders(), body });
    expect(answer.status).toBe(400);
    expect(answer.json?.errors?.[0]?.message).toBe('POST body sent invalid JSON.');
    // Booleans, not the text: a failure would print the whole 10 KB echo.
    expect(answer.text.includes(marker), 'the body is echoed past the marker').toBe(false);
    expect(answer.text.length, 'length of the answer').toBeLessThan(1000);
    expect(calls()).toBe(0);
  });
});

describe('H05 a JSON array of two operations (batching is off)', () => {
  it('H05 is refused with 400 "Batching is not supported." and nothing runs', async () => {
    const body = JSON.stringify([{ query: READ }, { query: READ }]);
    for (const accept of [STRICT, LEGACY]) {
      const answer = await overSocket('/graphql', {
        method: 'POST',
        headers: jsonHeaders(accept),
        body,
      });
      expect(answer.status).toBe(400);
      expect(answer.json?.errors?.map((error) => error.message)).toEqual([
        'Batching is not supported.',
      ]);
    }
    expect(calls()).toBe(0);
  });
});

describe('H06 bad GraphQL-over-HTTP parameters', () => {
  /**
   * The catalogue says 400 throughout. Yoga answers `{}` ("Must provide query string.") 200 under
   * plain JSON, as a spec-level request error; design.md 1.4 follows Yoga's conventions, so that
   * one case pins Yoga's 200 for `Accept: application/json`.
   */
  it.each([
    ['{}', '{}', 'Must provide query string.', 200],
    [
      'a numeric query',
      '{"query":5}',
      'Expected "query" param to be a string, but given number.',
      400,
    ],
    [
      'string variables',
      `{"query":"${READ.replaceAll('"', '\\"')}","variables":"x"}`,
      'Expected "variables" param to be empty or an object, but given string.',
      400,
    ],
    [
      'an unknown parameter',
      `{"query":"${READ.replaceAll('"', '\\"')}","foo":1}`,
      'Unexpected parameter "foo" in the request body.',
      400,
    ],
  ])(
    'H06 %s: 400 BAD_REQUEST with the matching message',
    async (_, body, message, legacyStatus) => {
      for (const accept of [STRICT, LEGACY]) {
        const answer = await overSocket('/graphql', {
          method: 'POST',
          headers: jsonHeaders(accept),
          body,
        });
        expect(answer.status).toBe(accept === STRICT ? 400 : legacyStatus);
        expect(answer.json?.errors?.map((error) => error.message)).toEqual([message]);
        expect(codesOf(answer)).toEqual(['BAD_REQUEST']);
      }
      expect(calls()).toBe(0);
    },
  );
});

describe('H07–H10 browser-shaped requests (CSRF, methods, content types)', () => {
  it('H07 a text/plain POST of a valid mutation without the CSRF header: 403 and no rotation', async () => {
    const answer = await overSocket('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${SENTINEL_KEY}` },
      body: JSON.stringify({ query: ROTATE }),
    });
    expect(answer.status).toBe(403);
    expect(answer.json?.errors?.[0]?.message).toBe('Required CSRF header(s) not present');
    expectNoRotation();
  });

  it.each([
    [
      'application/x-www-form-urlencoded',
      `query=${encodeURIComponent(ROTATE)}`,
      'application/x-www-form-urlencoded',
    ],
    [
      'multipart/form-data (the other form encoding)',
      `--b\r\nContent-Disposition: form-data; name="query"\r\n\r\n${ROTATE}\r\n--b--\r\n`,
      'multipart/form-data; boundary=b',
    ],
  ])('H08 an HTML form POST (%s) of a rotation: 403 and no rotation', async (_, body, type) => {
    const answer = await overSocket('/graphql', {
      method: 'POST',
      headers: { 'content-type': type, authorization: `Bearer ${SENTINEL_KEY}` },
      body,
    });
    expect(answer.status).toBe(403);
    expect(answer.json?.errors?.[0]?.message).toBe('Required CSRF header(s) not present');
    expectNoRotation();
  });

  it('H09 a GET mutation with the CSRF header: 405 with Allow: POST, and no rotation', async () => {
    const answer = await overSocket(`/graphql?query=${encodeURIComponent(ROTATE)}`, {
      headers: {
        accept: STRICT,
        'x-graphql-yoga-csrf': '1',
        authorization: `Bearer ${SENTINEL_KEY}`,
      },
    });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('POST');
    expectNoRotation();
  });

  it.each(['PUT', 'DELETE', 'PATCH'])(
    'H09 %s /graphql: 405 with Allow: GET, POST, and nothing runs',
    async (method) => {
      const answer = await overSocket('/graphql', {
        method,
        headers: { ...jsonHeaders(), 'x-graphql-yoga-csrf': '1' },
        body: JSON.stringify({ query: ROTATE }),
      });
      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe('GET, POST');
      expectNoRotation();
    },
  );

  it.each([
    ['with', { 'x-graphql-yoga-csrf': '1' }],
    ['without', {}],
  ])(
    'H10 a GET query with Content-Type: message/http (%s the CSRF header): refused, not executed',
    async (_, csrf) => {
      const answer = await overSocket(`/graphql?query=${encodeURIComponent(READ)}`, {
        headers: {
          'content-type': 'message/http',
          accept: STRICT,
          authorization: `Bearer ${SENTINEL_KEY}`,
          ...csrf,
        },
      });
      expect([400, 415]).toContain(answer.status);
      expect(answer.json?.data).toBeUndefined();
      expect(answer.text).not.toContain('Sentinel');
      expect(calls()).toBe(0);
    },
  );
});

describe('H11 oversized headers', () => {
  const request = (extra: string[]) =>
    rawRequest('GET', `/graphql?query=${encodeURIComponent(READ)}`, [
      'Host: gateway.test',
      `Authorization: Bearer ${SENTINEL_KEY}`,
      'Connection: close',
      ...extra,
    ]);

  it.each([
    ['one 20 KB header', [`X-Big: ${'b'.repeat(20 * 1024)}`]],
    [
      '200 headers of 100 bytes (20 KB in all)',
      Array.from({ length: 200 }, (_, index) => `X-H${index}: ${'h'.repeat(90)}`),
    ],
  ])('H11 %s: 431 from Node, connection closed, nothing runs', async (_, extra) => {
    const answer = await raw(request(extra));
    expect(answer.status).toBe(431);
    expect(answer.closed).toBe(true);
    expect(calls()).toBe(0);
  });

  it('H11 200 small headers are within Node limits: answered normally, none of them forwarded', async () => {
    const extra = Array.from({ length: 200 }, (_, index) => `X-H${index}: ${index}`);
    const answer = await raw(request(['x-graphql-yoga-csrf: 1', ...extra]));
    expect(answer.status).toBe(200);
    expect(parseJson(answer.body)?.data).toEqual({
      webhook: { id: SENTINEL_ID, name: 'Sentinel' },
    });
    expect(calls()).toBe(1);
    const forwarded = Object.keys(hostile.harness.simulator.requests[0]?.headers ?? {});
    expect(forwarded.filter((name) => name.startsWith('x-h'))).toEqual([]);
  });
});

describe('H12 header splitting and control characters on the wire', () => {
  const post = (authorizationLine: string) => {
    const body = JSON.stringify({ query: READ });
    return rawRequest(
      'POST',
      '/graphql',
      [
        'Host: gateway.test',
        'Content-Type: application/json',
        'Connection: close',
        authorizationLine,
        `Content-Length: ${body.length}`,
      ],
      body,
    );
  };

  it('H12 "Bearer abc\\r\\nX-Injected: 1": UNAUTHENTICATED, and Featurebase never sees X-Injected', async () => {
    const answer = await raw(post('Authorization: Bearer abc\r\nX-Injected: 1'));
    expect(answer.status).toBe(200);
    const body = parseJson(answer.body);
    expect(body?.data).toEqual({ webhook: null });
    expect(body?.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    // `abc` is a well-formed bearer, so Featurebase is asked once and answers 401.
    expect(calls()).toBeLessThanOrEqual(1);
    for (const recorded of hostile.harness.simulator.requests) {
      expect(recorded.headers).not.toHaveProperty('x-injected');
    }
  });

  it.each([
    ['a NUL in the value', `Authorization: Bearer ${SENTINEL_KEY}\u0000X-Injected: 1`],
    ['a lone CR in the value', `Authorization: Bearer ${SENTINEL_KEY}\rX-Injected: 1`],
    ['a lone LF in the value', `Authorization: Bearer ${SENTINEL_KEY}\nX-Injected: 1`],
  ])('H12 %s: 400 from the HTTP parser, connection closed, no call', async (_, line) => {
    const answer = await raw(post(line));
    expect(answer.status).toBe(400);
    expect(answer.closed).toBe(true);
    expect(calls()).toBe(0);
  });
});

describe('H13 missing or unusable credentials (no FEATUREBASE_API_KEY fallback)', () => {
  it.each([
    ['no Authorization', null],
    ['Authorization: Basic …', 'Basic Zm9vOmJhcg=='],
    ['an empty bearer', 'Bearer '],
    ['a 10 KB token', `Bearer ${'k'.repeat(10 * 1024)}`],
    ['two bearers in one header', `Bearer ${SENTINEL_KEY}, Bearer sk_other`],
  ])('H13 %s: UNAUTHENTICATED, no call', async (_, authorization) => {
    const answer = await hostile.graphql(READ, undefined, { headers: { authorization } });
    expect(answer.status).toBe(200);
    expect(answer.json?.data).toEqual({ webhook: null });
    expect(codesOf(answer)).toEqual(['UNAUTHENTICATED']);
    // The header is a credential: the message never echoes it.
    const token = authorization?.slice(7, 60) ?? '';
    if (token) expect(answer.text).not.toContain(token);
    expect(calls()).toBe(0);
  });

  it('H13 two Authorization headers on the wire: UNAUTHENTICATED, no call', async () => {
    const body = JSON.stringify({ query: READ });
    const answer = await raw(
      rawRequest(
        'POST',
        '/graphql',
        [
          'Host: gateway.test',
          'Content-Type: application/json',
          'Connection: close',
          `Authorization: Bearer ${SENTINEL_KEY}`,
          'Authorization: Bearer sk_someone_else',
          `Content-Length: ${body.length}`,
        ],
        body,
      ),
    );
    // Node keeps only the first Authorization of a request (its duplicate rule); the gateway
    // must not take that as the caller's one usable credential.
    expect(parseJson(answer.body)).toMatchObject({
      data: { webhook: null },
      errors: [{ extensions: { code: 'UNAUTHENTICATED' } }],
    });
    expect(calls()).toBe(0);
  });
});

describe('H14 incoming headers that must not be forwarded', () => {
  it('H14 one upstream call, carrying only the allow-listed headers', async () => {
    const body = JSON.stringify({ query: READ });
    const answer = await raw(
      rawRequest(
        'POST',
        '/graphql',
        [
          'Host: evil.example',
          'Content-Type: application/json',
          `Authorization: Bearer ${SENTINEL_KEY}`,
          'Cookie: session=hostile-session-cookie',
          'X-Forwarded-For: 127.0.0.1',
          'X-Forwarded-Host: evil.example',
          'Forwarded: for=127.0.0.1;host=evil.example',
          'Proxy-Authorization: Basic Zm9vOmJhcg==',
          // A proxy would drop Authorization as hop-by-hop; the gateway is no proxy.
          'Connection: close, Authorization',
          `Content-Length: ${body.length}`,
        ],
        body,
      ),
    );
    expect(parseJson(answer.body)).toEqual({
      data: { webhook: { id: SENTINEL_ID, name: 'Sentinel' } },
    });
    expect(calls()).toBe(1);
    const [forwarded] = hostile.harness.simulator.requests;
    const headers = forwarded?.headers ?? {};
    const allowed = new Set([
      'authorization',
      'featurebase-version',
      'x-request-id',
      'traceparent',
      // undici's own
      'host',
      'connection',
      'accept',
      'accept-encoding',
      'user-agent',
      'content-length',
      'content-type',
    ]);
    expect(Object.keys(headers).filter((name) => !allowed.has(name))).toEqual([]);
    expect(headers['authorization']).toBe(`Bearer ${SENTINEL_KEY}`);
    expect(headers['host']).toBe(new URL(hostile.harness.upstreamUrl).host);
    expect(JSON.stringify(headers)).not.toMatch(/hostile-session-cookie|evil\.example|Zm9vOmJhcg/);
  });
});

describe('H15 unsupported Featurebase-Version', () => {
  it.each([
    ['the Clover version', '2025-12-12.clover'],
    ['garbage', 'garbage'],
    ['a CRLF-injected value', '2026-01-01.nova\r\nX: y'],
  ])('H15 %s: UNSUPPORTED_API_VERSION naming 2026-01-01.nova, no call', async (_, version) => {
    // In process: a fetch client (rightly) refuses CR/LF in a header value.
    const answer = await hostile.graphql(READ, undefined, {
      headers: { 'featurebase-version': version },
    });
    expect(answer.json?.data).toEqual({ webhook: null });
    expect(codesOf(answer)).toEqual(['UNSUPPORTED_API_VERSION']);
    expect(answer.json?.errors?.[0]?.message).toContain('2026-01-01.nova');
    expect(calls()).toBe(0);
  });
});

describe('H16 CORS and invalid text', () => {
  const ADMIN = 'https://admin.example.com';
  const withAllowList = gatewayOver(hostile.harness, { corsOrigins: [ADMIN] });
  afterAll(async () => {
    await withAllowList.close();
    hostile.expectNoLeaks([withAllowList.logs()]);
  });

  const preflight = (origin: string) => ({
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
  const simplePost = (origin: string) => ({
    method: 'POST',
    headers: { ...jsonHeaders(), origin },
    body: JSON.stringify({ query: READ }),
  });

  it('H16 with no allow-list, https://evil.example gets no Access-Control-Allow-Origin', async () => {
    for (const init of [preflight('https://evil.example'), simplePost('https://evil.example')]) {
      const answer = await overSocket('/graphql', init);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    }
    expect(calls()).toBeLessThanOrEqual(1); // the simple POST is answered; the browser hides it
  });

  it('H16 with an allow-list, the allowed origin gets exactly itself back, others nothing, never *', async () => {
    const send = async (init: RequestInit) => {
      const response = await withAllowList.gateway.fetch('http://gateway.test/graphql', init);
      const text = await response.text();
      hostile.record(`${init.method} cors ${String(init.body ?? '')}`, text);
      return response;
    };
    const allowed = await send(preflight(ADMIN));
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ADMIN);
    // What a frontend sends: its key, the version, and an Idempotency-Key on mutations.
    const allowedHeaders = allowed.headers.get('access-control-allow-headers') ?? '';
    for (const header of ['authorization', 'featurebase-version', 'idempotency-key']) {
      expect(allowedHeaders.toLowerCase()).toContain(header);
    }
    expect(allowed.headers.get('access-control-allow-credentials')).not.toBe('true');
    const allowedPost = await send(simplePost(ADMIN));
    expect(allowedPost.headers.get('access-control-allow-origin')).toBe(ADMIN);

    for (const origin of [
      'https://evil.example',
      `${ADMIN}.evil.example`,
      'http://admin.example.com',
      'null',
    ]) {
      for (const init of [preflight(origin), simplePost(origin)]) {
        const answer = await send(init);
        expect(answer.headers.get('access-control-allow-origin'), origin).toBeNull();
      }
    }
  });

  it.each([
    ['invalid UTF-8 bytes', Buffer.from([0xff, 0xfe, 0xc3])],
    ['an overlong encoding', Buffer.from([0xc0, 0xaf])],
    ['a UTF-8-encoded surrogate (CESU-8)', Buffer.from([0xed, 0xa0, 0x80])],
    ['a JSON-escaped lone surrogate', Buffer.from('\\ud800')],
  ])('H16 %s in query: 400 and no crash', async (_, bytes) => {
    const body = Buffer.concat([
      Buffer.from(`{"query":"{ webhook(id: \\"${SENTINEL_ID}\\") { id } `),
      bytes,
      Buffer.from(' }"}'),
    ]);
    for (const accept of [STRICT, LEGACY]) {
      const answer = await overSocket('/graphql', {
        method: 'POST',
        headers: jsonHeaders(accept),
        body,
      });
      expect(answer.status).toBe(accept === STRICT ? 400 : 200);
      expect(codesOf(answer)).toEqual(['GRAPHQL_PARSE_FAILED']);
    }
    expect(calls()).toBe(0);
  });

  it('H16 a lone surrogate inside a string argument: 400 and no crash', async () => {
    const answer = await hostile.postRaw(
      `{"query":"{ webhook(id: \\"\\ud800${'0'.repeat(23)}\\") { id } }"}`,
    );
    expect(answer.status).toBe(400);
    expect(codesOf(answer)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(calls()).toBe(0);
  });
});
