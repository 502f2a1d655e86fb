/**
 * What reaches a client (and the logs, and Featurebase) of values the gateway did not make:
 * the caller's `X-Request-Id`, Featurebase's error `type`/`code`/`param` and `Retry-After`, and
 * the caller's own variable and literal values in GraphQL errors.
 */

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { GetWebhookDocument } from '../../schema/generated/operations.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { startTestGateway } from '../support/gateway.ts';

const harness = await startTestGateway();
afterAll(() => harness.close());
beforeEach(() => harness.simulator.reset());

const [id] = SEED_WEBHOOK_IDS as [string];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('X-Request-Id', () => {
  it.each([
    ['a UUID', '3f2504e0-4f89-41d3-9a63-83e9e3bd0c47'],
    ['a ULID', '01ARZ3NDEKTSV4RRFFQ69G5FAV'],
    ['a W3C trace id', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['a short id', 'req-123'],
    ['a dotted id with a colon', 'checkout.v2:42'],
  ])('keeps %s: logged, sent upstream and echoed', async (_, requestId) => {
    const response = await harness.graphql(
      GetWebhookDocument,
      { id },
      { 'x-request-id': requestId },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.headers.get('x-request-id')).toBe(requestId);
    expect(harness.simulator.requests[0]?.headers['x-request-id']).toBe(requestId);
    expect(harness.logs()).toContain(`"requestId":"${requestId}"`);
  });

  it.each([
    ['a Featurebase key', 'sk_live_abc123def456'],
    ['a webhook secret', 'whsec_Zx81kQ'],
    ['a publishable key', 'pk_test_123'],
    ['a restricted key', 'rk_live_123'],
    ['a key behind a prefix', 'req-sk_live_abc123'],
    ['a random token', 'aB3dE5fG7hJ9kL1mN3pQ5rS7'],
    ['a line break', 'a\u000bb'],
    ['a space', 'a b'],
    ['129 characters', 'r'.repeat(129)],
  ])(
    'refuses %s: a fresh UUID instead, and the value is not logged, sent or echoed',
    async (_, requestId) => {
      const response = await harness.graphql(
        GetWebhookDocument,
        { id },
        { 'x-request-id': requestId },
      );
      expect(response.body.errors).toBeUndefined();
      const used = response.headers.get('x-request-id');
      expect(used).toMatch(UUID);
      const [sent] = harness.simulator.requests;
      expect(sent?.headers['x-request-id']).toBe(used);
      expect(JSON.stringify(sent?.headers)).not.toContain(requestId);
      expect(response.text).not.toContain(requestId);
      expect(harness.logs()).not.toContain(requestId);
    },
  );
});
