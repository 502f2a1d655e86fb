/**
 * Our subgraph behind a real router: Hive Gateway's runtime, on the supergraph composed from our
 * live `_service { sdl }` and an incidents subgraph, every hop over real HTTP on loopback:
 *
 *   client → router → incidents subgraph (@apollo/subgraph)
 *                   → our gateway → Featurebase simulator
 *
 * What only a router shows: that its query plans reach our `_entities` as one batch (so N
 * references cost Featurebase at most 2 calls), that the caller's key reaches Featurebase only
 * through the headers the router forwards, that our error codes survive the trip back, and that
 * the join works both ways (their field on our entity, our fields on their reference).
 */

import { createGatewayRuntime, type GatewayRuntime } from '@graphql-hive/gateway-runtime';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_WEBHOOKS } from '../../src/simulator/index.ts';
import type { WireWebhook } from '../../src/upstream/wire.ts';
import {
  composeOrThrow,
  createIncidentsSubgraph,
  INCIDENTS_SDL,
  INCIDENTS_SUBGRAPH,
  type IncidentRecord,
  listen,
  OUR_SUBGRAPH,
  readSubgraphSdl,
} from '../support/federation.ts';
import { API_KEY, startTestGateway } from '../support/gateway.ts';

/** A full workspace (10 is Featurebase's default limit), shaped like the samples, new ids. */
const TEN_WEBHOOKS: WireWebhook[] = Array.from({ length: 10 }, (_, index) => {
  const sample = SAMPLE_WEBHOOKS[index % SAMPLE_WEBHOOKS.length] as WireWebhook;
  return {
    ...structuredClone(sample),
    id: `6b00000000000000000000${index.toString().padStart(2, '0')}`,
    name: `${sample.name} #${index}`,
  };
});
const TEN_IDS = TEN_WEBHOOKS.map((webhook) => webhook.id);
/** Well-formed ids that no webhook has: the reference is valid, the webhook is gone. */
const MISSING_IDS = ['a'.repeat(24), 'b'.repeat(24)];

const WITH_KEY = { authorization: `Bearer ${API_KEY}` };

const harness = await startTestGateway({ simulator: { seed: TEN_WEBHOOKS } });
const ours = await listen(harness.gateway);
const incidents = createIncidentsSubgraph();
const theirs = await listen(incidents.listener);
const { supergraphSdl } = composeOrThrow([
  { name: OUR_SUBGRAPH, url: ours.url, sdl: await readSubgraphSdl(harness) },
  { name: INCIDENTS_SUBGRAPH, url: theirs.url, sdl: INCIDENTS_SDL },
]);
const router = createRouter(supergraphSdl);
const routed = await listen(router);

afterAll(async () => {
  await routed.close();
  await router.dispose();
  await theirs.close();
  await ours.close();
  await harness.close();
});

beforeEach(() => {
  harness.simulator.reset();
  ours.requests.length = 0;
  theirs.requests.length = 0;
});

const INCIDENTS_WITH_WEBHOOKS = `{
  incidents {
    id
    title
    webhook { id name status health { consecutiveFailures } }
  }
}`;

interface RoutedWebhook {
  id: string;
  name: string;
  status: string;
  health: { consecutiveFailures: number };
}

interface RoutedIncident {
  id: string;
  title: string;
  webhook: RoutedWebhook | null;
}

describe('behind Hive Gateway', () => {
  it("answers a query spanning both subgraphs with the stored webhooks, with the caller's key", async () => {
    const records = recordIncidents([TEN_IDS[0], TEN_IDS[3], TEN_IDS[7]]);

    const { body } = await routerQuery<{ incidents: RoutedIncident[] }>(INCIDENTS_WITH_WEBHOOKS);

    expect(body.errors).toBeUndefined();
    expect(body.data?.incidents).toEqual(records.map(expectedIncident));
    expectEveryUpstreamCallWith({ authorization: `Bearer ${API_KEY}` });
    // The router forwards the key to our subgraph only: the other team never sees it.
    expect(theirs.requests.length).toBeGreaterThan(0);
    expect(theirs.requests.map((request) => request.headers['authorization'])).toEqual(
      theirs.requests.map(() => undefined),
    );
  });

  it('forwards Featurebase-Version when the caller sends one', async () => {
    recordIncidents([TEN_IDS[1]]);
    const { body } = await routerQuery(INCIDENTS_WITH_WEBHOOKS, {
      ...WITH_KEY,
      'featurebase-version': '2026-08-19.orbit',
    });
    expect(body.errors).toBeUndefined();
    expectEveryUpstreamCallWith({ 'featurebase-version': '2026-08-19.orbit' });
  });

  it('lets UNAUTHENTICATED reach a caller without a key, and never calls Featurebase', async () => {
    const records = recordIncidents([TEN_IDS[0], TEN_IDS[1]]);

    const { status, body } = await routerQuery<{ incidents: RoutedIncident[] }>(
      INCIDENTS_WITH_WEBHOOKS,
      {},
    );

    expect(status).toBe(200);
    const codes = (body.errors ?? []).map((error) => error.extensions?.['code']);
    expect(codes.length).toBeGreaterThan(0);
    expect(codes).toEqual(codes.map(() => 'UNAUTHENTICATED'));
    // The incidents still come back; only the part that needs a key is missing.
    expect(body.data?.incidents).toEqual(
      records.map((record) => ({ id: record.id, title: record.title, webhook: null })),
    );
    // The router did ask our subgraph: the refusal is ours, made before any upstream call.
    expect(ours.requests.length).toBeGreaterThan(0);
    expect(harness.simulator.countRequests()).toBe(0);
  });

  it('resolves 10 webhooks referenced from the other subgraph with at most 2 upstream calls', async () => {
    const records = recordIncidents([...TEN_IDS].reverse());

    const { body } = await routerQuery<{ incidents: RoutedIncident[] }>(INCIDENTS_WITH_WEBHOOKS);

    expect(body.errors).toBeUndefined();
    expect(body.data?.incidents).toEqual(records.map(expectedIncident));
    // One `_entities` request with all ten references, which our loader turns into a list call.
    expect(ours.requests).toHaveLength(1);
    expect(harness.simulator.countRequests()).toBeGreaterThan(0);
    expect(harness.simulator.countRequests()).toBeLessThanOrEqual(2);
    expectEveryUpstreamCallWith({ authorization: `Bearer ${API_KEY}` });
  });

  it('resolves references to webhooks that do not exist as null, without failing the query, with 1 call', async () => {
    const records = recordIncidents([TEN_IDS[2], MISSING_IDS[0], TEN_IDS[5], MISSING_IDS[1]]);

    const { status, body } = await routerQuery<{ incidents: RoutedIncident[] }>(
      INCIDENTS_WITH_WEBHOOKS,
    );

    expect(status).toBe(200);
    expect(body.data?.incidents).toEqual(records.map(expectedIncident));
    // Our `_entities` answers null for a missing webhook, with no error. The router then has a
    // Webhook without its non-null `name`, and reports that (masked as "Unexpected error.") while
    // nulling the nullable `Incident.webhook`: one error per missing webhook, nowhere else.
    const missing = records.flatMap((record, index) =>
      MISSING_IDS.includes(record.webhookId) ? [index] : [],
    );
    expect((body.errors ?? []).map((error) => error.path?.slice(0, 3))).toEqual(
      missing.map((index) => ['incidents', index, 'webhook']),
    );
    // Four references, one complete list: the missing ids cost no retrieve each.
    expect(harness.simulator.countRequests()).toBe(1);
  });

  it('joins from our root field to a field the other subgraph adds to Webhook', async () => {
    recordIncidents([TEN_IDS[4], TEN_IDS[4], TEN_IDS[9]]);

    const { body } = await routerQuery<{
      webhooks: { nodes: { id: string; name: string; openIncidents: number }[] };
    }>('{ webhooks(first: 10) { nodes { id name openIncidents } } }');

    expect(body.errors).toBeUndefined();
    const openIncidents = (id: string) => (id === TEN_IDS[4] ? 2 : id === TEN_IDS[9] ? 1 : 0);
    expect(body.data?.webhooks.nodes).toEqual(
      harness.simulator
        .peekWebhooks(API_KEY)
        .map(({ id, name }) => ({ id, name, openIncidents: openIncidents(id) })),
    );
    // Our list call, then one `_entities` batch to the incidents subgraph for all ten.
    expect(harness.simulator.countRequests()).toBe(1);
    expect(theirs.requests).toHaveLength(1);
  });
});

/** Gives the incidents subgraph one incident per webhook id, in order, and returns them. */
function recordIncidents(webhookIds: (string | undefined)[]): IncidentRecord[] {
  const records = webhookIds.map((webhookId, index) => ({
    id: `incident-${index}`,
    title: `Incident ${index}`,
    webhookId: webhookId ?? '',
  }));
  incidents.setIncidents(records);
  return records;
}

/** What the router must answer for an incident: its webhook as Featurebase stores it, or null. */
function expectedIncident(record: IncidentRecord): RoutedIncident {
  const stored = harness.simulator.peekWebhook(API_KEY, record.webhookId);
  return {
    id: record.id,
    title: record.title,
    webhook: stored
      ? {
          id: stored.id,
          name: stored.name,
          status: stored.status.toUpperCase(),
          health: { consecutiveFailures: stored.health.consecutiveFailures },
        }
      : null,
  };
}

/** At least one upstream call was made, and each carried these headers. */
function expectEveryUpstreamCallWith(headers: Record<string, string>): void {
  const { requests } = harness.simulator;
  expect(requests.length).toBeGreaterThan(0);
  for (const request of requests) {
    expect(request.headers, `${request.method} ${request.path}`).toMatchObject(headers);
  }
}

interface RouterResponse<TData> {
  status: number;
  body: {
    data?: TData | null;
    errors?: {
      message: string;
      path?: (string | number)[];
      extensions?: Record<string, unknown>;
    }[];
  };
}

async function routerQuery<TData = Record<string, unknown>>(
  query: string,
  headers: Record<string, string> = WITH_KEY,
): Promise<RouterResponse<TData>> {
  const response = await fetch(routed.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return {
    status: response.status,
    body: (await response.json()) as RouterResponse<TData>['body'],
  };
}

/**
 * Hive Gateway as its docs configure it for a supergraph, forwarding only the headers our
 * subgraph reads (its credentials), and only to our subgraph.
 */
function createRouter(supergraph: string): GatewayRuntime {
  return createGatewayRuntime({
    supergraph,
    propagateHeaders: {
      fromClientToSubgraphs({ request, subgraphName }) {
        if (subgraphName !== OUR_SUBGRAPH) return undefined;
        return {
          authorization: request.headers.get('authorization'),
          'featurebase-version': request.headers.get('featurebase-version'),
        };
      },
    },
    // Its logs would only repeat what the assertions say; failures show in the responses.
    logging: false,
  });
}
