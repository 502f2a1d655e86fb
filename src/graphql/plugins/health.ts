import type { Plugin } from 'graphql-yoga';
import type { FeaturebaseClient } from '../../upstream/client.ts';

/**
 * `GET /health`: 200 while the process serves, with the upstream breaker and concurrency state.
 * It stays 200 when Featurebase is down: restarting this process would not bring it back.
 */
export function useHealth(client: FeaturebaseClient): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (!request.url.endsWith('/health') || new URL(request.url).pathname !== '/health') return;
      endResponse(
        new fetchAPI.Response(JSON.stringify({ status: 'ok', upstream: client.health() }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
      );
    },
  };
}
