/**
 * Federation test helpers: our subgraph's SDL as a router reads it, composition with The Guild's
 * library, and a second subgraph ("incidents") that references and extends `Webhook`, so that
 * tests can prove how our subgraph behaves next to another one, not only alone.
 */

import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { type CompositionSuccess, composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import type { TestGateway } from './gateway.ts';

/** The subgraph name our gateway has in a supergraph; the README's compose script uses it too. */
export const OUR_SUBGRAPH = 'webhooks';
export const INCIDENTS_SUBGRAPH = 'incidents';

/**
 * Another team's subgraph, written the way a consumer of ours would: it points at webhooks by id
 * only (`Incident.webhook`, nullable because a webhook can be deleted while incidents stay), and
 * adds a field of its own to our entity (`Webhook.openIncidents`), so the join goes both ways.
 */
export const INCIDENTS_SDL = `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

type Incident @key(fields: "id") {
  id: ID!
  title: String!
  webhook: Webhook
}

type Webhook @key(fields: "id") {
  id: ID!
  openIncidents: Int!
}

type Query {
  incidents: [Incident!]!
}
`;

export interface Subgraph {
  name: string;
  url: string;
  sdl: string;
}

/** `_service { sdl }` exactly as a router (or `npm run compose`) reads it: no key needed. */
export async function readSubgraphSdl(harness: TestGateway): Promise<string> {
  const response = await harness.graphql<{ _service: { sdl: string } }>(
    '{ _service { sdl } }',
    undefined,
    { authorization: null },
  );
  const sdl = response.body.data?._service.sdl;
  if (typeof sdl !== 'string') {
    throw new Error(`_service { sdl } failed: ${response.text}`);
  }
  return sdl;
}

export function compose(subgraphs: readonly Subgraph[]) {
  return composeServices(
    subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
  );
}

/** For tests whose subject is not composition itself: any error stops them with every message. */
export function composeOrThrow(subgraphs: readonly Subgraph[]): CompositionSuccess {
  const result = compose(subgraphs);
  if (result.errors) {
    const messages = result.errors.map(
      (error) => `- ${error.extensions['code']}: ${error.message}`,
    );
    throw new Error(`composition failed:\n${messages.join('\n')}`);
  }
  return result;
}

export interface IncidentRecord {
  id: string;
  title: string;
  /** The id of the webhook the incident is about; it may name a webhook that does not exist. */
  webhookId: string;
}

export interface IncidentsSubgraph {
  /** What `Query.incidents` answers from now on (each test sets its own). */
  setIncidents(incidents: readonly IncidentRecord[]): void;
  listener: RequestListener;
}

/**
 * The incidents subgraph, built the way most Node subgraphs are (`@apollo/subgraph`), so its
 * `_entities` and `_service` are not ours. It knows webhooks only by id: `openIncidents` counts
 * its own incidents for the id it is given, whether or not Featurebase has that webhook.
 */
export function createIncidentsSubgraph(): IncidentsSubgraph {
  let incidents: readonly IncidentRecord[] = [];
  const schema = buildSubgraphSchema({
    typeDefs: parse(INCIDENTS_SDL),
    resolvers: {
      Query: { incidents: () => incidents },
      Incident: { webhook: (incident: IncidentRecord) => ({ id: incident.webhookId }) },
      Webhook: {
        openIncidents: (webhook: { id: string }) =>
          incidents.filter((incident) => incident.webhookId === webhook.id).length,
      },
    },
  });
  const yoga = createYoga({ schema, logging: false, landingPage: false });
  return {
    setIncidents(next) {
      incidents = next;
    },
    listener: yoga,
  };
}

export interface RecordedSubgraphRequest {
  headers: Record<string, string | string[] | undefined>;
}

export interface Listening {
  /** `http://127.0.0.1:<port>/graphql`. */
  url: string;
  /** Every HTTP request received, oldest first, for counting router → subgraph fetches. */
  requests: RecordedSubgraphRequest[];
  close(): Promise<void>;
}

/** Serves a fetch-style app (Yoga, Hive Gateway) over real HTTP on a loopback port 0. */
export async function listen(listener: RequestListener): Promise<Listening> {
  const requests: RecordedSubgraphRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ headers: { ...req.headers } });
    listener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Routers keep connections alive; without this, close() would wait for them to idle out.
        server.closeAllConnections();
      }),
  };
}
