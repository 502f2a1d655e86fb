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
const FOREIGN_KEY = 'sk_foreign_workspace_key';
// No share window here (the test harness's default), so that each test's rotations are its own;
// the window has its own test.
const harness = await startTestGateway({
  simulator: {
    apiKeys: [
      { key: API_KEY, workspace: 'demo' },
      { key: OTHER_KEY, workspace: 'demo' },
      { key: FOREIGN_KEY, workspace: 'elsewhere' },
    ],
  },
});
afterAll(() => harness.close());
beforeEach(() => harness.simulator.reset());

const [id, otherId] = SEED_WEBHOOK_IDS as [string, string];
const rotations = (webhookId = id) =>
  harness.simulator.countRequests({ method: 'POST', path: `/v2/webhooks/${webhookId}/secret` });
const reads = (webhookId = id) =>
  harness.simulator.countRequests({ method: 'GET', path: `/v2/webhooks/${webhookId}` });
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

  it('with a share window, shares a rotation that completed within it', async () => {
    const windowed = await startTestGateway({ rotationShareWindowMs: 60_000 });
    try {
      const rotate = async () =>
        (await windowed.graphql(RotateWebhookSecretDocument, { id })).body.data
          ?.refreshWebhookSecret.secret;
      const first = await rotate();
      const second = await rotate();
      expect(second).toBe(first);
      expect(second).toBe(windowed.simulator.peekWebhook(API_KEY, id)?.secret);
      const count = (method: string, path: string) =>
        windowed.simulator.countRequests({ method, path });
      expect(count('POST', `/v2/webhooks/${id}/secret`)).toBe(1);
      expect(count('GET', `/v2/webhooks/${id}`)).toBe(1);
    } finally {
      await windowed.close();
    }
  });

  it('without one (0), rotates again in a later request: sharing ends when the call does', async () => {
    const first = await harness.graphql(RotateWebhookSecretDocument, { id });
    const second = await harness.graphql(RotateWebhookSecretDocument, { id });
    expect(first.body.data?.refreshWebhookSecret.secret).not.toBe(
      second.body.data?.refreshWebhookSecret.secret,
    );
    expect(rotations()).toBe(2);
    expect(reads()).toBe(0);
  });

  it('shares between keys and versions, each reading the result with its own credentials', async () => {
    // The simulator seeds every workspace with the same ids (Featurebase's are unique): the
    // other workspace's copy goes, so that `id` names a webhook only the demo workspace has.
    await harness.graphql(
      'mutation ($id: ID!) { deleteWebhook(id: $id) { id } }',
      { id },
      { authorization: `Bearer ${FOREIGN_KEY}` },
    );
    harness.simulator.injectFault({ delayMs: 150, match: { method: 'POST' }, times: 2 });
    const [mine, other, theirs, outsider] = await Promise.all([
      harness.graphql(RotateWebhookSecretDocument, { id }),
      harness.graphql(RotateWebhookSecretDocument, { id: otherId }),
      harness.graphql(
        RotateWebhookSecretDocument,
        { id },
        { authorization: `Bearer ${OTHER_KEY}` },
      ),
      harness.graphql(
        RotateWebhookSecretDocument,
        { id },
        { authorization: `Bearer ${FOREIGN_KEY}` },
      ),
    ]);
    expect([mine, other, theirs].every((response) => response.body.errors === undefined)).toBe(
      true,
    );
    expect(rotations(id)).toBe(1);
    expect(rotations(otherId)).toBe(1);
    expect(theirs.body.data?.refreshWebhookSecret.secret).toBe(heldSecret());
    expect(mine.body.data?.refreshWebhookSecret.secret).toBe(heldSecret());
    // Featurebase still decides who may see the webhook: another workspace's key may not.
    expect(outsider.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(outsider.body.data?.refreshWebhookSecret).toBeUndefined();
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
