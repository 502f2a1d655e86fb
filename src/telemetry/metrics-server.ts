/**
 * The Prometheus listener: `GET /metrics` on its own host and port (`METRICS_HOST`,
 * `METRICS_PORT`; loopback by default), so the public port never exposes them. Anything else is
 * 404. A scrape only reads counters: no upstream call, no credentials.
 */

import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export function createMetricsServer(registry: Registry): Server {
  const server = createServer(
    // A scraper sends a small GET: anything slower than this is not one.
    { headersTimeout: 5000, requestTimeout: 10_000, keepAliveTimeout: 5000 },
    (request, response) => {
      const path = (request.url ?? '/').split('?', 1)[0];
      if (request.method !== 'GET' || path !== '/metrics') {
        response
          .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
          .end('Not found.\n');
        return;
      }
      registry.metrics().then(
        (text) => {
          response.writeHead(200, {
            'content-type': registry.contentType,
            'cache-control': 'no-store',
          });
          response.end(text);
        },
        () => {
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end();
        },
      );
    },
  );
  return server;
}
