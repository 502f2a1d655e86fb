/**
 * Child process: the raw pass-through proxy, the floor any gateway pays for an HTTP hop in and
 * out. `node:http` in, an undici keep-alive `Agent` out, nothing else: no parsing of the body,
 * no validation, no GraphQL. For each scenario it receives the same request bytes the gateway
 * does (the GraphQL JSON body is read in full and dropped; the path names the REST call), makes
 * the one REST call the gateway makes for it, and returns the upstream's JSON as it came.
 *
 *   POST /a/:id  → POST /v2/webhooks/:id/secret       (refreshWebhookSecret)
 *   POST /b/:id  → GET  /v2/webhooks/:id              (webhook(id))
 *   POST /c      → GET  /v2/webhooks?limit=10         (webhooks(first: 10))
 *   POST /d      → GET  /v2/webhooks?limit=100        (_entities: the gateway lists one page)
 *
 * The caller's Authorization and Featurebase-Version are forwarded, as the gateway does.
 * Prints `BENCH_BASELINE_READY <url>` on stdout once listening.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import type { BaselineChildConfig } from './protocol.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as BaselineChildConfig;
const upstream = new URL(config.upstreamUrl);
// The same pool settings as the gateway's `createUpstreamAgent`, so both pay the same for them.
const agent = new Agent({
  connections: config.connections,
  pipelining: 1,
  keepAliveTimeout: 4000,
  keepAliveMaxTimeout: 30_000,
});

const DEFAULT_VERSION = '2026-01-01.nova';

function upstreamCall(url: string): { method: Dispatcher.HttpMethod; path: string } | undefined {
  const kind = url.charAt(1);
  const id = url.slice(3);
  if (kind === 'a' && id) return { method: 'POST', path: `/v2/webhooks/${id}/secret` };
  if (kind === 'b' && id) return { method: 'GET', path: `/v2/webhooks/${id}` };
  if (kind === 'c') return { method: 'GET', path: '/v2/webhooks?limit=10' };
  if (kind === 'd') return { method: 'GET', path: '/v2/webhooks?limit=100' };
  return undefined;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  // The gateway must read the whole body before it can do anything; so does the floor.
  for await (const _chunk of req);
  const call = upstreamCall(req.url ?? '/');
  if (!call) {
    res.writeHead(404).end();
    return;
  }
  const version = req.headers['featurebase-version'];
  const headers: Record<string, string> = {
    accept: 'application/json',
    'featurebase-version': typeof version === 'string' ? version : DEFAULT_VERSION,
  };
  const { authorization } = req.headers;
  if (authorization) headers['authorization'] = authorization;
  const answer = await agent.request({
    origin: upstream.origin,
    path: call.path,
    method: call.method,
    headers,
  });
  const chunks: Buffer[] = [];
  for await (const chunk of answer.body) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  res.writeHead(answer.statusCode, {
    'content-type': 'application/json',
    'content-length': body.length,
  });
  res.end(body);
}

const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`BENCH_BASELINE_READY http://127.0.0.1:${port}\n`);
});

const stop = () => {
  server.close(() => {
    agent.close().finally(() => process.exit(0));
  });
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
