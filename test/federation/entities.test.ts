/**
 * `_entities` as a router calls it: references resolve through the per-request loader, a batch
 * costs one list call, unknown ids are null, a bad representation fails alone, and credentials
 * come from the forwarded headers exactly as for direct clients.
 */

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_WEBHOOKS } from '../../src/simulator/index.ts';
import type { WireWebhook } from '../../src/upstream/wire.ts';
import { API_KEY, errorCodes, startTestGateway } from '../support/gateway.ts';

/** Ten webhooks: a full workspace, shaped like the samples. */
const TEN_WEBHOOKS: WireWebhook[] = Array.from({ length: 10 }, (_, index) => {
  const sample = SAMPLE_WEBHOOKS[index % SAMPLE_WEBHOOKS.length] as WireWebhook;
  return { ...sample, id: `70000000000000000000000${index.toString(16)}`, name: `Hook ${index}` };
});

const harness = await startTestGateway({ simulator: { seed: TEN_WEBHOOKS } });
afterAll(() => harness.close());
beforeEach(() => harness.simulator.reset());

const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Webhook { id name status secret health { consecutiveFailures } }
  }
}`;

type Entity = { id: string; name: string; status: string } | null;

const resolve = (representations: unknown[], headers?: Record<string, string | null>) =>
  harness.graphql<{ _entities: Entity[] }>(ENTITIES, { representations }, headers);
const references = (ids: string[]) => ids.map((id) => ({ __typename: 'Webhook', id }));

describe('_entities', () => {
  it('resolves 10 references with one upstream call, in order, with the stored data', async () => {
    const ids = TEN_WEBHOOKS.map((webhook) => webhook.id).reverse();
    const response = await resolve(references(ids));

    expect(response.body.errors).toBeUndefined();
    const entities = response.body.data?._entities ?? [];
    expect(entities.map((entity) => entity?.id)).toEqual(ids);
    for (const entity of entities) {
      const stored = harness.simulator.peekWebhook(API_KEY, entity?.id ?? '');
      expect(entity).toMatchObject({ name: stored?.name, secret: stored?.secret });
    }
    expect(harness.simulator.countRequests()).toBeLessThanOrEqual(2);
    expect(
      harness.simulator.requests.map((request) => `${request.method} ${request.path}`),
    ).toEqual(['GET /v2/webhooks']);
  });

  it('resolves references to ids that do not exist as null, without failing, with one call', async () => {
    const ids = ['a'.repeat(24), 'b'.repeat(24), 'c'.repeat(24)];
    const response = await resolve(references(ids));
    expect(response.body).toEqual({ data: { _entities: [null, null, null] } });
    expect(harness.simulator.countRequests()).toBe(1);
  });

  it('resolves a single reference with one retrieve', async () => {
    const [first] = TEN_WEBHOOKS;
    const response = await resolve(references([first?.id ?? '']));
    expect(response.body.data?._entities).toEqual([expect.objectContaining({ id: first?.id })]);
    expect(harness.simulator.requests.map((request) => request.path)).toEqual([
      `/v2/webhooks/${first?.id}`,
    ]);
  });

  it('deduplicates repeated references', async () => {
    const id = TEN_WEBHOOKS[3]?.id ?? '';
    const response = await resolve(references([id, id.toUpperCase(), id]));
    expect(response.body.data?._entities.map((entity) => entity?.id)).toEqual([id, id, id]);
    expect(harness.simulator.countRequests()).toBe(1);
  });

  it('fails a malformed representation alone, with BAD_USER_INPUT and no call for it', async () => {
    const good = TEN_WEBHOOKS[0]?.id ?? '';
    const response = await resolve([
      { __typename: 'Webhook', id: good },
      { __typename: 'Webhook', id: '../../v2/admin' },
      { __typename: 'Webhook' },
      { __typename: 'Webhook', id: 42 },
    ]);
    expect(response.body.data?._entities.map((entity) => entity?.id ?? null)).toEqual([
      good,
      null,
      null,
      null,
    ]);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT', 'BAD_USER_INPUT']);
    expect(response.body.errors?.map((error) => error.path)).toEqual([
      ['_entities', 1],
      ['_entities', 2],
      ['_entities', 3],
    ]);
    expect(harness.simulator.requests.map((request) => request.path)).toEqual([
      `/v2/webhooks/${good}`,
    ]);
  });

  it('uses the forwarded credentials and version, and refuses without a key before any call', async () => {
    const ids = TEN_WEBHOOKS.slice(0, 2).map((webhook) => webhook.id);
    await resolve(references(ids), { 'featurebase-version': '2026-08-19.orbit' });
    expect(harness.simulator.requests[0]?.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      'featurebase-version': '2026-08-19.orbit',
    });

    harness.simulator.clearRequests();
    const anonymous = await resolve(references(ids), { authorization: null });
    expect(anonymous.body.data?._entities).toEqual([null, null]);
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(harness.simulator.countRequests()).toBe(0);
  });

  it('answers _service { sdl } with the committed subgraph SDL, without a key', async () => {
    const { readFileSync } = await import('node:fs');
    const committed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    const response = await harness.graphql<{ _service: { sdl: string } }>(
      '{ _service { sdl } }',
      undefined,
      {
        authorization: null,
      },
    );
    expect(`${response.body.data?._service.sdl}\n`).toBe(committed);
    expect(committed).toContain('type Webhook\n  @key(fields: "id")');
  });
});
