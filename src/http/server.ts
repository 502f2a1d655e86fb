/**
 * The gateway's Node HTTP server, with the socket-level limits slow, lying or numerous clients
 * meet (catalogue H03, H11, R04, R06): main.ts and the tests build it here so both run the same
 * settings.
 *
 * - Header and request timeouts fire when documented: Node checks them only every
 *   `connectionsCheckingInterval` (30 s by default, so a 10 s header timeout fired at ~27 s).
 * - At most `maxConnections` open connections; when all are taken, a newcomer takes the place of
 *   the oldest connection that has not sent a request yet, or is closed.
 * - A response sent before its request's body was read (a refusal: 413, 403, 415, 503…) says
 *   `Connection: close`, and the connection is closed once the answer is out: nothing more of
 *   that body is read (Node would otherwise read and drop it for as long as the client sends).
 */

import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeader,
  type OutgoingHttpHeaders,
  type RequestListener,
  type Server,
  ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { Gateway } from '../graphql/gateway.ts';
import { type Pressure, watchEventLoop } from './event-loop-pressure.ts';
import {
  createGraphQLFront,
  type FrontHandler,
  type GraphQLFrontOptions,
} from './graphql-front.ts';
import { DEFAULT_SERVER_LIMITS } from './memory-budget.ts';

export const SERVER_TIMEOUTS = {
  /** Whole request headers must arrive within this (slowloris). Node's default: 60 s. */
  headersTimeoutMs: 10_000,
  /** The whole request, body included, must arrive within this. Node's default: 300 s. */
  requestTimeoutMs: 30_000,
  /** Idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs: 5_000,
  /** How often Node looks for connections past those timeouts: they fire at most this late. */
  checkIntervalMs: 1_000,
  /**
   * When every connection place is taken, how long a connection that has sent no request may
   * keep its place before a newcomer takes it (see `capConnections`).
   */
  silentEvictionAfterMs: 1_000,
} as const;

export type ServerTimeouts = { readonly [K in keyof typeof SERVER_TIMEOUTS]: number };

/**
 * How long a connection whose request body was refused stays open after the answer: enough for
 * the client to read the answer. Closing at once, with unread bytes in the socket, would send a
 * TCP reset that can destroy the answer before the client has read it.
 */
export const LINGER_AFTER_REFUSAL_MS = 500;

export interface HttpServerOptions {
  /** Default: `SERVER_TIMEOUTS`. */
  timeouts?: Partial<ServerTimeouts>;
  /** Default: `DEFAULT_SERVER_LIMITS.maxConnections`. */
  maxConnections?: number;
}

export function createHttpServer(
  handler: RequestListener,
  front?: FrontHandler,
  options: HttpServerOptions = {},
): Server {
  const timeouts = { ...SERVER_TIMEOUTS, ...options.timeouts };
  const listener: RequestListener = front
    ? (request, response) => front(request, response, () => handler(request, response))
    : handler;
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
      ServerResponse: ClosingResponse,
      // Node's 16 KiB header limit (431 beyond it) is kept as is: it is already the right bound.
    },
    (request, response) => {
      joinRepeatedAuthorization(request);
      listener(request, response);
    },
  );
  capConnections(
    server,
    options.maxConnections ?? DEFAULT_SERVER_LIMITS.maxConnections,
    timeouts.silentEvictionAfterMs,
  );
  return server;
}

/**
 * At most `max` open connections. When all places are taken and a new connection comes, the
 * oldest connection that has not sent a whole request yet gives up its place (an idle or a
 * slowloris connection holds one and does nothing with it); when every open connection has sent
 * one, the new connection is closed. So a flood of silent connections cannot lock clients out,
 * and connections in use are never cut for newcomers. (Node's own `maxConnections` only refuses
 * newcomers: a flood holding every place would keep everyone else out until its timeouts.)
 * Memory: a Set entry per open connection, at most `max`.
 */
function capConnections(server: Server, max: number, silentEvictionAfterMs: number): void {
  const open = new Set<Socket>();
  /** Connected, no whole request yet, and when; the oldest first. */
  const waiting = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    const now = performance.now();
    if (open.size >= max) {
      const oldest = waiting.entries().next();
      // Only a connection silent for a while gives up its place: a client that has just
      // connected has had no time to send anything, and evicting newcomers for newcomers would
      // only churn connections as fast as a flood reconnects.
      if (oldest.done || now - oldest.value[1] < silentEvictionAfterMs) {
        socket.destroy();
        return;
      }
      const [victim] = oldest.value;
      waiting.delete(victim);
      open.delete(victim);
      victim.destroy();
    }
    open.add(socket);
    waiting.set(socket, now);
    socket.once('close', () => {
      open.delete(socket);
      waiting.delete(socket);
    });
  });
  server.on('request', (request: IncomingMessage) => waiting.delete(request.socket));
  silentConnections.set(server, () => {
    for (const socket of waiting.keys()) socket.destroy();
  });
}

const silentConnections = new WeakMap<Server, () => void>();

/**
 * Closes the connections that have not sent a request yet. Node's `closeIdleConnections` leaves
 * them open (it closes keep-alive connections between requests only), so one silent connection
 * would hold a graceful shutdown until its deadline.
 */
export function closeSilentConnections(server: Server): void {
  silentConnections.get(server)?.();
}

/**
 * A response that closes its connection when it is sent before its request has been read to the
 * end. Decided when the head is written: then, and only then, the `Connection` header can still
 * tell the client not to send another request on this connection.
 */
class ClosingResponse extends ServerResponse {
  override writeHead(
    statusCode: number,
    statusMessage?: string,
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this;
  override writeHead(
    statusCode: number,
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this;
  // Only looks, then passes the arguments on unchanged, whichever signature they follow.
  override writeHead(statusCode: number, ...rest: unknown[]): this {
    if (!this.req.complete && !this.headersSent) {
      this.setHeader('connection', 'close');
      lingerThenClose(this.req.socket);
    }
    return Reflect.apply(ServerResponse.prototype.writeHead, this, [statusCode, ...rest]);
  }
}

/**
 * Replaces Node's close of this socket after the answer (`destroySoon`: end, then destroy as soon
 * as written) by: stop reading, end (the client sees the answer, then the end of the stream),
 * and destroy after `LINGER_AFTER_REFUSAL_MS`.
 */
function lingerThenClose(socket: Socket): void {
  // `_paused` is the HTTP server's own back-pressure flag: while it is set, Node's request
  // stream (which resumes the socket to drain an unread body) leaves the socket paused.
  const lingering = socket as Socket & { destroySoon?: () => void; _paused?: boolean };
  lingering.destroySoon = () => {
    lingering._paused = true;
    socket.pause();
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_AFTER_REFUSAL_MS).unref();
  };
}

/**
 * Node keeps only the first of two `Authorization` headers, so the gateway would forward one key
 * of two without knowing there was a choice. Joined as Fetch would join them, they are no longer
 * one usable bearer, and the request is refused as UNAUTHENTICATED like any other bad header.
 */
function joinRepeatedAuthorization(request: IncomingMessage): void {
  const values: string[] = [];
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    if (request.rawHeaders[index]?.toLowerCase() === 'authorization') {
      values.push(request.rawHeaders[index + 1] ?? '');
    }
  }
  if (values.length > 1) request.headers.authorization = values.join(', ');
}

export interface GatewayServerOptions extends GraphQLFrontOptions {
  timeouts?: Partial<ServerTimeouts>;
}

/** The gateway's server as main.ts runs it: the GraphQL front (and fast path) before Yoga. */
export function createGatewayServer(gateway: Gateway, options: GatewayServerOptions = {}): Server {
  const limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  const httpOptions: HttpServerOptions = { maxConnections: limits.maxConnections };
  if (options.timeouts) httpOptions.timeouts = options.timeouts;
  // A watch of its own unless one is given (tests), stopped with the server.
  const own = options.pressure === undefined ? watchEventLoop(limits.shedAtLagMs) : undefined;
  const pressure: Pick<Pressure, 'high'> = options.pressure ?? own ?? { high: false };
  const server = createHttpServer(
    gateway,
    createGraphQLFront(gateway, { ...options, pressure }),
    httpOptions,
  );
  if (own) server.once('close', () => own.stop());
  return server;
}
