/**
 * Several gateway processes sharing one real Redis (design 1.7), in front of one simulator:
 * rotations spread over three instances make one Featurebase call and leave every caller with
 * the one valid secret, whatever API version each sends; Redis killed mid-run costs no request;
 * and nothing in Redis is a key or a secret.
 */

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, SEED_WEBHOOK_IDS, startSimulator } from '../../src/simulator/index.ts';
import { type LaunchedGateway, launchGateway, stopAll } from '../support/process.ts';
import { startRedisServer } from '../support/redis-server.ts';

const OTHER_KEY = 'sk_scale_out_second_key_0001';
const upstream = await startSimulator({
  host: '127.0.0.1',
  port: 0,
  apiKeys: [
    { key: DEMO_API_KEY, workspace: 'demo' },
    { key: OTHER_KEY, workspace: 'demo' },
  ],
});
const redis = await startRedisServer();

type Instance = LaunchedGateway;

function startGateway(): Promise<Instance> {
  return launchGateway({
    FEATUREBASE_API_URL: upstream.url,
    REDIS_URL: redis.url,
    SHARED_STATE_SECRET: 'scale-out test secret shared by every instance',
  });
}

const instances = await Promise.all([startGateway(), startGateway(), startGateway()]);
const endpoints = instances.map((instance) => instance.endpoint);

/** One series of an instance's scrape (its labels in the exposition's order). */
async function series(instance: Instance, name: string, labels = ''): Promise<number | undefined> {
  const scrape = await (await fetch(instance.metricsUrl ?? '')).text();
  const line = scrape.split('\n').find((row) => row.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
afterAll(async () => {
  await stopAll();
  await redis.stop();
  await upstream.close();
});
beforeEach(() => upstream.simulator.reset());

const [id = '', otherId = ''] = SEED_WEBHOOK_IDS;
const ROTATE = 'mutation ($id: ID!) { refreshWebhookSecret(id: $id) { id secret } }';
const VERSIONS = ['2026-01-01.nova', '2026-08-19.orbit'];

interface Answer {
  data?: { refreshWebhookSecret?: { id: string; secret: string } | null } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function rotate(
  endpoint: string,
  webhookId: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${DEMO_API_KEY}`,
      ...headers,
    },
    body: JSON.stringify({ query: ROTATE, variables: { id: webhookId } }),
  });
  return (await response.json()) as Answer;
}

const rotations = (webhookId: string) =>
  upstream.simulator.countRequests({ method: 'POST', path: `/v2/webhooks/${webhookId}/secret` });
const heldSecret = (webhookId: string) =>
  upstream.simulator.peekWebhook(DEMO_API_KEY, webhookId)?.secret;

describe('several instances sharing Redis', { timeout: 60_000 }, () => {
  it('20 concurrent rotations over 3 instances: one Featurebase call, every caller the valid secret', async () => {
    // A slow Featurebase keeps the rotation in flight while the other instances' callers arrive.
    upstream.simulator.injectFault({ delayMs: 400, match: { method: 'POST' }, times: 1 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        rotate(endpoints[index % endpoints.length] ?? '', id),
      ),
    );
    expect(answers.map((answer) => answer.errors)).toEqual(Array(20).fill(undefined));
    const secrets = new Set(answers.map((answer) => answer.data?.refreshWebhookSecret?.secret));
    expect(rotations(id)).toBe(1);
    expect([...secrets]).toEqual([heldSecret(id)]);
  });

  it('the same with mixed keys and API versions: still one call', async () => {
    upstream.simulator.injectFault({ delayMs: 400, match: { method: 'POST' }, times: 1 });
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        rotate(endpoints[index % endpoints.length] ?? '', otherId, {
          'featurebase-version': VERSIONS[index % VERSIONS.length] ?? '',
          ...(index % 4 === 3 ? { authorization: `Bearer ${OTHER_KEY}` } : {}),
        }),
      ),
    );
    expect(answers.map((answer) => answer.errors)).toEqual(Array(12).fill(undefined));
    expect(rotations(otherId)).toBe(1);
    expect(new Set(answers.map((answer) => answer.data?.refreshWebhookSecret?.secret))).toEqual(
      new Set([heldSecret(otherId)]),
    );
  });

  it('an idempotent create sent to two instances at once makes one webhook', async () => {
    upstream.simulator.injectFault({ delayMs: 300, match: { method: 'POST' }, times: 1 });
    const create = (endpoint: string) =>
      fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${DEMO_API_KEY}`,
          'idempotency-key': 'scale-out-create-1',
        },
        body: JSON.stringify({
          query:
            'mutation { createWebhook(input: { name: "Once", url: "https://example.com/once", topics: [POST_CREATED] }) { id } }',
        }),
      }).then(
        (response) => response.json() as Promise<{ data?: { createWebhook?: { id: string } } }>,
      );
    const [first, second] = await Promise.all([
      create(endpoints[0] ?? ''),
      create(endpoints[1] ?? ''),
    ]);
    expect(first.data?.createWebhook?.id).toMatch(/^[0-9a-f]{24}$/);
    expect(second.data?.createWebhook?.id).toBe(first.data?.createWebhook?.id);
    expect(upstream.simulator.countRequests({ method: 'POST', path: '/v2/webhooks' })).toBe(1);
  });

  it('keeps no API key, secret or input in Redis: only prefixed hashes, ids, tokens and marks', async () => {
    await fetch(endpoints[2] ?? '', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${DEMO_API_KEY}`,
        'idempotency-key': 'scale-out-update-1',
      },
      body: JSON.stringify({
        query: `mutation { updateWebhook(id: "${id}", input: { name: "Renamed in secret" }) { id } }`,
      }),
    });
    const answer = await rotate(endpoints[0] ?? '', id);
    const secret = answer.data?.refreshWebhookSecret?.secret ?? '';
    expect(secret).toMatch(/^whsec_/);
    const keys = await redis.keys();
    expect(keys.length).toBeGreaterThan(0);
    const values = await Promise.all(keys.map((key) => redis.command('GET', key)));
    const everything = [...keys, ...values.map(String)].join('\n');
    expect(keys.every((key) => key.startsWith('fbgw:'))).toBe(true);
    for (const forbidden of [
      DEMO_API_KEY,
      OTHER_KEY,
      secret,
      'whsec_',
      'sk_',
      'Renamed',
      'scale-out-update',
    ]) {
      expect(everything).not.toContain(forbidden);
    }
  });

  it('answers every request while Redis is down, and uses it again once it is back', async () => {
    const first = instances[0] as Instance;
    expect(await series(first, 'gateway_shared_state_mode', '{mode="redis"}')).toBe(1);
    // Mid-run: rotations of three webhooks keep coming over the three instances while Redis
    // dies under them (Featurebase slowed, so that some are in flight when it does).
    upstream.simulator.injectFault({ delayMs: 50, match: { method: 'POST' } });
    const webhooks = SEED_WEBHOOK_IDS.slice(0, 3);
    const burst = (round: number) =>
      Promise.all(
        webhooks.flatMap((webhookId, index) =>
          endpoints.map((endpoint, instance) =>
            rotate(endpoint, webhookId, {
              ...(instance === index ? { 'idempotency-key': `outage-${round}-${index}` } : {}),
            }),
          ),
        ),
      );
    const before = burst(1);
    await redis.kill();
    const during = [...(await before), ...(await burst(2))];
    expect(during.map((answer) => answer.errors?.[0]?.message)).toEqual(
      Array(during.length).fill(undefined),
    );
    expect(
      during.every((answer) => answer.data?.refreshWebhookSecret?.secret?.startsWith('whsec_')),
    ).toBe(true);
    // The loss is counted: each of those rotations asked the state, and memory answered.
    expect(await series(first, 'gateway_shared_state_fallbacks_total')).toBeGreaterThan(0);
    expect(await series(first, 'gateway_shared_state_mode', '{mode="redis-unavailable"}')).toBe(1);
    await redis.restart();
    // Once back, a rotation's marks reach Redis again (the instances reconnect on their own).
    let keys: string[] = [];
    for (let attempt = 0; attempt < 100 && keys.length === 0; attempt++) {
      await rotate(endpoints[attempt % endpoints.length] ?? '', otherId);
      keys = await redis.keys();
      if (keys.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(keys.length).toBeGreaterThan(0);
  });
});
