/**
 * The gateway's Node HTTP server, with the socket-level limits slow or lying clients meet
 * (catalogue H03, H11): main.ts and the tests build it here so both run the same settings.
 */

import { createServer, type RequestListener, type Server } from 'node:http';

export const SERVER_TIMEOUTS = {
  /** Whole request headers must arrive within this (slowloris). Node's default: 60 s. */
  headersTimeoutMs: 10_000,
  /** The whole request, body included, must arrive within this. Node's default: 300 s. */
  requestTimeoutMs: 30_000,
  /** Idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs: 5_000,
} as const;

export function createHttpServer(handler: RequestListener): Server {
  const server = createServer(
    {
      headersTimeout: SERVER_TIMEOUTS.headersTimeoutMs,
      requestTimeout: SERVER_TIMEOUTS.requestTimeoutMs,
      keepAliveTimeout: SERVER_TIMEOUTS.keepAliveTimeoutMs,
      // Node's 16 KiB header limit (431 beyond it) is kept as is: it is already the right bound.
    },
    handler,
  );
  return server;
}
