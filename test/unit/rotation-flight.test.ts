/**
 * One rotation at a time per webhook (src/webhooks/rotation-flight.ts), with two "instances"
 * (two RotationFlight objects over one shared state) and callers that count what they send.
 */

import { describe, expect, it } from 'vitest';
import { MemoryState } from '../../src/state/memory-state.ts';
import type { SharedState } from '../../src/state/shared-state.ts';
import type { WireWebhook } from '../../src/upstream/wire.ts';
import { RotationFlight, type RotationRequest } from '../../src/webhooks/rotation-flight.ts';

const ID = '65b0c0ffee0000000000000a';

/** A Featurebase of one webhook: each rotation makes a new secret; reads see the current one. */
function featurebase() {
  let secret = 'whsec_0';
  let rotations = 0;
  let reads = 0;
  const webhook = () => ({ id: ID, secret }) as unknown as WireWebhook;
  return {
    get rotations() {
      return rotations;
    },
    get reads() {
      return reads;
    },
    get secret() {
      return secret;
    },
    /** A caller with these credentials; its rotation waits for `gate` when given one. */
    caller(credentials: string, gate?: Promise<void>, fail?: Error): RotationRequest {
      return {
        id: ID,
        credentials,
        async rotate() {
          rotations++;
          await gate;
          if (fail) throw fail;
          secret = `whsec_${rotations}`;
          return webhook();
        },
        async read() {
          reads++;
          return webhook();
        },
      };
    },
  };
}

function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

function instances(state: SharedState = new MemoryState(), shareWindowMs = 0) {
  const options = { state, shareWindowMs, leaseMs: 400, pollMs: 2 };
  return [new RotationFlight(options), new RotationFlight(options)] as const;
}

const secretOf = (webhook: WireWebhook) => (webhook as unknown as { secret: string }).secret;

describe('in one instance', () => {
  it('gives callers with the leader’s credentials its answer, and others a read of their own', async () => {
    const upstream = featurebase();
    const [flight] = instances();
    const slow = gate();
    const leader = flight.rotate(upstream.caller('key-a', slow.opened));
    const same = flight.rotate(upstream.caller('key-a'));
    const other = flight.rotate(upstream.caller('key-b'));
    slow.open();
    const secrets = (await Promise.all([leader, same, other])).map(secretOf);
    expect(secrets).toEqual([upstream.secret, upstream.secret, upstream.secret]);
    expect(upstream.rotations).toBe(1);
    expect(upstream.reads).toBe(1);
    expect(flight.size).toBe(0);
  });

  it('shares a failure with the same credentials only: others try on their own', async () => {
    const upstream = featurebase();
    const [flight] = instances();
    const slow = gate();
    const refused = new Error('refused');
    const leader = flight.rotate(upstream.caller('key-a', slow.opened, refused));
    const same = flight.rotate(upstream.caller('key-a'));
    const other = flight.rotate(upstream.caller('key-b'));
    slow.open();
    await expect(leader).rejects.toBe(refused);
    await expect(same).rejects.toBe(refused);
    expect(secretOf(await other)).toBe(upstream.secret);
    expect(upstream.rotations).toBe(2);
  });
});

describe('across instances', () => {
  it('a caller on another instance waits for the rotation in flight, then reads', async () => {
    const upstream = featurebase();
    const [first, second] = instances();
    const slow = gate();
    const leader = first.rotate(upstream.caller('key-a', slow.opened));
    // The follower must find the lease taken: it starts once the leader's call is out.
    await until(() => upstream.rotations === 1);
    const follower = second.rotate(upstream.caller('key-b'));
    slow.open();
    expect(secretOf(await follower)).toBe(secretOf(await leader));
    expect(upstream.rotations).toBe(1);
    expect(upstream.reads).toBe(1);
  });

  it('after the leader failed, a waiting caller rotates on its own', async () => {
    const upstream = featurebase();
    const [first, second] = instances();
    const slow = gate();
    const leader = first.rotate(upstream.caller('key-a', slow.opened, new Error('timeout')));
    await until(() => upstream.rotations === 1);
    const follower = second.rotate(upstream.caller('key-b'));
    slow.open();
    await expect(leader).rejects.toThrow('timeout');
    expect(secretOf(await follower)).toBe(upstream.secret);
    expect(upstream.rotations).toBe(2);
    expect(upstream.reads).toBe(0);
  });

  it('when the leader died holding the lease, a caller rotates once the lease expires', async () => {
    const state = new MemoryState();
    const upstream = featurebase();
    await state.setIfAbsent(`rotation-lease:${ID}`, 'a-dead-instance', 50);
    const [flight] = instances(state);
    expect(secretOf(await flight.rotate(upstream.caller('key-a')))).toBe(upstream.secret);
    expect(upstream.rotations).toBe(1);
  });

  it('within the share window, a later rotation on another instance reads instead', async () => {
    const upstream = featurebase();
    const [first, second] = instances(new MemoryState(), 60_000);
    const rotated = secretOf(await first.rotate(upstream.caller('key-a')));
    expect(secretOf(await second.rotate(upstream.caller('key-b')))).toBe(rotated);
    expect(upstream.rotations).toBe(1);
    expect(upstream.reads).toBe(1);
  });

  it('without a window, a later rotation rotates again', async () => {
    const upstream = featurebase();
    const [first, second] = instances();
    await first.rotate(upstream.caller('key-a'));
    await second.rotate(upstream.caller('key-b'));
    expect(upstream.rotations).toBe(2);
  });

  it('leaves nothing but ids, tokens and marks in the shared state', async () => {
    const written: string[] = [];
    const state = new MemoryState();
    const recording: SharedState = {
      get: (key) => state.get(key),
      set: async (key, value, ttl) => {
        written.push(key, value);
        await state.set(key, value, ttl);
      },
      setIfAbsent: async (key, value, ttl) => {
        written.push(key, value);
        return state.setIfAbsent(key, value, ttl);
      },
      deleteIf: (key, value) => state.deleteIf(key, value),
      raiseTo: (key, value, ttl) => state.raiseTo(key, value, ttl),
      close: () => state.close(),
    };
    const upstream = featurebase();
    const [flight] = instances(recording, 1000);
    await flight.rotate(upstream.caller('sk_secret_key'));
    expect(written.length).toBeGreaterThan(0);
    expect(written.join('\n')).not.toMatch(/whsec_|sk_secret_key/);
  });
});

/** Waits (by turns of the event loop, not by the clock) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 10_000 && !condition(); turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(condition()).toBe(true);
}
