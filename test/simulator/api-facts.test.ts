/**
 * The simulator's facts (src/simulator/api-facts.ts) and the gateway's (src/upstream/wire.ts)
 * are written separately from the API notes: they must say the same, so that a mistake in
 * either one fails here instead of agreeing with itself everywhere else.
 */

import { describe, expect, it } from 'vitest';
import { API_MINIMUM_VERSION, API_TOPICS } from '../../src/simulator/api-facts.ts';
import { MINIMUM_API_VERSION, WEBHOOK_TOPICS } from '../../src/upstream/wire.ts';

describe("the gateway's constants equal the simulator's", () => {
  it('the 28 topics of featurebase-node@0.14.1', () => {
    expect(API_TOPICS).toHaveLength(28);
    expect(new Set(API_TOPICS).size).toBe(28);
    expect([...WEBHOOK_TOPICS].sort()).toEqual([...API_TOPICS].sort());
  });

  it('the first API version with webhooks', () => {
    expect(API_MINIMUM_VERSION).toBe('2026-01-01.nova');
    expect(MINIMUM_API_VERSION).toBe(API_MINIMUM_VERSION);
  });
});
