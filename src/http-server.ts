/**
 * The gateway's Node HTTP server, with the socket-level limits slow or lying clients meet
 * (catalogue H03, H11): main.ts and the tests build it here so both run the same settings.
 */

import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createFastPath } from './fast-path.ts';
import type { Gateway } from './gateway.ts';

export const SERVER_TIMEOUTS = {
  /** Whole request headers must arrive within this (slowloris). Node's default: 60 s. */
  headersTimeoutMs: 10_000,
  /** The whole request, body included, must arrive within this. Node's default: 300 s. */
  requestTimeoutMs: 30_000,
  /** Idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs: 5_000,
} as const;

/** A handler that may serve a request itself, or pass it on to `next`. */
export type FrontHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  next: () => void,
) => void;

export function createHttpServer(handler: RequestListener, front?: FrontHandler): Server {
  const listener: RequestListener = front
    ? (request, response) => front(request, response, () => handler(request, response))
    : handler;
  const server = createServer(
    {
      headersTimeout: SERVER_TIMEOUTS.headersTimeoutMs,
      requestTimeout: SERVER_TIMEOUTS.requestTimeoutMs,
      keepAliveTimeout: SERVER_TIMEOUTS.keepAliveTimeoutMs,
      // Node's 16 KiB header limit (431 beyond it) is kept as is: it is already the right bound.
    },
    guarded(listener),
  );
  return server;
}

/** How long a connection may go on after a 413: enough for the client to read the answer. */
const CLOSE_AFTER_TOO_LARGE_MS = 500;

function guarded(handler: RequestListener): RequestListener {
  return (request: IncomingMessage, response: ServerResponse) => {
    joinRepeatedAuthorization(request);
    // Node would go on reading (and dropping) a refused body to find the next request on the
    // connection, for as long as the client keeps sending: cut it once the answer is out.
    // Closing at once instead would reset the connection and could lose the answer itself.
    const { socket } = request; // detached from the request once the answer is out
    response.once('finish', () => {
      if (response.statusCode === 413) {
        setTimeout(() => socket.destroy(), CLOSE_AFTER_TOO_LARGE_MS).unref();
      }
    });
    handler(request, response);
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

/** The gateway's server as main.ts runs it: the fast path in front of Yoga. */
export function createGatewayServer(gateway: Gateway): Server {
  return createHttpServer(gateway, createFastPath(gateway));
}
