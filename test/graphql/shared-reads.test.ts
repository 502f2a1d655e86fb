/**
 * Ten tabs of one dashboard polling the same list at the same moment cost Featurebase one call
 * (src/upstream/request/shared-reads.ts); two keys still cost two.
 */

import { afterAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway.ts';

const harness = await startTestGateway();
afterAll(() => harness.close());

const LIST = '{ webhooks(first: 3) { nodes { id name health { consecutiveFailures } } } }';

describe('identical reads through the gateway', () => {
  it('ten identical list queries in flight together make one Featurebase call', async () => {
    harness.simulator.reset();
    const answers = await Promise.all(Array.from({ length: 10 }, () => harness.graphql(LIST)));
    for (const answer of answers) {
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body).toEqual(answers[0]?.body);
    }
    expect(harness.simulator.countRequests({ method: 'GET' })).toBe(1);
  });

  it('a key the others do not share makes its own call', async () => {
    harness.simulator.reset();
    const answers = await Promise.all([
      harness.graphql(LIST),
      harness.graphql(LIST, undefined, { authorization: 'Bearer sk_another_key_not_accepted' }),
    ]);
    expect(answers[0]?.body.errors).toBeUndefined();
    expect(answers[1]?.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(harness.simulator.countRequests({ method: 'GET' })).toBe(2);
  });
});
