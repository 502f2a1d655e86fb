/**
 * What Featurebase says of a key's rate limit, shared between instances
 * (src/upstream/resilience/shared-rate-limits.ts): two clients (two "instances") over one shared
 * state, in front of the simulator's per-key limit over real loopback HTTP. Once one client
 * learns the key's quota is used up, the other refuses calls for that key without sending them.
 */

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, SEED_WEBHOOK_IDS, startSimulator } from '../../src/simulator/index.ts';
import { KeyedHash } from '../../src/state/keyed-hash.ts';
import { MemoryState } from '../../src/state/memory-state.ts';
import type { SharedState } from '../../src/state/shared-state.ts';
import { RateLimitGateError } from '../../src/upstream/errors.ts';
import { createFeaturebaseClient, createUpstreamAgent } from '../../src/upstream/index.ts';
import { SharedRateLimits } from '../../src/upstream/resilience/shared-rate-limits.ts';

const OTHER_KEY = 'sk_shared_rate_limit_other_key';
// The simulator counts calls in windows aligned to its clock's minutes: a clock standing at the
// start of a minute keeps every test inside one window, whenever it runs.
const MINUTE_START = Math.floor(Date.now() / 60_000) * 60_000;
const upstream = await startSimulator({
  host: '127.0.0.1',
  port: 0,
  now: () => MINUTE_START,
  rateLimitPerMinute: 3,
  apiKeys: [
    { key: DEMO_API_KEY, workspace: 'demo' },
    { key: OTHER_KEY, workspace: 'demo' },
  ],
});
const agents = [createUpstreamAgent(), createUpstreamAgent()];
afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  await upstream.close();
});
afterEach(() => upstream.simulator.reset());

const [id = ''] = SEED_WEBHOOK_IDS;
const hash = new KeyedHash('shared rate limits test secret, 32+ characters');

function instance(agentIndex: number, state: SharedState, share = true) {
  return createFeaturebaseClient({
    baseUrl: upstream.url,
    dispatcher: agents[agentIndex] as ReturnType<typeof createUpstreamAgent>,
    timeoutMs: 2000,
    shareReads: false,
    ...(share
      ? {
          sharedRateLimits: new SharedRateLimits({
            state,
            hash,
            now: Date.now,
            maxKeys: 100,
            // Look on every call: the test needs the news at once, not within 250 ms.
            refreshMs: 0,
          }),
        }
      : {}),
  });
}

const caller = (apiKey = DEMO_API_KEY) => ({
  apiKey,
  apiVersion: '2026-01-01.nova',
  requestId: 'shared-rate-limits',
});
const calls = () => upstream.simulator.countRequests({ method: 'GET' });

describe('rate limits shared between instances', () => {
  it('once one instance used up the key’s quota, the other refuses its calls without sending them', async () => {
    const state = new MemoryState();
    const [first, second] = [instance(0, state), instance(1, state)];
    // Three calls a minute: the third answer says none is left.
    for (let call = 0; call < 3; call++) await first.webhooks.retrieve(id, caller());
    expect(calls()).toBe(3);
    await expect(second.webhooks.retrieve(id, caller())).rejects.toBeInstanceOf(RateLimitGateError);
    expect(calls()).toBe(3);
    // Another key is not held back.
    await second.webhooks.retrieve(id, caller(OTHER_KEY));
    expect(calls()).toBe(4);
  });

  it('without sharing, the other instance learns it only from its own 429', async () => {
    const state = new MemoryState();
    const [first, second] = [instance(0, state, false), instance(1, state, false)];
    for (let call = 0; call < 3; call++) await first.webhooks.retrieve(id, caller());
    const refused = await second.webhooks.retrieve(id, caller()).catch((error: unknown) => error);
    expect(refused).not.toBeInstanceOf(RateLimitGateError);
    expect(calls()).toBe(4);
  });

  it('writes only a hash of the key and a time, with a time to live', async () => {
    const written: string[] = [];
    const memory = new MemoryState();
    const recording: SharedState = {
      get: (key) => memory.get(key),
      set: (key, value, ttl) => memory.set(key, value, ttl),
      setIfAbsent: (key, value, ttl) => memory.setIfAbsent(key, value, ttl),
      deleteIf: (key, value) => memory.deleteIf(key, value),
      raiseTo: async (key, value, ttl) => {
        written.push(key, String(value), String(ttl));
        return memory.raiseTo(key, value, ttl);
      },
      close: () => memory.close(),
    };
    const first = instance(0, recording);
    for (let call = 0; call < 3; call++) await first.webhooks.retrieve(id, caller());
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toHaveLength(3);
    const [key = '', until = '', ttl = ''] = written;
    expect(key).toMatch(/^rate-limit:[\w-]{43}$/);
    expect(key).not.toContain(DEMO_API_KEY);
    expect(Number(until)).toBeGreaterThan(Date.now() - 1000);
    expect(Number(ttl)).toBeGreaterThan(0);
  });
});
