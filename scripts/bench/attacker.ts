/**
 * Child process of `npm run bench -- --hostile`: runs the attacks of one phase against the
 * gateway for the phase's time, then prints what they did and exits. It runs apart from the
 * bench process, so the attackers' work does not delay the tenant's timers or its clock (they do
 * share the machine's cores with it, the gateway and the upstream: see USAGE).
 *
 * Argument: `AttackerConfig` as JSON. Prints `BENCH_ATTACKER_READY` when it starts attacking and
 * `BENCH_ATTACKER_RESULT [AttackReport, …]` when it stops: on SIGINT (the bench's "phase over"),
 * after `seconds` at the latest, or when every attack has finished (R01 sends a fixed number).
 * Sizes: scripts/bench/hostile-attacks.ts.
 */

import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Client } from 'undici';
import {
  type AttackerConfig,
  type AttackName,
  type AttackReport,
  R01,
  R02,
  R03,
  R04,
  R06,
  R07,
  scaled,
} from './hostile-attacks.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as AttackerConfig;
const target = new URL(config.gatewayUrl);
const origin = target.origin;
const host = target.hostname;
const port = Number(target.port);

/** Aborted when the phase ends: every loop stops, every request in flight is dropped. */
const stop = new AbortController();
const stopped = () => stop.signal.aborted;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** After a failure without an answer (e.g. the gateway died), wait this long before the next. */
const FAILURE_PAUSE_MS = 50;

class Tally {
  readonly report: AttackReport;
  readonly #lifetimes: number[] = [];
  readonly #open = new Set<{ since: number }>();
  readonly #statusLines = new Map<string, number>();

  constructor(attack: AttackName) {
    this.report = {
      attack,
      requests: 0,
      byStatus: {},
      errors: {},
      graphqlCodes: {},
      bytesSent: 0,
      connections: {
        opened: 0,
        closedByGateway: 0,
        openAtEnd: 0,
        peakOpen: 0,
        lifetimeMs: undefined,
        openAtEndAgeMs: undefined,
      },
      notes: [],
    };
  }

  answered(status: number, text?: string): void {
    this.report.requests++;
    bump(this.report.byStatus, String(status));
    if (text === undefined || text.length > 65_536) return;
    try {
      const body = JSON.parse(text) as { errors?: { extensions?: { code?: unknown } }[] };
      for (const error of body.errors ?? []) {
        const code = error.extensions?.code;
        bump(this.report.graphqlCodes, typeof code === 'string' ? code : '(no code)');
      }
    } catch {
      bump(this.report.graphqlCodes, '(not JSON)');
    }
  }

  failed(error: unknown): void {
    if (stopped()) return;
    this.report.requests++;
    bump(this.report.errors, errorCode(error));
  }

  connectionFailed(error: unknown): void {
    if (stopped()) return;
    bump(this.report.errors, errorCode(error));
  }

  statusLine(line: string): void {
    this.#statusLines.set(line, (this.#statusLines.get(line) ?? 0) + 1);
  }

  opened(): { since: number } {
    const connection = { since: performance.now() };
    this.#open.add(connection);
    this.report.connections.opened++;
    this.report.connections.peakOpen = Math.max(this.report.connections.peakOpen, this.#open.size);
    return connection;
  }

  closed(connection: { since: number }): void {
    if (!this.#open.delete(connection)) return;
    // Cut by the attacker itself at the end: already counted by `stopping`.
    if (stopped()) return;
    this.#lifetimes.push(performance.now() - connection.since);
    this.report.connections.closedByGateway++;
  }

  /** At the moment the attack stops, before its connections are cut: those still open. */
  stopping(): void {
    const now = performance.now();
    const ages = [...this.#open].map((connection) => now - connection.since);
    this.report.connections.openAtEnd = ages.length;
    this.report.connections.openAtEndAgeMs = spread(ages);
    this.#open.clear();
  }

  /** Once, at the end. */
  finish(): AttackReport {
    this.report.connections.lifetimeMs = spread(this.#lifetimes);
    for (const [line, count] of this.#statusLines) {
      this.report.notes.push(`${count} × first answer on a connection: ${line}`);
    }
    return this.report;
  }
}

function spread(values: number[]): { median: number; max: number } | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: Math.round(sorted[Math.floor((sorted.length - 1) / 2)] ?? 0),
    max: Math.round(sorted[sorted.length - 1] ?? 0),
  };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function errorCode(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return error instanceof Error ? error.name : 'unknown';
}

function madeUpKey(): string {
  return `sk_live_${randomBytes(16).toString('hex')}`;
}

interface PlannedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/**
 * `connections` workers, each with one keep-alive connection of its own (an undici `Client`),
 * sending `next(worker)` back to back until it returns undefined or the phase ends.
 */
async function httpWorkers(
  tally: Tally,
  connections: number,
  next: (worker: number) => PlannedRequest | undefined,
): Promise<void> {
  const worker = async (index: number) => {
    const client = new Client(origin, {
      pipelining: 1,
      // The attack decides when to give up (the end of the phase), not a client timeout.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    let connection: { since: number } | undefined;
    client.on('connect', () => {
      connection = tally.opened();
    });
    client.on('disconnect', () => {
      if (connection) tally.closed(connection);
      connection = undefined;
    });
    try {
      while (!stopped()) {
        const planned = next(index);
        if (!planned) break;
        const { body } = planned;
        tally.report.bytesSent += body === undefined ? 0 : Buffer.byteLength(body);
        try {
          const answer = await client.request({
            method: planned.method,
            path: planned.path,
            headers: planned.headers,
            body: body ?? null,
            signal: stop.signal,
          });
          tally.answered(answer.statusCode, await answer.body.text());
        } catch (error) {
          if (stopped()) break;
          tally.failed(error);
          await sleep(FAILURE_PAUSE_MS);
        }
      }
    } finally {
      await client.destroy().catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, index) => worker(index)));
}

const GRAPHQL_JSON = { 'content-type': 'application/json', accept: 'application/json' };

/** R01: distinct ~1,000-token query texts without a key, as fast as they are answered. */
function parseCacheFlood(tally: Tally, scale: number): Promise<void> {
  const total = scaled(R01.requests, scale);
  const text = `{ ${'__typename '.repeat(R01.fields)}}`;
  let sent = 0;
  tally.report.notes.push(`${total} texts of ${text.length + 1}–${text.length + total} characters`);
  return httpWorkers(tally, scaled(R01.connections, scale), () => {
    if (sent >= total) return undefined;
    sent++;
    return {
      method: 'POST',
      path: '/graphql',
      headers: GRAPHQL_JSON,
      body: JSON.stringify({ query: text + ' '.repeat(sent) }),
    };
  });
}

/** R02: bodies just under the limit, their variables a long list of empty lists. */
function largeVariables(tally: Tally, scale: number): Promise<void> {
  const head = `{"query":${JSON.stringify(R02.query)},"variables":{"pad":[`;
  const tail = ']}}';
  // n empty lists take 3n - 1 bytes: "[]," × (n - 1) + "[]".
  const lists = Math.floor((R02.bodyBytes - head.length - tail.length + 1) / 3);
  const json = `${head}${'[],'.repeat(lists - 1)}[]${tail}`;
  const body = Buffer.from(json + ' '.repeat(R02.bodyBytes - json.length));
  tally.report.notes.push(`each body ${body.length} bytes, ${lists} empty lists in $pad`);
  const key = madeUpKey();
  return httpWorkers(tally, scaled(R02.connections, scale), () => ({
    method: 'POST',
    path: '/graphql',
    headers: { ...GRAPHQL_JSON, authorization: `Bearer ${key}` },
    body,
  }));
}

/** R03a/b: 10 aliased list fields per request, with made-up keys. */
function invalidKeys(tally: Tally, scale: number, keyPerRequest: boolean): Promise<void> {
  const fields = Array.from(
    { length: R03.aliases },
    (_, index) => `a${index}: webhooks(first: 1) { nodes { id } }`,
  );
  const body = JSON.stringify({ query: `{ ${fields.join(' ')} }` });
  const connections = scaled(R03.connections, scale);
  const keys = Array.from({ length: connections }, madeUpKey);
  return httpWorkers(tally, connections, (worker) => ({
    method: 'POST',
    path: '/graphql',
    headers: {
      ...GRAPHQL_JSON,
      authorization: `Bearer ${keyPerRequest ? madeUpKey() : keys[worker]}`,
    },
    body,
  }));
}

/** R07: list calls with keys whose every upstream call fails unusably, as fast as answered. */
function upstreamFailures(tally: Tally, scale: number): Promise<void> {
  const body = JSON.stringify({ query: R07.query });
  const keys = config.faultyKeys;
  if (keys.length === 0) throw new Error('R07 needs the upstream to have faulty keys');
  let sent = 0;
  return httpWorkers(tally, scaled(R07.connections, scale), () => ({
    method: 'POST',
    path: '/graphql',
    headers: { ...GRAPHQL_JSON, authorization: `Bearer ${keys[sent++ % keys.length]}` },
    body,
  }));
}

/** A raw connection kept in a set, so the end of the phase can cut every one. */
const sockets = new Set<Socket>();

/**
 * Opens a raw connection, lets `use` drive it, and resolves when it closes (the gateway closed
 * it, it failed, or the phase ended). Counts it in `tally`.
 */
function rawConnection(tally: Tally, use: (socket: Socket) => void): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    sockets.add(socket);
    let connection: { since: number } | undefined;
    let firstAnswer = true;
    socket.once('connect', () => {
      connection = tally.opened();
      use(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      if (!firstAnswer) return;
      firstAnswer = false;
      const line = chunk.toString('latin1').split('\r\n', 1)[0] ?? '';
      tally.statusLine(line);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(line)?.[1];
      if (status) tally.answered(Number(status));
    });
    socket.on('error', (error) => {
      if (!connection) tally.connectionFailed(error);
    });
    socket.once('close', () => {
      sockets.delete(socket);
      tally.report.bytesSent += socket.bytesWritten;
      if (connection) tally.closed(connection);
      resolve();
    });
  });
}

/** Keeps one connection slot busy: a new connection as soon as the last one closed. */
async function reopening(tally: Tally, use: (socket: Socket) => void): Promise<void> {
  while (!stopped()) {
    const opened = performance.now();
    await rawConnection(tally, use);
    // Do not spin on a gateway that refuses or has died.
    if (!stopped() && performance.now() - opened < 100) await sleep(FAILURE_PAUSE_MS);
  }
}

/** R04: refused requests (403, 415) whose chunked body is streamed as fast as it is taken. */
function streamingBodies(tally: Tally, scale: number): Promise<void> {
  const data = Buffer.alloc(R04.chunkBytes, 'a');
  const frame = Buffer.concat([
    Buffer.from(`${R04.chunkBytes.toString(16)}\r\n`),
    data,
    Buffer.from('\r\n'),
  ]);
  const heads = [
    // CSRF refusal: a "simple" cross-site POST without the x-graphql-yoga-csrf header.
    `POST /graphql HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n`,
    // A GET may not carry a non-JSON Content-Type.
    `GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n`,
  ];
  const connections = scaled(R04.connections, scale);
  tally.report.notes.push(
    `${Math.ceil(connections / 2)} × POST text/plain (CSRF), ${Math.floor(connections / 2)} × GET text/plain, chunks of ${R04.chunkBytes} bytes`,
  );
  return Promise.all(
    Array.from({ length: connections }, (_, index) =>
      reopening(tally, (socket) => {
        socket.write(heads[index % 2] ?? '');
        const pump = () => {
          while (!stopped() && !socket.destroyed) {
            if (!socket.write(frame)) {
              socket.once('drain', pump);
              return;
            }
          }
        };
        pump();
      }),
    ),
  ).then(() => {});
}

/** R06: connections that send nothing, and connections that drip a request head. */
function connectionFlood(tally: Tally, scale: number): Promise<void> {
  const drip = Buffer.from(`GET /health HTTP/1.1\r\nHost: ${target.host}\r\nX-Drip: `);
  const dripping = new Map<Socket, number>();
  const timer = setInterval(() => {
    for (const [socket, sent] of dripping) {
      if (socket.destroyed) continue;
      // The head, then header-value bytes for ever: the request head never ends.
      socket.write(sent < drip.length ? drip.subarray(sent, sent + 1) : 'a');
      dripping.set(socket, sent + 1);
    }
  }, R06.dripEveryMs);
  const idle = scaled(R06.idle, scale);
  const drippers = scaled(R06.drip, scale);
  const all = [
    ...Array.from({ length: idle }, () => reopening(tally, () => {})),
    ...Array.from({ length: drippers }, () =>
      reopening(tally, (socket) => {
        dripping.set(socket, 0);
        socket.once('close', () => dripping.delete(socket));
      }),
    ),
  ];
  return Promise.all(all).then(() => clearInterval(timer));
}

function run(attack: AttackName, tally: Tally, scale: number): Promise<void> {
  switch (attack) {
    case 'R01':
      return parseCacheFlood(tally, scale);
    case 'R02':
      return largeVariables(tally, scale);
    case 'R03a':
      return invalidKeys(tally, scale, true);
    case 'R03b':
      return invalidKeys(tally, scale, false);
    case 'R04':
      return streamingBodies(tally, scale);
    case 'R06':
      return connectionFlood(tally, scale);
    case 'R07':
      return upstreamFailures(tally, scale);
  }
}

async function main(): Promise<void> {
  const tallies = config.attacks.map((attack) => new Tally(attack));
  process.stdout.write('BENCH_ATTACKER_READY\n');
  const done = Promise.allSettled(
    tallies.map((tally) => run(tally.report.attack, tally, config.scale)),
  );
  // The bench says when the phase is over (SIGINT, once the tenant's last request is answered);
  // `seconds` is only the longest it may last.
  const told = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await Promise.race([done, sleep(config.seconds * 1000), told]);
  for (const tally of tallies) tally.stopping();
  stop.abort();
  for (const socket of sockets) socket.destroy();
  // Every loop ends at once once stopped; never wait long for one that does not.
  await Promise.race([done, sleep(3000)]);
  for (const [index, settled] of (await Promise.race([done, Promise.resolve([])])).entries()) {
    if (settled.status === 'rejected') {
      tallies[index]?.report.notes.push(`the attack itself failed: ${String(settled.reason)}`);
    }
  }
  const reports = tallies.map((tally) => tally.finish());
  process.stdout.write(`BENCH_ATTACKER_RESULT ${JSON.stringify(reports)}\n`, () => process.exit(0));
}

process.once('SIGTERM', () => process.exit(143));
main().catch((error: unknown) => {
  process.stderr.write(`attacker failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
