import type { Plugin } from 'graphql-yoga';
import type { FeaturebaseClient } from '../../upstream/client.ts';

/** Whether the gateway takes new work: `starting` until it listens, `draining` once it stops. */
export type Readiness = 'starting' | 'ready' | 'draining';

/**
 * `GET /health` (live) and `GET /ready` (ready), both without credentials and neither calling
 * Featurebase.
 * - `/health`: 200 while the process serves, with the upstream breaker and concurrency state. It
 *   stays 200 when Featurebase is down: restarting this process would not bring it back.
 * - `/ready`: 200 while the gateway takes new requests, 503 while it starts or drains, so a load
 *   balancer stops sending work before the listener closes. Featurebase being down does not
 *   make it unready either: another instance would find Featurebase just as down.
 */
export function useHealth(client: FeaturebaseClient, readiness: () => Readiness): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      const { url } = request;
      if (!url.endsWith('/health') && !url.endsWith('/ready')) return;
      const path = new URL(url).pathname;
      if (path === '/health') {
        endResponse(json(fetchAPI, 200, { status: 'ok', upstream: client.health() }));
      } else if (path === '/ready') {
        const state = readiness();
        endResponse(json(fetchAPI, state === 'ready' ? 200 : 503, { status: state }));
      }
    },
  };
}

function json(fetchAPI: { Response: typeof Response }, status: number, body: unknown): Response {
  return new fetchAPI.Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}
