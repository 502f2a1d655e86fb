/**
 * Hive Gateway in front of this subgraph: `npx @graphql-hive/gateway supergraph` in this folder,
 * after `npm run compose -- --out examples/hive-gateway/supergraph.graphql` at the project root.
 *
 * Only the headers the webhooks subgraph needs are forwarded, and only to it: the caller's
 * Featurebase key must not reach any other subgraph.
 */
const FORWARDED = ['authorization', 'featurebase-version', 'x-request-id'];

// A plain object rather than `defineConfig(...)`, so the file needs no package installed beside it.
export const gatewayConfig = {
  supergraph: './supergraph.graphql',
  propagateHeaders: {
    fromClientToSubgraphs({ request, subgraphName }: { request: Request; subgraphName: string }) {
      if (subgraphName !== 'webhooks') return undefined;
      const headers: Record<string, string> = {};
      for (const name of FORWARDED) {
        const value = request.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      return headers;
    },
  },
};
