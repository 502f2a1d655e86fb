/**
 * The in-memory state: the contract, then what only memory can show on a clock of its own
 * (expiry to the millisecond), its bounds (entries and estimated bytes, expired entries out
 * first, then the least recently written) and its sweep (which never keeps the process alive).
 */

import { describe, expect, it } from 'vitest';
import { MAX_KEY_LENGTH, MAX_VALUE_LENGTH } from '../../src/state/arguments.ts';
import { entryWeight, MemoryState } from '../../src/state/memory-state.ts';
import { sharedStateContract } from './contract.ts';

sharedStateContract(
  'MemoryState',
  async () => {
    const state = new MemoryState();
    // One process: "the other instance" is the same memory.
    return { states: [state, state] };
  },
  { makeOne: async () => new MemoryState() },
);

/** A clock the test moves by hand. */
function manualClock(start = 1_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('MemoryState on a clock of its own', () => {
  it('keeps an entry until the last millisecond of its TTL, and not one more', async () => {
    const clock = manualClock();
    const state = new MemoryState({ now: clock.now, sweepIntervalMs: 0 });
    await state.set('k', 'v', 1000);
    clock.advance(999);
    expect(await state.get('k')).toBe('v');
    clock.advance(1);
    expect(await state.get('k')).toBeUndefined();
    expect(state.size).toBe(0);
  });

  it('rounds a fractional TTL up to the millisecond, as Redis counts', async () => {
    const clock = manualClock();
    const state = new MemoryState({ now: clock.now, sweepIntervalMs: 0 });
    await state.set('k', 'v', 1.2);
    clock.advance(1.9);
    expect(await state.get('k')).toBe('v');
    clock.advance(0.1);
    expect(await state.get('k')).toBeUndefined();
  });

  it('raiseTo keeps the number with the later of the two expiries', async () => {
    const clock = manualClock();
    const state = new MemoryState({ now: clock.now, sweepIntervalMs: 0 });
    await state.raiseTo('deadline', 50, 1000);
    clock.advance(400);
    // Raised, with a shorter TTL than the 600 ms left: the 600 ms stay.
    expect(await state.raiseTo('deadline', 70, 100)).toBe(70);
    clock.advance(599);
    expect(await state.get('deadline')).toBe('70');
    clock.advance(1);
    expect(await state.get('deadline')).toBeUndefined();
    // Kept, with a longer TTL: the longer one counts from now.
    await state.raiseTo('deadline', 80, 100);
    expect(await state.raiseTo('deadline', 10, 5000)).toBe(80);
    clock.advance(4999);
    expect(await state.get('deadline')).toBe('80');
    clock.advance(1);
    expect(await state.get('deadline')).toBeUndefined();
  });

  it('lets setIfAbsent take a lease the moment the previous one expires', async () => {
    const clock = manualClock();
    const state = new MemoryState({ now: clock.now, sweepIntervalMs: 0 });
    expect(await state.setIfAbsent('lease', 'a', 2000)).toBe(true);
    clock.advance(1999);
    expect(await state.setIfAbsent('lease', 'b', 2000)).toBe(false);
    clock.advance(1);
    expect(await state.setIfAbsent('lease', 'b', 2000)).toBe(true);
    expect(await state.deleteIf('lease', 'a')).toBe(false);
    expect(await state.get('lease')).toBe('b');
  });
});

describe('MemoryState bounds', () => {
  it('holds at most maxEntries, dropping the least recently written first', async () => {
    const clock = manualClock();
    const state = new MemoryState({ now: clock.now, sweepIntervalMs: 0, maxEntries: 3 });
    await state.set('a', '1', 60_000);
    await state.set('b', '2', 1000);
    await state.set('c', '3', 60_000);
    await state.set('a', '1 again', 60_000); // a is now the most recent
    await state.set('d', '4', 60_000);
    expect(state.size).toBe(3);
    expect(await state.get('b')).toBeUndefined();
    expect([await state.get('a'), await state.get('c'), await state.get('d')]).toEqual([
      '1 again',
      '3',
      '4',
    ]);
    // raiseTo counts as a write, even when it keeps the number.
    await state.raiseTo('c', 10, 60_000);
    await state.raiseTo('c', 5, 60_000);
    await state.set('e', '5', 60_000);
    expect(await state.get('a')).toBeUndefined();
    expect(await state.get('c')).toBe('10');
  });

  it('drops expired entries before any live one', async () => {
    const clock = manualClock();
    const state = new MemoryState({ now: clock.now, sweepIntervalMs: 0, maxEntries: 3 });
    await state.set('old-but-long', '1', 60_000);
    await state.set('short-1', '2', 100);
    await state.set('short-2', '3', 100);
    clock.advance(100);
    await state.set('new-1', '4', 60_000);
    await state.set('new-2', '5', 60_000);
    expect(await state.get('old-but-long')).toBe('1');
    expect(state.size).toBe(3);
  });

  it('holds at most maxBytes of estimated weight', async () => {
    const weight = entryWeight('key-0', 'v'.repeat(100));
    const state = new MemoryState({ sweepIntervalMs: 0, maxBytes: 3 * weight + 1 });
    for (let index = 0; index < 10; index++) {
      await state.set(`key-${index}`, 'v'.repeat(100), 60_000);
      expect(state.bytes).toBeLessThanOrEqual(3 * weight + 1);
    }
    expect(state.size).toBe(3);
    expect(await state.get('key-9')).toBeDefined();
    expect(await state.get('key-6')).toBeUndefined();
  });

  it('stays within its default bounds however many keys it is given', async () => {
    const state = new MemoryState({ sweepIntervalMs: 0 });
    for (let index = 0; index < 30_000; index++) {
      await state.set(`flood:${index}`.padEnd(MAX_KEY_LENGTH, '-'), 'x', 60_000);
    }
    expect(state.size).toBeLessThanOrEqual(10_000);
    expect(state.bytes).toBeLessThanOrEqual(3 * 1024 * 1024);
    const big = new MemoryState({ sweepIntervalMs: 0 });
    for (let index = 0; index < 5_000; index++) {
      await big.set(`big:${index}`, 'v'.repeat(MAX_VALUE_LENGTH), 60_000);
    }
    expect(big.bytes).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(await big.get('big:4999')).toBeDefined();
  });

  it('gives back the weight of what it removes', async () => {
    const clock = manualClock();
    const state = new MemoryState({ now: clock.now, sweepIntervalMs: 0 });
    await state.set('a', 'x'.repeat(50), 100);
    await state.set('b', 'y', 1000);
    await state.setIfAbsent('c', 'z', 1000);
    await state.raiseTo('d', 7, 1000);
    await state.deleteIf('b', 'y');
    await state.set('c', 'replaced', 1000);
    clock.advance(100);
    state.sweep();
    expect(state.bytes).toBe(entryWeight('c', 'replaced') + entryWeight('d', '7'));
    clock.advance(900);
    state.sweep();
    expect([state.size, state.bytes]).toEqual([0, 0]);
  });
});

describe('MemoryState sweep', () => {
  it('removes expired entries without anything reading them', async () => {
    const clock = manualClock();
    const state = new MemoryState({ now: clock.now, sweepIntervalMs: 0 });
    for (let index = 0; index < 100; index++) {
      await state.set(`k${index}`, 'v', index < 60 ? 500 : 5000);
    }
    clock.advance(500);
    state.sweep();
    expect(state.size).toBe(40);
  });

  it('runs on its own timer, which never keeps the process alive, and stops when closed', async () => {
    const timers = () =>
      process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = timers();
    const clock = manualClock();
    const state = new MemoryState({ now: clock.now, sweepIntervalMs: 5 });
    expect(timers()).toBe(before);
    await state.set('k', 'v', 10);
    clock.advance(10);
    // Polled: the sweep runs on the machine's time, whenever the timer fires.
    const deadline = Date.now() + 10_000;
    while (state.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(state.size).toBe(0);
    await state.close();
  });
});
