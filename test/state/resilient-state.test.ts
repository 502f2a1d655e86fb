/**
 * The resilient state against a scripted Redis (a memory store that can be made to refuse,
 * hang or drop its connection on demand): what callers see when Redis fails (an answer from
 * memory, within the deadline, never an exception), when it is marked unavailable and
 * available again, what is logged (once per outage, never a key or a value) and counted, and
 * what is copied to memory while Redis answers. test/state/outage.test.ts does the same to a
 * real redis-server.
 */

import { describe, expect, it } from 'vitest';
import { StateArgumentError } from '../../src/state/arguments.ts';
import { MemoryState } from '../../src/state/memory-state.ts';
import type { RedisConnection } from '../../src/state/redis-state.ts';
import { ResilientState } from '../../src/state/resilient-state.ts';
import type { SharedState, StateMode } from '../../src/state/shared-state.ts';
import { captureLogger } from '../support/gateway.ts';

type Behaviour = 'answer' | 'refuse' | 'hang';

/** Redis as the resilient state sees it, scripted. Its store is a MemoryState. */
class ScriptedRedis implements SharedState, RedisConnection {
  readonly store = new MemoryState({ sweepIntervalMs: 0 });
  behaviour: Behaviour = 'answer';
  ready = true;
  /** Operations that reached this "Redis" (probes apart). */
  calls = 0;
  probes = 0;
  readonly #listeners: ((event: 'ready' | 'lost') => void)[] = [];

  onConnectionChange(listener: (event: 'ready' | 'lost') => void): void {
    this.#listeners.push(listener);
  }
  async whenReady(): Promise<boolean> {
    return this.ready;
  }
  /** The connection drops (ioredis `close`). */
  lose(): void {
    this.ready = false;
    for (const listener of this.#listeners) listener('lost');
  }
  /** The connection is back (ioredis `ready`). */
  regain(): void {
    this.ready = true;
    this.behaviour = 'answer';
    for (const listener of this.#listeners) listener('ready');
  }
  probe(): Promise<void> {
    this.probes++;
    return this.#act(async () => {});
  }
  get(key: string) {
    this.calls++;
    return this.#act(() => this.store.get(key));
  }
  set(key: string, value: string, ttlMs: number) {
    this.calls++;
    return this.#act(() => this.store.set(key, value, ttlMs));
  }
  setIfAbsent(key: string, value: string, ttlMs: number) {
    this.calls++;
    return this.#act(() => this.store.setIfAbsent(key, value, ttlMs));
  }
  deleteIf(key: string, expected: string) {
    this.calls++;
    return this.#act(() => this.store.deleteIf(key, expected));
  }
  raiseTo(key: string, value: number, ttlMs: number) {
    this.calls++;
    return this.#act(() => this.store.raiseTo(key, value, ttlMs));
  }
  async close(): Promise<void> {}

  #act<T>(answer: () => Promise<T>): Promise<T> {
    if (this.behaviour === 'refuse') {
      return Promise.reject(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
      );
    }
    if (this.behaviour === 'hang') return new Promise<T>(() => {});
    return answer();
  }
}

function setUp(options: { deadlineMs?: number; now?: () => number } = {}) {
  const redis = new ScriptedRedis();
  const memory = new MemoryState({ sweepIntervalMs: 0 });
  const { logger, captured } = captureLogger('info');
  const modes: StateMode[] = [];
  let fallbacks = 0;
  const state = new ResilientState({
    redis,
    memory,
    logger,
    deadlineMs: options.deadlineMs ?? 50,
    probeIntervalMs: 1000,
    onModeChange: (mode) => modes.push(mode),
    onFallback: () => fallbacks++,
    ...(options.now ? { now: options.now } : {}),
  });
  const lines = () => captured.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { redis, memory, state, modes, lines, captured, fallbacks: () => fallbacks };
}

/** Every operation once, on keys of the test's choosing; resolves with their answers. */
async function everyOperation(state: SharedState, key: string) {
  return [
    await state.set(`${key}:set`, 'v', 60_000),
    await state.get(`${key}:set`),
    await state.setIfAbsent(`${key}:lease`, 'token', 60_000),
    await state.deleteIf(`${key}:lease`, 'token'),
    await state.raiseTo(`${key}:deadline`, 42, 60_000),
  ];
}

describe('ResilientState while Redis answers', () => {
  it('answers from Redis and copies what Redis accepted into memory', async () => {
    const { redis, memory, state, modes, fallbacks } = setUp();
    expect(state.mode).toBe('redis');
    expect(await everyOperation(state, 'k')).toEqual([undefined, 'v', true, true, 42]);
    expect(redis.calls).toBe(5);
    expect(await redis.store.get('k:set')).toBe('v');
    expect(await memory.get('k:set')).toBe('v');
    expect(await memory.get('k:lease')).toBeUndefined(); // taken, then released: in both
    expect(await memory.get('k:deadline')).toBe('42');
    expect([modes, fallbacks()]).toEqual([[], 0]);
  });

  it('copies a lease only when Redis gave it, and the number Redis holds', async () => {
    const { redis, memory, state } = setUp();
    await redis.store.set('lease', 'someone-else', 60_000);
    await redis.store.set('deadline', '100', 60_000);
    expect(await state.setIfAbsent('lease', 'mine', 60_000)).toBe(false);
    expect(await state.raiseTo('deadline', 50, 60_000)).toBe(100);
    expect(await memory.get('lease')).toBeUndefined();
    expect(await memory.get('deadline')).toBe('100');
  });

  it('refuses a call that breaks the rules without asking Redis or falling back', async () => {
    const { redis, state, modes, fallbacks } = setUp();
    await expect(state.set('', 'v', 1000)).rejects.toBeInstanceOf(StateArgumentError);
    await expect(state.raiseTo('k', Number.NaN, 1000)).rejects.toBeInstanceOf(StateArgumentError);
    await expect(state.setIfAbsent('k', 'v', 0)).rejects.toBeInstanceOf(StateArgumentError);
    expect([redis.calls, state.mode, modes, fallbacks()]).toEqual([0, 'redis', [], 0]);
  });
});

describe('ResilientState when Redis fails', () => {
  it('answers every call from memory, marks Redis unavailable, and says so once', async () => {
    const { redis, state, modes, lines, fallbacks } = setUp();
    await state.set('mine', 'before', 60_000); // through Redis, copied to memory
    redis.behaviour = 'refuse';
    expect(await everyOperation(state, 'down')).toEqual([undefined, 'v', true, true, 42]);
    expect(await state.get('mine')).toBe('before');
    expect(state.mode).toBe('redis-unavailable');
    expect(modes).toEqual(['redis-unavailable']);
    expect(fallbacks()).toBe(6);
    expect(state.fallbacks).toBe(6);
    // Only the first failed call reached Redis: the others went straight to memory.
    expect(redis.calls).toBe(2);
    const warnings = lines().filter((line) => line['level'] === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      msg: "shared state: Redis unavailable, answering from this instance's memory",
      state: { mode: 'redis-unavailable', reason: 'ECONNREFUSED' },
    });
  });

  it('answers within its deadline when Redis does not answer at all', async () => {
    const { redis, state, modes } = setUp({ deadlineMs: 50 });
    redis.behaviour = 'hang';
    const started = performance.now();
    expect(await state.setIfAbsent('lease', 'token', 60_000)).toBe(true);
    // The deadline is 50 ms; a second is far beyond it on any machine, and far below a hang.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(modes).toEqual(['redis-unavailable']);
    expect(state.mode).toBe('redis-unavailable');
    const next = performance.now();
    expect(await state.get('lease')).toBe('token');
    expect(performance.now() - next).toBeLessThan(1000);
  });

  it('goes straight to memory when the connection drops, and back to Redis when it is ready', async () => {
    const { redis, state, modes, lines } = setUp();
    redis.lose();
    expect(state.mode).toBe('redis-unavailable');
    await state.set('during', 'outage', 60_000);
    await state.set('during-2', 'outage', 60_000);
    expect(redis.calls).toBe(0);
    redis.regain();
    expect(state.mode).toBe('redis');
    expect(modes).toEqual(['redis-unavailable', 'redis']);
    await state.set('after', 'v', 60_000);
    expect(await redis.store.get('after')).toBe('v');
    // What was written to memory only is not copied to Redis: Redis is the truth again.
    expect(await redis.store.get('during')).toBeUndefined();
    const back = lines().find((line) => line['msg'] === 'shared state: Redis available again');
    expect(back).toMatchObject({
      level: 'info',
      state: { mode: 'redis', reason: 'connection ready', answeredFromMemory: 2 },
    });
  });

  it('logs and reports each outage once, however many calls it fails', async () => {
    const { redis, state, modes, lines } = setUp();
    for (let outage = 0; outage < 3; outage++) {
      redis.behaviour = 'refuse';
      await Promise.all(Array.from({ length: 20 }, (_, index) => state.get(`k${index}`)));
      redis.lose();
      await state.get('k');
      redis.regain();
    }
    expect(modes).toEqual([
      'redis-unavailable',
      'redis',
      'redis-unavailable',
      'redis',
      'redis-unavailable',
      'redis',
    ]);
    expect(lines().filter((line) => line['level'] === 'warn')).toHaveLength(3);
  });

  it('probes a connection that stayed up, at most once a second, and comes back when it answers', async () => {
    let now = 0;
    const { redis, state, modes } = setUp({ now: () => now });
    redis.behaviour = 'hang';
    await state.get('k'); // times out: unavailable, the connection still claims to be ready
    expect(state.mode).toBe('redis-unavailable');
    redis.behaviour = 'answer';
    await state.get('k'); // the first call after the outage began starts a probe
    expect(redis.probes).toBe(1);
    await eventuallyMode(state, 'redis');
    expect(modes).toEqual(['redis-unavailable', 'redis']);

    redis.behaviour = 'hang';
    await state.get('k'); // unavailable again
    const probesBefore = redis.probes;
    for (let call = 0; call < 10; call++) await state.get('k');
    expect(redis.probes).toBe(probesBefore); // the last probe was less than a second ago
    now += 1000;
    for (let call = 0; call < 10; call++) await state.get('k');
    expect(redis.probes).toBe(probesBefore + 1); // one, which hangs; no other meanwhile
    expect(state.mode).toBe('redis-unavailable');
  });

  it('never logs a key or a value', async () => {
    const { redis, state, captured } = setUp();
    redis.behaviour = 'refuse';
    await everyOperation(state, 'tenant-hash-0f1e2d');
    redis.regain();
    await everyOperation(state, 'tenant-hash-0f1e2d');
    const text = captured.join('');
    expect(text).not.toContain('tenant-hash');
    expect(text).not.toContain('token');
  });

  it('starts unavailable when Redis is not connected yet, and says so', async () => {
    const redis = new ScriptedRedis();
    redis.ready = false;
    const { logger, captured } = captureLogger('info');
    const state = new ResilientState({ redis, memory: new MemoryState(), logger });
    expect(state.mode).toBe('redis-unavailable');
    expect(await state.setIfAbsent('k', 'v', 1000)).toBe(true);
    expect(redis.calls).toBe(0);
    expect(captured.join('')).toContain('"reason":"not connected"');
    redis.regain();
    expect(state.mode).toBe('redis');
    await state.close();
  });
});

async function eventuallyMode(state: ResilientState, mode: StateMode): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (state.mode !== mode) {
    if (Date.now() > deadline) throw new Error(`mode still ${state.mode}, not ${mode}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
