/**
 * What every `SharedState` promises, as one suite run against each implementation (memory,
 * Redis, the resilient state over Redis): the same calls must mean the same everywhere, so that
 * code written against one runs unchanged on the others.
 *
 * Time is the machine's here (Redis has no other): expiry is awaited by polling with a generous
 * deadline, and "not expired yet" is shown against a control key with a short TTL that is
 * awaited to expire first, never by sleeping a guessed time. The exact millisecond of expiry
 * is checked on a clock of its own in memory-state.test.ts, and through PTTL in Redis.
 */

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_KEY_LENGTH,
  MAX_TTL_MS,
  MAX_VALUE_LENGTH,
  StateArgumentError,
  StateClosedError,
} from '../../src/state/arguments.ts';
import type { SharedState } from '../../src/state/shared-state.ts';

export interface ContractSubject {
  /** Two or more states over the same store, as separate instances would hold them. */
  states: SharedState[];
  /** Closes what `make` opened (the states themselves are closed by the suite). */
  dispose?: () => Promise<void>;
}

export interface ContractOptions {
  /** A fresh state over the same store, for the test of `close`. */
  makeOne: () => Promise<SharedState>;
}

const LONG_TTL_MS = 60_000;
const SHORT_TTL_MS = 30;

/** Polls `check` until it holds; fails after `timeoutMs` (generous: a busy machine). */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sharedStateContract(
  name: string,
  make: () => Promise<ContractSubject>,
  options: ContractOptions,
): void {
  describe(`${name}: the SharedState contract`, () => {
    let subject: ContractSubject;
    let state: SharedState;
    let other: SharedState;
    beforeAll(async () => {
      subject = await make();
      const [first, second] = subject.states;
      if (!first || !second) throw new Error('the contract needs two states over one store');
      state = first;
      other = second;
    });
    afterAll(async () => {
      await Promise.all(subject.states.map((each) => each.close()));
      await subject.dispose?.();
    });
    /** A key of this test's own. */
    const fresh = (label: string) => `contract:${label}:${randomUUID()}`;
    /** Resolves once a key set now with a short TTL has expired: time has passed beyond it. */
    const shortTtlHasPassed = async () => {
      const control = fresh('control');
      await state.set(control, 'x', SHORT_TTL_MS);
      await eventually(async () => (await state.get(control)) === undefined, 'control expired');
    };

    describe('get and set', () => {
      it('reads nothing for a key never set, and what was set, from any instance', async () => {
        const key = fresh('set');
        expect(await state.get(key)).toBeUndefined();
        await state.set(key, 'v1', LONG_TTL_MS);
        expect(await state.get(key)).toBe('v1');
        expect(await other.get(key)).toBe('v1');
      });

      it('overwrites whatever the key held, its TTL included', async () => {
        const key = fresh('overwrite');
        await state.set(key, 'old', SHORT_TTL_MS);
        await other.set(key, 'new', LONG_TTL_MS);
        await shortTtlHasPassed();
        expect(await state.get(key)).toBe('new');
      });

      it('keeps values as given: empty, unicode, the longest allowed', async () => {
        for (const value of ['', 'ünïcødé ✓', 'x'.repeat(MAX_VALUE_LENGTH)]) {
          const key = fresh('values');
          await state.set(key, value, LONG_TTL_MS);
          expect(await other.get(key)).toBe(value);
        }
      });
    });

    describe('time to live', () => {
      it('forgets a key once its TTL has passed, and keeps one whose TTL has not', async () => {
        const short = fresh('short');
        const long = fresh('long');
        await state.set(short, 'v', SHORT_TTL_MS);
        await state.set(long, 'v', LONG_TTL_MS);
        await eventually(async () => (await state.get(short)) === undefined, 'short key expired');
        expect(await other.get(short)).toBeUndefined();
        expect(await state.get(long)).toBe('v');
      });

      it('lets setIfAbsent take a key whose TTL has passed', async () => {
        const key = fresh('lease-expired');
        expect(await state.setIfAbsent(key, 'first', SHORT_TTL_MS)).toBe(true);
        await eventually(async () => (await state.get(key)) === undefined, 'lease expired');
        expect(await other.setIfAbsent(key, 'second', LONG_TTL_MS)).toBe(true);
        expect(await state.get(key)).toBe('second');
      });

      it('rounds a fractional TTL up to a whole millisecond', async () => {
        const key = fresh('fraction');
        await state.set(key, 'v', 0.2);
        await eventually(async () => (await state.get(key)) === undefined, 'fraction expired');
      });
    });

    describe('setIfAbsent', () => {
      it('sets an absent key, and leaves a present one as it is', async () => {
        const key = fresh('nx');
        expect(await state.setIfAbsent(key, 'first', LONG_TTL_MS)).toBe(true);
        expect(await other.setIfAbsent(key, 'second', LONG_TTL_MS)).toBe(false);
        expect(await state.get(key)).toBe('first');
      });

      it('has exactly one winner among many concurrent callers on every instance', async () => {
        for (let round = 0; round < 5; round++) {
          const key = fresh('race');
          const callers = Array.from({ length: 40 }, (_, index) => ({
            token: `caller-${index}`,
            on: index % 2 === 0 ? state : other,
          }));
          const won = await Promise.all(
            callers.map(({ token, on }) => on.setIfAbsent(key, token, LONG_TTL_MS)),
          );
          expect(won.filter(Boolean)).toHaveLength(1);
          const winner = callers[won.indexOf(true)]?.token;
          expect(await state.get(key)).toBe(winner);
          expect(await other.get(key)).toBe(winner);
        }
      });
    });

    describe('deleteIf', () => {
      it('deletes only while the key holds the expected value', async () => {
        const key = fresh('cad');
        await state.set(key, 'mine', LONG_TTL_MS);
        expect(await other.deleteIf(key, 'theirs')).toBe(false);
        expect(await state.get(key)).toBe('mine');
        expect(await other.deleteIf(key, 'mine')).toBe(true);
        expect(await state.get(key)).toBeUndefined();
        expect(await state.deleteIf(key, 'mine')).toBe(false);
      });

      it('deletes nothing that has expired or was never there', async () => {
        const key = fresh('cad-expired');
        expect(await state.deleteIf(key, 'v')).toBe(false);
        await state.set(key, 'v', SHORT_TTL_MS);
        await eventually(async () => (await state.get(key)) === undefined, 'key expired');
        expect(await state.deleteIf(key, 'v')).toBe(false);
      });

      it('releases a lease once when its holder releases it twice at once', async () => {
        const key = fresh('cad-race');
        await state.set(key, 'lease', LONG_TTL_MS);
        const released = await Promise.all([
          state.deleteIf(key, 'lease'),
          other.deleteIf(key, 'lease'),
          state.deleteIf(key, 'lease'),
        ]);
        expect(released.filter(Boolean)).toHaveLength(1);
      });

      it('never deletes a lease taken again by someone else after it expired', async () => {
        const key = fresh('cad-retaken');
        await state.setIfAbsent(key, 'old-holder', SHORT_TTL_MS);
        await eventually(async () => other.setIfAbsent(key, 'new-holder', LONG_TTL_MS), 'retaken');
        expect(await state.deleteIf(key, 'old-holder')).toBe(false);
        expect(await state.get(key)).toBe('new-holder');
      });
    });

    describe('raiseTo', () => {
      it('sets an absent key, raises a lower number, and never lowers one', async () => {
        const key = fresh('raise');
        expect(await state.raiseTo(key, 1_700_000_000_000, LONG_TTL_MS)).toBe(1_700_000_000_000);
        expect(await other.raiseTo(key, 1_700_000_000_500, LONG_TTL_MS)).toBe(1_700_000_000_500);
        expect(await state.raiseTo(key, 1_700_000_000_100, LONG_TTL_MS)).toBe(1_700_000_000_500);
        expect(await other.get(key)).toBe('1700000000500');
      });

      it('takes negative, fractional and very large numbers, and reads them back alike', async () => {
        for (const [first, second, held] of [
          [-5, -7, -5],
          [0.25, 0.5, 0.5],
          [1e21, 1, 1e21],
        ] as const) {
          const key = fresh('numbers');
          await state.raiseTo(key, first, LONG_TTL_MS);
          expect(await other.raiseTo(key, second, LONG_TTL_MS)).toBe(held);
        }
      });

      it('ends at the highest of many concurrent raises', async () => {
        const key = fresh('raise-race');
        const values = Array.from({ length: 60 }, (_, index) => (index * 7919) % 1000);
        await Promise.all(
          values.map((value, index) =>
            (index % 2 ? state : other).raiseTo(key, value, LONG_TTL_MS),
          ),
        );
        expect(await state.get(key)).toBe(String(Math.max(...values)));
      });

      it('keeps the longer TTL when it raises the number', async () => {
        const key = fresh('raise-keeps-ttl');
        await state.raiseTo(key, 5, LONG_TTL_MS);
        expect(await other.raiseTo(key, 10, SHORT_TTL_MS)).toBe(10);
        await shortTtlHasPassed();
        expect(await state.get(key)).toBe('10');
      });

      it('lengthens the TTL when it keeps the number', async () => {
        const key = fresh('raise-extends-ttl');
        await state.raiseTo(key, 5, SHORT_TTL_MS);
        expect(await other.raiseTo(key, 3, LONG_TTL_MS)).toBe(5);
        await shortTtlHasPassed();
        expect(await state.get(key)).toBe('5');
      });

      it('starts again after the number expired', async () => {
        const key = fresh('raise-expired');
        await state.raiseTo(key, 100, SHORT_TTL_MS);
        await eventually(async () => (await state.get(key)) === undefined, 'number expired');
        expect(await other.raiseTo(key, 1, LONG_TTL_MS)).toBe(1);
      });

      it('overwrites a value that is not a number', async () => {
        const key = fresh('raise-text');
        await state.set(key, 'not a number', LONG_TTL_MS);
        expect(await other.raiseTo(key, 3, LONG_TTL_MS)).toBe(3);
        await state.set(key, '', LONG_TTL_MS);
        expect(await other.raiseTo(key, -3, LONG_TTL_MS)).toBe(-3);
      });
    });

    describe('its rules', () => {
      const key = 'contract:rules';
      const refusals: [string, () => Promise<unknown>][] = [
        ['an empty key', () => state.get('')],
        ['a key too long', () => state.set('k'.repeat(MAX_KEY_LENGTH + 1), 'v', 1000)],
        ['a value too long', () => state.set(key, 'v'.repeat(MAX_VALUE_LENGTH + 1), 1000)],
        ['a TTL of 0', () => state.set(key, 'v', 0)],
        ['a negative TTL', () => state.setIfAbsent(key, 'v', -1)],
        ['a TTL that is not a number', () => state.raiseTo(key, 1, Number.NaN)],
        ['a TTL over the maximum', () => state.set(key, 'v', MAX_TTL_MS + 1)],
        ['an infinite number', () => state.raiseTo(key, Number.POSITIVE_INFINITY, 1000)],
        ['a number that is not one', () => state.raiseTo(key, Number.NaN, 1000)],
        ['a value that is not a string', () => state.deleteIf(key, 5 as unknown as string)],
      ];
      it.each(refusals)('refuses %s with StateArgumentError, never writing', async (_, call) => {
        await expect(call()).rejects.toBeInstanceOf(StateArgumentError);
        expect(await state.get(key)).toBeUndefined();
      });

      it('takes the longest key allowed', async () => {
        const longest = `contract:${'k'.repeat(MAX_KEY_LENGTH - 9)}`;
        await state.set(longest, 'v', LONG_TTL_MS);
        expect(await other.get(longest)).toBe('v');
      });

      it('refuses every call once closed', async () => {
        const closing = await options.makeOne();
        await closing.set(fresh('closing'), 'v', LONG_TTL_MS);
        await closing.close();
        await closing.close(); // twice is harmless
        await expect(closing.get('contract:closed')).rejects.toBeInstanceOf(StateClosedError);
        await expect(closing.set('contract:closed', 'v', 1000)).rejects.toBeInstanceOf(
          StateClosedError,
        );
        await expect(closing.raiseTo('contract:closed', 1, 1000)).rejects.toBeInstanceOf(
          StateClosedError,
        );
      });
    });
  });
}
