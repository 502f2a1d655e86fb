/**
 * `Idempotency-Key` on mutations (src/webhooks/idempotency.ts), through the gateway and the
 * simulator: at most once per key and API key, repeats re-read, other input refused, concurrent
 * repeats wait, an unknown outcome is never sent again, a refused one is.
 */

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { API_KEY, startTestGateway } from '../support/gateway.ts';

const OTHER_KEY = 'sk_idempotency_second_key';
const harness = await startTestGateway({
  client: { timeoutMs: 300, totalTimeoutMs: 600 },
  simulator: {
    apiKeys: [
      { key: API_KEY, workspace: 'demo' },
      { key: OTHER_KEY, workspace: 'demo' },
    ],
  },
});
afterAll(() => harness.close());
beforeEach(() => harness.simulator.reset());

const [id = ''] = SEED_WEBHOOK_IDS;
let keys = 0;
const newKey = () => `order-${Date.now()}-${keys++}`;

const CREATE = `mutation ($name: String!) {
  createWebhook(input: { name: $name, url: "https://example.com/hook", topics: [POST_CREATED] }) { id name secret }
}`;
const creates = () => harness.simulator.countRequests({ method: 'POST', path: '/v2/webhooks' });

function create(name: string, key: string, apiKey = API_KEY) {
  return harness.graphql(
    CREATE,
    { name },
    { 'idempotency-key': key, authorization: `Bearer ${apiKey}` },
  );
}

describe('Idempotency-Key', () => {
  it('creates once: a repeat gets the same webhook, re-read, with its secret', async () => {
    const key = newKey();
    const first = await create('Orders', key);
    const again = await create('Orders', key);
    expect(first.body.errors).toBeUndefined();
    expect(again.body).toEqual(first.body);
    expect(creates()).toBe(1);
    expect(
      harness.simulator.countRequests({
        method: 'GET',
        path: `/v2/webhooks/${createdId(first.body)}`,
      }),
    ).toBe(1);
  });

  it('concurrent repeats wait for the first: one webhook', async () => {
    harness.simulator.injectFault({ delayMs: 150, match: { method: 'POST' }, times: 1 });
    const key = newKey();
    const answers = await Promise.all(Array.from({ length: 5 }, () => create('Burst', key)));
    expect(answers.map((answer) => answer.body.errors)).toEqual(Array(5).fill(undefined));
    expect(new Set(answers.map((answer) => createdId(answer.body))).size).toBe(1);
    expect(creates()).toBe(1);
  });

  it('refuses a repeat with other input, and costs nothing upstream', async () => {
    const key = newKey();
    await create('First', key);
    const other = await create('Second', key);
    expect(other.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(other.body.errors?.[0]?.message).toContain('Idempotency-Key');
    expect(creates()).toBe(1);
  });

  it('is per API key: the same key from another API key is another request', async () => {
    const key = newKey();
    await create('Mine', key);
    await create('Mine', key, OTHER_KEY);
    expect(creates()).toBe(2);
  });

  it('after a timeout (outcome unknown), a repeat is not sent: never a second webhook', async () => {
    harness.simulator.injectFault({ delayMs: 2000, match: { method: 'POST' }, times: 1 });
    const key = newKey();
    const first = await create('Slow', key);
    expect(first.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_TIMEOUT');
    const again = await create('Slow', key);
    expect(again.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_TIMEOUT');
    expect(again.body.errors?.[0]?.message).toContain('outcome is unknown');
    expect(creates()).toBe(1);
  });

  it('after a refusal Featurebase answered, a repeat is sent again', async () => {
    harness.simulator.injectFault({ status: 422, match: { method: 'POST' }, times: 1 });
    const key = newKey();
    const refused = await create('Refused', key);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const again = await create('Refused', key);
    expect(again.body.errors).toBeUndefined();
    expect(creates()).toBe(2);
  });

  it('rotates once: a repeat reads the secret the rotation left', async () => {
    const key = newKey();
    const rotate = () =>
      harness.graphql(
        'mutation ($id: ID!) { refreshWebhookSecret(id: $id) { id secret } }',
        { id },
        { 'idempotency-key': key },
      );
    const first = await rotate();
    const again = await rotate();
    expect(again.body).toEqual(first.body);
    expect(
      harness.simulator.countRequests({ method: 'POST', path: `/v2/webhooks/${id}/secret` }),
    ).toBe(1);
  });

  it('updates once: a repeat reads the webhook, and other input under the key is refused', async () => {
    const key = newKey();
    const update = (name: string) =>
      harness.graphql(
        'mutation ($id: ID!, $name: String!) { updateWebhook(id: $id, input: { name: $name }) { id name } }',
        { id, name },
        { 'idempotency-key': key },
      );
    const first = await update('Renamed once');
    const again = await update('Renamed once');
    expect(first.body.errors).toBeUndefined();
    expect(again.body).toEqual(first.body);
    const other = await update('Renamed twice');
    expect(other.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(harness.simulator.countRequests({ method: 'PATCH' })).toBe(1);
  });

  it('deletes once: a repeat gets the deletion again, not NOT_FOUND', async () => {
    const key = newKey();
    const remove = () =>
      harness.graphql(
        'mutation ($id: ID!) { deleteWebhook(id: $id) { id deleted } }',
        { id },
        { 'idempotency-key': key },
      );
    const first = await remove();
    const again = await remove();
    expect(first.body.errors).toBeUndefined();
    expect(again.body).toEqual(first.body);
    expect(harness.simulator.countRequests({ method: 'DELETE' })).toBe(1);
  });

  it('refuses a key that is not 1-255 printable ASCII characters, before any call', async () => {
    for (const bad of ['x'.repeat(256), 'tab\there', 'é']) {
      const answer = await harness.graphql(CREATE, { name: 'Bad key' }, { 'idempotency-key': bad });
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(harness.simulator.requests).toHaveLength(0);
  });
});

function createdId(body: { data?: Record<string, unknown> | null }): string | undefined {
  return (body.data?.['createWebhook'] as { id?: string } | undefined)?.id;
}
