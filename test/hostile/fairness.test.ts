/**
 * Fair to tenants (reliability-catalogue §5, R03 and R07): invalid credentials must not consume
 * what valid tenants need, and one key's calls must not open the breaker for everybody.
 *
 * - A key Featurebase refuses costs one call per operation, then none for a while (remembered).
 * - Calls with keys Featurebase has not accepted share one tenant's share of the upstream per
 *   client address; a tenant Featurebase knows has its own.
 * - The breaker counts what says Featurebase itself fails, not redirects or unusable answers.
 *
 * Through the production server over loopback where the client's address matters (R03), else
 * through `yoga.fetch`. The simulator answers unknown keys 401, as Featurebase does.
 */

import { randomBytes } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway.ts';
import {
  codesOf,
  type Exchange,
  listen,
  parseJson,
  SENTINEL_ID,
  SENTINEL_KEY,
  startHostileGateway,
} from '../support/hostile.ts';

/** Refusals remembered, as in production (the harness turns the memory off by default). */
const REMEMBER = { rejectedKeyTtlMs: 60_000 } as const;
const OTHER_KEY = 'sk_live_OTHER_TENANT_0123456789';
const clock = { offsetMs: 0 };

const hostile = await startHostileGateway({
  client: { ...REMEMBER, now: () => Date.now() + clock.offsetMs },
  simulator: {
    apiKeys: [
      { key: SENTINEL_KEY, workspace: 'hostile' },
      { key: OTHER_KEY, workspace: 'other' },
    ],
  },
});
/** The same, with refusals remembered only for the call that got them. */
const forgetful = await startHostileGateway();
afterAll(async () => {
  try {
    hostile.expectNoLeaks();
    forgetful.expectNoLeaks();
  } finally {
    await hostile.close();
    await forgetful.close();
  }
});
beforeEach(() => {
  clock.offsetMs = 0;
  hostile.harness.simulator.reset();
  forgetful.harness.simulator.reset();
});

const madeUpKey = () => `sk_madeup_${randomBytes(12).toString('hex')}`;
const ALIASES = `{ ${Array.from({ length: 10 }, (_, n) => `a${n}: webhooks(first: ${n + 1}) { nodes { id } }`).join(' ')} }`;
const READ = `{ webhook(id: "${SENTINEL_ID}") { id name } }`;

/**
 * Every field refused with `code` and Featurebase's status. `webhooks` is non-null, so the first
 * refusal nulls the whole answer and graphql-js reports that one; the fields still waiting end
 * without a call (checked by the callers' call counts, after `settled`).
 */
function expectAllRefused(answer: Exchange, code: string, fields: number): void {
  const codes = codesOf(answer);
  expect(codes.length).toBeGreaterThanOrEqual(1);
  expect(codes.length).toBeLessThanOrEqual(fields);
  expect(new Set(codes)).toEqual(new Set([code]));
  for (const error of answer.json?.errors ?? []) {
    expect(error.extensions?.['upstream']).toMatchObject({
      status: code === 'FORBIDDEN' ? 403 : 401,
    });
  }
}

/**
 * Lets calls that would still follow an answer happen before they are counted: the fields of a
 * refused operation that were waiting for the refusal end in the same few ticks.
 */
const settled = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('R03 keys Featurebase refuses', () => {
  it('R03 10 aliased fields with a made-up key: one call, the same UNAUTHENTICATED for all ten; the key then costs nothing', async () => {
    const key = madeUpKey();
    const first = await hostile.graphql(ALIASES, undefined, {
      headers: { authorization: `Bearer ${key}` },
    });
    expectAllRefused(first, 'UNAUTHENTICATED', 10);
    await settled();
    expect(hostile.upstreamCalls()).toBe(1);

    const again = await hostile.graphql(ALIASES, undefined, {
      headers: { authorization: `Bearer ${key}` },
    });
    expectAllRefused(again, 'UNAUTHENTICATED', 10);
    expect(hostile.upstreamCalls(), 'remembered: no call at all').toBe(1);
  });

  it('R03 a refusal is remembered for a minute, then the key gets one call again', async () => {
    const key = madeUpKey();
    await hostile.graphql(READ, undefined, { headers: { authorization: `Bearer ${key}` } });
    clock.offsetMs = 59_000;
    await hostile.graphql(READ, undefined, { headers: { authorization: `Bearer ${key}` } });
    expect(hostile.upstreamCalls()).toBe(1);
    clock.offsetMs = 61_000;
    const later = await hostile.graphql(READ, undefined, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(codesOf(later)).toEqual(['UNAUTHENTICATED']);
    expect(hostile.upstreamCalls()).toBe(2);
  });

  it('R03 a 403 for a key is remembered the same way (FORBIDDEN, no further call)', async () => {
    hostile.harness.simulator.injectFault({
      match: { apiKey: OTHER_KEY },
      status: 403,
      body: {
        error: {
          type: 'authorization_error',
          code: 'forbidden',
          message: 'No API access.',
          status: 403,
        },
      },
      times: Number.POSITIVE_INFINITY,
    });
    const headers = { authorization: `Bearer ${OTHER_KEY}` };
    expectAllRefused(await hostile.graphql(ALIASES, undefined, { headers }), 'FORBIDDEN', 10);
    expectAllRefused(await hostile.graphql(ALIASES, undefined, { headers }), 'FORBIDDEN', 10);
    await settled();
    expect(hostile.upstreamCalls()).toBe(1);
    hostile.harness.simulator.clearFaults();
  });

  it('R03 without the memory, an operation still stops at its first refusal: concurrent fields wait for it, later ones do not call', async () => {
    const key = madeUpKey();
    const headers = { authorization: `Bearer ${key}` };
    expectAllRefused(
      await forgetful.graphql(ALIASES, undefined, { headers }),
      'UNAUTHENTICATED',
      10,
    );
    expect(forgetful.upstreamCalls()).toBe(1);
    // Mutations run one after another: the second one meets the first one's refusal.
    const deletes = await forgetful.graphql(
      `mutation { a: deleteWebhook(id: "${SENTINEL_ID}") { id } b: deleteWebhook(id: "${SENTINEL_ID}") { id } }`,
      undefined,
      { headers },
    );
    expectAllRefused(deletes, 'UNAUTHENTICATED', 2);
    expect(forgetful.upstreamCalls(), 'one more call for the whole operation').toBe(2);
    // Not remembered: the next operation asks Featurebase again.
    await forgetful.graphql(READ, undefined, { headers });
    expect(forgetful.upstreamCalls()).toBe(3);
  });
});

describe('R03 starvation by invalid keys (scaled down)', () => {
  it('R03 10 clients flooding 10-alias queries with made-up keys: a valid tenant polling every 100 ms keeps ≥ 95 % success, and each attack costs at most one call', async () => {
    // Featurebase answers in 50 ms, as a real API does: calls stay in flight, so they compete.
    const harness = await startTestGateway({
      client: REMEMBER,
      simulator: { apiKeys: [{ key: SENTINEL_KEY, workspace: 'hostile' }] },
    });
    const server = await listen(harness.gateway);
    harness.simulator.injectFault({ delayMs: 50, times: Number.POSITIVE_INFINITY });
    const post = async (query: string, key: string) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query }),
      });
      return { status: response.status, json: parseJson(await response.text()) };
    };
    try {
      // The tenant has been served before: Featurebase has accepted its key.
      expect((await post(READ, SENTINEL_KEY)).json?.data).toBeDefined();
      const tenantCallsBefore = harness.simulator.countRequests();

      let attacking = true;
      let attacks = 0;
      const attackers = Array.from({ length: 10 }, async () => {
        while (attacking) {
          attacks++;
          await post(ALIASES, madeUpKey()).catch(() => undefined);
        }
      });
      const outcomes: boolean[] = [];
      for (let poll = 0; poll < 20; poll++) {
        const started = performance.now();
        const answer = await post(READ, SENTINEL_KEY).catch(() => undefined);
        outcomes.push(answer?.status === 200 && answer.json?.errors === undefined);
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(0, 100 - (performance.now() - started))),
        );
      }
      attacking = false;
      await Promise.all(attackers);

      const succeeded = outcomes.filter(Boolean).length;
      expect(
        succeeded / outcomes.length,
        `${succeeded} of ${outcomes.length}`,
      ).toBeGreaterThanOrEqual(0.95);
      const attackCalls = harness.simulator.countRequests() - tenantCallsBefore - outcomes.length;
      expect(attacks).toBeGreaterThan(10);
      // One probe per attack at most, never one call per aliased field.
      expect(attackCalls).toBeLessThanOrEqual(attacks);
    } finally {
      await server.close();
      await harness.close();
    }
  });
});

describe('R07 one key provoking failures', () => {
  it.each([
    [
      'a redirect to another origin',
      { status: 307, headers: { location: 'https://elsewhere.example/v2/webhooks' } },
    ],
    ['an unusable 200 body', { status: 200, body: '{"id":' }],
    ['a 401 for every call', { status: 401, body: {} }],
  ])(
    'R07 %s on every call of one key: the breaker stays closed for the others',
    async (_, fault) => {
      hostile.harness.simulator.injectFault({
        match: { apiKey: OTHER_KEY },
        times: Number.POSITIVE_INFINITY,
        ...fault,
      });
      const headers = { authorization: `Bearer ${OTHER_KEY}` };
      // Enough failures to open a breaker that counted them (10 calls, all failing).
      for (let round = 0; round < 15; round++) {
        const answer = await hostile.graphql(READ, undefined, { headers });
        expect(answer.json?.errors?.length).toBeGreaterThan(0);
      }
      const health = await hostile.fetch('/health');
      expect(parseJson(health.text)).toMatchObject({ upstream: { breaker: 'closed' } });
      const tenant = await hostile.graphql(READ);
      expect(tenant.json).toEqual({ data: { webhook: { id: SENTINEL_ID, name: 'Sentinel' } } });
      hostile.harness.simulator.clearFaults();
    },
  );
});
