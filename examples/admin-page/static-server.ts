/**
 * A tiny static server for the built page, on its own loopback port (so the page and the gateway
 * are different origins, and CORS and the CSRF header are exercised for real). It answers only
 * the exact paths of the built files: nothing is read from disk per request, so no path can
 * reach another file. Request URLs are never logged: the page's may carry ?key=.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StaticFiles } from './build.ts';

export interface RunningStaticServer {
  /** `http://127.0.0.1:<port>`: the page is at `${origin}/`. */
  origin: string;
  close(): Promise<void>;
}

const HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // The page's own script and styles only; it may call any gateway the user types in.
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

export function serveStatic(
  files: StaticFiles,
  options: { host?: string; port?: number } = {},
): Promise<RunningStaticServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => answer(files, request, response));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // A browser keeps connections open; they must not hold the close up.
            server.closeAllConnections();
          }),
      });
    });
  });
}

function answer(files: StaticFiles, request: IncomingMessage, response: ServerResponse): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...HEADERS, Allow: 'GET, HEAD', 'Content-Length': '0' }).end();
    return;
  }
  // The path as sent, without decoding: an exact key of the map, or nothing.
  const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
  const file = files.get(path);
  if (!file) {
    response
      .writeHead(404, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' })
      .end('Not found\n');
    return;
  }
  response.writeHead(200, {
    ...HEADERS,
    'Content-Type': file.contentType,
    'Content-Length': String(file.body.byteLength),
  });
  response.end(request.method === 'HEAD' ? undefined : file.body);
}
