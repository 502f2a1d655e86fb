/**
 * Child process: the bench's upstream, the project's Featurebase simulator on a loopback port,
 * wrapped to count the requests it receives (the request log is off: at tens of thousands of
 * requests a second it would only measure itself).
 *
 *   GET  /__bench/stats  → { requests, errors, byRoute } since start or the last reset
 *   POST /__bench/reset  → zeroes the counters
 *
 * These two paths are answered by the wrapper and never counted. With `latencyMs`, every other
 * call is answered that long after it arrives; `faultyKeys` are keys whose calls are answered
 * unusably (the simulator's fault switch, matched on the key). Prints
 * `BENCH_UPSTREAM_READY <url>` on stdout once listening.
 *
 * The rate limit is set out of reach: the gateway's rate-limit gate closes a key as soon as
 * Featurebase says `X-RateLimit-Remaining: 0`, which at bench speed the real 2,000/min would
 * do within a second.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSimulator } from '../../src/simulator/index.ts';
import { benchSeed, tenantKey } from './fixtures.ts';
import {
  RESET_PATH,
  STATS_PATH,
  type UpstreamChildConfig,
  type UpstreamStats,
} from './protocol.ts';

/** As many per minute as no bench could reach, so `X-RateLimit-Remaining` never hits 0. */
const RATE_LIMIT_PER_MINUTE = 1_000_000_000;

const config = JSON.parse(process.argv[2] ?? '{}') as UpstreamChildConfig;

const simulator = createSimulator({
  apiKeys: [
    ...Array.from({ length: config.tenants }, (_, index) => ({
      key: tenantKey(index),
      // A workspace per tenant: tenants never see each other's webhooks or rotations.
      workspace: `bench-${index}`,
    })),
    ...(config.faultyKeys ?? []).map(({ key }, index) => ({ key, workspace: `faulty-${index}` })),
  ],
  seed: benchSeed(),
  rateLimitPerMinute: RATE_LIMIT_PER_MINUTE,
  requestLogLimit: 0,
});

// The fault switch takes the first armed fault that matches: the faulty keys' answers first,
// then the latency every other call gets (`times: Infinity`, until the process ends).
const latencyMs = config.latencyMs ?? 0;
for (const { key, answer } of config.faultyKeys ?? []) {
  simulator.injectFault({
    times: Number.POSITIVE_INFINITY,
    match: { apiKey: key },
    ...(latencyMs > 0 ? { delayMs: latencyMs } : {}),
    ...(answer === 'redirect'
      ? { status: 307, headers: { location: 'https://elsewhere.invalid/v2/webhooks' } }
      : { status: 200, body: '{"id":', headers: { 'content-type': 'application/json' } }),
  });
}
if (latencyMs > 0) simulator.injectFault({ times: Number.POSITIVE_INFINITY, delayMs: latencyMs });

let stats: UpstreamStats = { requests: 0, errors: 0, byRoute: {}, byStatus: {} };
const ID_SEGMENT = /\/[0-9a-fA-F]{24}(?=\/|$|\?)/;

function count(req: IncomingMessage, res: ServerResponse): void {
  stats.requests++;
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const template = `${req.method} ${(query === -1 ? url : url.slice(0, query)).replace(ID_SEGMENT, '/:id')}`;
  stats.byRoute[template] = (stats.byRoute[template] ?? 0) + 1;
  // `close` comes after `finish`, and also when the socket was cut before an answer.
  res.once('close', () => {
    const status = res.writableFinished ? res.statusCode : 0;
    if (status >= 400) stats.errors++;
    const byStatus = stats.byStatus ?? {};
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    stats.byStatus = byStatus;
  });
}

const server = createServer((req, res) => {
  if (req.url === STATS_PATH) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  if (req.url === RESET_PATH) {
    stats = { requests: 0, errors: 0, byRoute: {}, byStatus: {} };
    res.writeHead(204).end();
    return;
  }
  count(req, res);
  simulator.handle(req, res);
});
// As `startSimulator` does (src/simulator/server.ts); we build the server here only to wrap it.
server.keepAliveTimeout = 5_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`BENCH_UPSTREAM_READY http://127.0.0.1:${port}\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
