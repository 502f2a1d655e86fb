/**
 * What the client remembers of Featurebase's verdicts on keys (src/upstream/resilience/key-verdicts.ts):
 * refusals for a short while, acceptances for longer, one probe at a time for an unknown key,
 * and bounded maps. A hand-driven clock; no timing.
 */

import { describe, expect, it } from 'vitest';
import { type KeyAdmission, KeyVerdicts } from '../../src/upstream/resilience/key-verdicts.ts';

function verdicts(overrides: Partial<ConstructorParameters<typeof KeyVerdicts>[0]> = {}) {
  const clock = { now: 1_000_000 };
  const memory = new KeyVerdicts({
    maxKeys: 3,
    rejectedTtlMs: 60_000,
    acceptedTtlMs: 600_000,
    now: () => clock.now,
    ...overrides,
  });
  return { memory, clock };
}

/** `admit` without a probe to wait for answers in the same tick. */
function now(admission: KeyAdmission | Promise<KeyAdmission>): KeyAdmission {
  if (admission instanceof Promise) throw new Error('expected an answer without waiting');
  return admission;
}

const REJECTION = {
  status: 401,
  details: { type: 'authentication_error', code: 'api_key_invalid' },
};

describe('KeyVerdicts', () => {
  it('remembers a refusal for its time to live, then forgets it', () => {
    const { memory, clock } = verdicts();
    memory.reject('k', REJECTION);
    expect(memory.rejection('k')).toEqual(REJECTION);
    clock.now += 59_999;
    expect(memory.rejection('k')).toEqual(REJECTION);
    clock.now += 1;
    expect(memory.rejection('k')).toBeUndefined();
  });

  it('remembers no refusal with a time to live of 0', () => {
    const { memory } = verdicts({ rejectedTtlMs: 0 });
    memory.reject('k', REJECTION);
    expect(memory.rejection('k')).toBeUndefined();
  });

  it('an unknown key goes one call at a time: the others wait for the answer to the first', async () => {
    const { memory } = verdicts();
    const probe = now(memory.admit('k', 10_000, undefined));
    expect(probe.accepted).toBe(false);
    const waiting = memory.admit('k', 10_000, undefined);
    expect(waiting).toBeInstanceOf(Promise);
    let done = false;
    void Promise.resolve(waiting).then(() => {
      done = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    probe.settle(200);
    const second = await waiting;
    expect(second.accepted).toBe(true);
    // Accepted: no waiting at all from now on.
    expect(now(memory.admit('k', 10_000, undefined)).accepted).toBe(true);
  });

  it('a call waiting for a probe gives up after its own time, as a key not yet accepted', async () => {
    const { memory } = verdicts();
    now(memory.admit('k', 10_000, undefined));
    const waited = await memory.admit('k', 1, undefined);
    expect(waited.accepted).toBe(false);
  });

  it('answers about the request accept the key; 5xx, 429 and no answer say nothing', () => {
    for (const status of [200, 201, 400, 404, 409, 410, 422]) {
      const { memory } = verdicts();
      now(memory.admit('k', 0, undefined)).settle(status);
      expect(memory.isAccepted('k'), `status ${status}`).toBe(true);
    }
    for (const status of [429, 500, 503, undefined]) {
      const { memory } = verdicts();
      now(memory.admit('k', 0, undefined)).settle(status);
      expect(memory.isAccepted('k'), `status ${status}`).toBe(false);
    }
  });

  it('an acceptance lasts its time to live after the last confirmation', () => {
    const { memory, clock } = verdicts();
    now(memory.admit('k', 0, undefined)).settle(200);
    clock.now += 500_000;
    now(memory.admit('k', 0, undefined)).settle(200);
    clock.now += 500_000;
    expect(memory.isAccepted('k')).toBe(true);
    clock.now += 100_000;
    expect(memory.isAccepted('k')).toBe(false);
  });

  it('a refusal ends an acceptance', () => {
    const { memory } = verdicts();
    now(memory.admit('k', 0, undefined)).settle(200);
    memory.reject('k', REJECTION);
    expect(memory.isAccepted('k')).toBe(false);
    expect(memory.rejection('k')).toEqual(REJECTION);
  });

  it('holds at most maxKeys of each verdict, oldest forgotten first', () => {
    const { memory } = verdicts({ maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd']) memory.reject(key, REJECTION);
    expect(['a', 'b', 'c', 'd'].map((key) => memory.rejection(key) !== undefined)).toEqual([
      false,
      true,
      true,
      true,
    ]);
    for (const key of ['e', 'f', 'g', 'h']) now(memory.admit(key, 0, undefined)).settle(200);
    expect(['e', 'f', 'g', 'h'].map((key) => memory.isAccepted(key))).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });
});
