/**
 * Graceful shutdown of the HTTP server: stop accepting connections, let in-flight requests finish,
 * close keep-alive connections as soon as they fall idle and connections that never sent a
 * request at once, and cut whatever is left at the deadline.
 */

import type { Server } from 'node:http';
import { closeSilentConnections } from './server.ts';

/** How often idle keep-alive connections are swept while draining. */
const SWEEP_INTERVAL_MS = 50;

/** Resolves `true` when every request finished in time, `false` when the deadline cut some. */
export function drain(server: Server, graceMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (drained: boolean) => {
      if (settled) return;
      settled = true;
      clearInterval(sweeper);
      clearTimeout(deadline);
      resolve(drained);
    };
    server.close(() => finish(true));
    // A keep-alive connection between two requests, or a connection that has sent nothing,
    // would hold `close` open until it times out.
    const sweep = () => {
      server.closeIdleConnections();
      closeSilentConnections(server);
    };
    sweep();
    const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
    const deadline = setTimeout(() => {
      server.closeAllConnections();
      finish(false);
    }, graceMs);
  });
}
