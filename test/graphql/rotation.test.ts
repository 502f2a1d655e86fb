/**
 * Secret rotation is destructive: Featurebase drops the old secret at once. However many times a
 * rotation is asked for at the same moment, in one operation or in concurrent requests, it must
 * happen once, and every caller must get the one secret Featurebase holds afterwards.
 */

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { RotateWebhookSecretDocument } from '../../schema/generated/operations.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { API_KEY, startTestGateway } from '../support/gateway.ts';

const OTHER_KEY = 'sk_other_workspace_key';
const harness = await startTestGateway({
  simulator: {
    apiKeys: [
      { key: API_KEY, workspace: 'demo' },
      { key: OTHER_KEY, workspace: 'demo' },
    ],
  },
});
afterAll(() => harness.close());
beforeEach(() => harness.simulator.reset());

const [id, otherId] = SEED_WEBHOOK_IDS as [string, string];
const rotations = (webhookId = id) =>
  harness.simulator.countRequests({ method: 'POST', path: `/v2/webhooks/${webhookId}/secret` });
const heldSecret = (webhookId = id) => harness.simulator.peekWebhook(API_KEY, webhookId)?.secret;

describe('single-flight rotation', () => {
  it('20 concurrent rotations of one webhook cost one upstream call and all get the held secret', async () => {
    // A slow Featurebase keeps the first rotation in flight while the others arrive.
    harness.simulator.injectFault({ delayMs: 200, match: { method: 'POST' } });
    const before = heldSecret();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => harness.graphql(RotateWebhookSecretDocument, { id })),
    );
    const secrets = responses.map((response) => response.body.data?.refreshWebhookSecret.secret);

    expect(responses.every((response) => response.body.errors === undefined)).toBe(true);
    expect(rotations()).toBe(1);
    expect(new Set(secrets).size).toBe(1);
    expect(secrets[0]).toBe(heldSecret());
    expect(secrets[0]).not.toBe(before);
  });

  it('five aliased rotations of one webhook in one mutation rotate it once', async () => {
    const response = await harness.graphql(
      `mutation ($id: ID!) {
        a: refreshWebhookSecret(id: $id) { secret }
        b: refreshWebhookSecret(id: $id) { secret }
        c: refreshWebhookSecret(id: $id) { secret }
        d: refreshWebhookSecret(id: $id) { secret }
        e: refreshWebhookSecret(id: $id) { secret }
      }`,
      { id },
    );
    expect(response.body.errors).toBeUndefined();
    const secrets = Object.values(response.body.data ?? {}).map(
      (field) => (field as { secret: string }).secret,
    );
    expect(secrets).toHaveLength(5);
    expect(new Set(secrets)).toEqual(new Set([heldSecret()]));
    expect(rotations()).toBe(1);
  });

  it('rotates again in a later request: sharing ends when the call does', async () => {
    const first = await harness.graphql(RotateWebhookSecretDocument, { id });
    const second = await harness.graphql(RotateWebhookSecretDocument, { id });
    expect(first.body.data?.refreshWebhookSecret.secret).not.toBe(
      second.body.data?.refreshWebhookSecret.secret,
    );
    expect(rotations()).toBe(2);
  });

  it('does not share between different webhooks, nor between different keys', async () => {
    harness.simulator.injectFault({ delayMs: 150, match: { method: 'POST' }, times: 3 });
    const [mine, other, theirs] = await Promise.all([
      harness.graphql(RotateWebhookSecretDocument, { id }),
      harness.graphql(RotateWebhookSecretDocument, { id: otherId }),
      harness.graphql(
        RotateWebhookSecretDocument,
        { id },
        { authorization: `Bearer ${OTHER_KEY}` },
      ),
    ]);
    expect([mine, other, theirs].every((response) => response.body.errors === undefined)).toBe(
      true,
    );
    expect(rotations(id)).toBe(2);
    expect(rotations(otherId)).toBe(1);
    expect(mine.body.data?.refreshWebhookSecret.secret).not.toBe(
      theirs.body.data?.refreshWebhookSecret.secret,
    );
  });

  it('gives every concurrent caller the same error when the shared rotation fails, once', async () => {
    harness.simulator.injectFault({ status: 500, delayMs: 100, match: { method: 'POST' } });
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => harness.graphql(RotateWebhookSecretDocument, { id })),
    );
    expect(responses.map((response) => response.body.errors?.[0]?.extensions?.code)).toEqual(
      Array(5).fill('UPSTREAM_UNAVAILABLE'),
    );
    expect(rotations()).toBe(1);
  });
});
