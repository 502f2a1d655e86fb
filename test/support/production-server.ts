/**
 * The production Node server around a gateway (as `createGatewayServer` builds it: the GraphQL
 * front and its fast paths before Yoga), on 127.0.0.1 port 0, recording which path served each
 * request: `direct` (Yoga's GraphQL stage from the front), `fast` (Yoga's handler behind the light
 * request view), `yoga` (Yoga's Node handler) or `refused` (by the front itself). And Yoga's Node
 * handler alone, for answers to compare with.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../../src/graphql/gateway.ts';
import type { ServedBy } from '../../src/http/fast-path.ts';
import { createGraphQLFront } from '../../src/http/graphql-front.ts';
import { createHttpServer } from '../../src/http/server.ts';

export interface ProductionServer {
  /** `http://127.0.0.1:<port>/graphql` */
  url: string;
  /** Which path served each request so far, in order. */
  served: ServedBy[];
  close(): Promise<void>;
}

export async function startProductionServer(gateway: Gateway): Promise<ProductionServer> {
  const served: ServedBy[] = [];
  const server = createHttpServer(
    gateway,
    createGraphQLFront(gateway, { onServed: (path) => served.push(path) }),
  );
  return { ...(await listenOnLoopback(server)), served };
}

/** Yoga's Node handler alone (no front, no fast path), for answers to compare with. */
export function startYogaOnlyServer(gateway: Gateway): Promise<Omit<ProductionServer, 'served'>> {
  return listenOnLoopback(createHttpServer(gateway));
}

async function listenOnLoopback(server: Server): Promise<Omit<ProductionServer, 'served'>> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A GraphQL POST over the socket; the answer's status, text and parsed body. */
export async function postGraphQL(
  url: string,
  body: { query: string; variables?: Record<string, unknown> },
  headers: Record<string, string>,
): Promise<{ status: number; text: string; json: GraphQLAnswer }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as GraphQLAnswer };
}

export interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}
