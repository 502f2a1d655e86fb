/**
 * Bad input on `_entities`, the field a router calls with references from other subgraphs
 * (reliability-catalogue §2.2, G22–G23): too many references, and references that are not
 * Webhook references at all. In process through `yoga.fetch`, over the real simulator.
 *
 * Every row also asserts: the upstream calls, no sentinel key or secret in any answer (checked as
 * each answer arrives, and over all answers and the logs at the end), and a healthy gateway
 * afterwards (`afterEach`).
 */

import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codesOf, OTHER_IDS, SENTINEL_ID, startHostileGateway } from '../support/hostile.ts';
import { compareFastest } from '../support/timing.ts';

const hostile = await startHostileGateway();
afterAll(async () => {
  try {
    hostile.expectNoLeaks();
  } finally {
    await hostile.close();
  }
});
beforeEach(() => hostile.harness.simulator.reset());
afterEach(() => hostile.expectHealthy());

const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Webhook { id name } }
}`;

const resolve = (representations: unknown[]) => hostile.graphql(ENTITIES, { representations });
const reference = (id: unknown) => ({ __typename: 'Webhook', id });
/** Distinct well-formed ids, none of them stored (the seeded three are not in this range). */
const unknownIds = (n: number) =>
  Array.from({ length: n }, (_, index) => `7${index.toString(16).padStart(23, '0')}`);

describe('G22 too many representations', () => {
  /** The cap, resolved: what a request may cost without being refused. */
  const AT_THE_CAP = [SENTINEL_ID, ...OTHER_IDS, ...unknownIds(97)].map(reference);

  it('G22 1,000 references: refused before the variables are used (more JSON values than the bound), no call, at < 3 × the cost of resolving the 100 allowed', async () => {
    const representations = [SENTINEL_ID, ...unknownIds(999)].map(reference);
    // The catalogue's "no event-loop stall > 100 ms": in process, the refusal is one stretch of
    // work on the event loop, so its time is the stall. It is measured against resolving the
    // cap (fastest of 9 each, alternating; test/support/timing.ts). Work done per reference
    // before the bound is checked would make the refusal several times dearer than the cap, a
    // quadratic step far more.
    const cost = await compareFastest(
      () => resolve(representations),
      () => resolve(AT_THE_CAP),
    );
    expect(cost.ratio, cost.note).toBeLessThan(3);

    hostile.harness.simulator.clearRequests();
    const answer = await resolve(representations);
    expect(answer.status).toBe(400);
    expect(answer.json?.data).toBeUndefined();
    expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.json?.errors?.[0]?.message).toBe(
      'The request carries more than 4000 JSON values.',
    );
    expect(hostile.upstreamCalls()).toBe(0);
  });

  it('G22 200 references (within the bound on variables): refused over the cap of 100, no call', async () => {
    const answer = await resolve([SENTINEL_ID, ...unknownIds(199)].map(reference));
    expect(answer.status).toBe(200);
    expect(answer.json?.data).toBeNull();
    expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.json?.errors?.[0]?.message).toBe('A request may resolve at most 100 entities.');
    expect(answer.json?.errors?.[0]?.path).toEqual(['_entities']);
    expect(hostile.upstreamCalls()).toBe(0);
  });

  it('G22 100 references (the cap): resolved with one upstream call for the batch', async () => {
    const answer = await resolve(AT_THE_CAP);
    expect(answer.json?.errors).toBeUndefined();
    const entities = (answer.json?.data?.['_entities'] ?? []) as ({ id: string } | null)[];
    expect(entities).toHaveLength(100);
    expect(entities.slice(0, 3).map((entity) => entity?.id)).toEqual([SENTINEL_ID, ...OTHER_IDS]);
    expect(entities.slice(3).every((entity) => entity === null)).toBe(true);
    // ≤ ⌈n / batch⌉: one list page (up to 100) answers the whole batch.
    expect(hostile.harness.simulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v2/webhooks',
    ]);
  });
});

describe('G23 representations that are not Webhook references', () => {
  const INVALID: [string, unknown][] = [
    ['an unknown __typename', { __typename: 'Nope', id: SENTINEL_ID }],
    ['a missing id', { __typename: 'Webhook' }],
    ['a non-hex id', reference('zzzzzzzzzzzzzzzzzzzzzzzz')],
    ['a path in the id', reference('../../v2/admin')],
    ['a numeric id', reference(42)],
    ['no __typename', { id: SENTINEL_ID }],
    ['a string, not an object', 'Webhook'],
  ];

  it('G23 each invalid one is null with its own error and no call; the valid ones resolve', async () => {
    const valid = [reference(SENTINEL_ID), reference(OTHER_IDS[0])];
    const answer = await resolve([...INVALID.map(([, value]) => value), ...valid]);

    const entities = (answer.json?.data?.['_entities'] ?? []) as ({ id: string } | null)[];
    expect(entities.map((entity) => entity?.id ?? null)).toEqual([
      ...INVALID.map(() => null),
      SENTINEL_ID,
      OTHER_IDS[0],
    ]);
    // One error per invalid reference, at its index (errors come in completion order).
    const paths = (answer.json?.errors ?? []).map((error) => error.path);
    paths.sort((a, b) => Number(a?.[1]) - Number(b?.[1]));
    expect(paths).toEqual(INVALID.map((_, index) => ['_entities', index]));
    expect(codesOf(answer)).toEqual(INVALID.map(() => 'BAD_USER_INPUT'));
    // The two valid ones cost one list call; nothing was asked about the invalid ones.
    expect(hostile.harness.simulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v2/webhooks',
    ]);
  });

  it.each(INVALID)('G23 %s alone: null with BAD_USER_INPUT, no call', async (_, value) => {
    const answer = await resolve([value]);
    expect(answer.status).toBe(200);
    expect(answer.json?.data).toEqual({ _entities: [null] });
    expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.json?.errors?.[0]?.path).toEqual(['_entities', 0]);
    expect(hostile.upstreamCalls()).toBe(0);
  });
});
