/**
 * Redis outages, for real: the state as `createSharedState` makes it from a `REDIS_URL`, over a
 * redis-server that is killed, restarted, paused (SIGSTOP) and started late. Every call keeps
 * answering within a bound (from memory), the mode says when Redis is unavailable and when it
 * is back, the outage is logged once and counted, and writes reach Redis again afterwards.
 *
 * In the serial timing pass (vitest.timing.config.ts): it kills and starts processes, and
 * checks that calls answer within a bound (a second, for a deadline of 100 ms).
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSharedState, type SharedStateHandle } from '../../src/state/index.ts';
import type { SharedState, StateMode } from '../../src/state/shared-state.ts';
import { captureLogger } from '../support/gateway.ts';
import { freePort, type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { eventually } from './contract.ts';

const DEADLINE_MS = 100;
/** Far beyond the deadline on any machine, far below a call that waits for Redis. */
const ANSWER_BOUND_MS = 1000;

const servers: RedisServer[] = [];
const handles: SharedStateHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((handle) => handle.state.close()));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

async function redisServer(port?: number): Promise<RedisServer> {
  const server = await startRedisServer(port === undefined ? {} : { port });
  servers.push(server);
  return server;
}

/** The state as main.ts makes it, with its log, mode changes and fallbacks recorded. */
async function sharedState(url: string, connectWaitMs = 10_000) {
  const { logger, captured } = captureLogger('info');
  const modes: StateMode[] = [];
  let fallbacks = 0;
  const handle = await createSharedState(
    {
      redisUrl: url,
      callDeadlineMs: DEADLINE_MS,
      connectWaitMs,
      onModeChange: (mode) => modes.push(mode),
      onFallback: () => fallbacks++,
    },
    logger,
  );
  handles.push(handle);
  const lines = () => captured.map((line) => JSON.parse(line) as Record<string, unknown>);
  const logged = (message: string) => lines().filter((line) => line['msg'] === message);
  return { ...handle, modes, fallbacks: () => fallbacks, logged, captured };
}

const UNAVAILABLE = "shared state: Redis unavailable, answering from this instance's memory";
const AVAILABLE = 'shared state: Redis available again';

/** Every operation on keys starting with `prefix`, each timed; resolves with the slowest. */
async function timedOperations(state: SharedState, prefix: string): Promise<number> {
  const calls: (() => Promise<unknown>)[] = [
    () => state.set(`${prefix}:set`, 'v', 60_000),
    () => state.get(`${prefix}:set`),
    () => state.setIfAbsent(`${prefix}:lease`, 'token', 60_000),
    () => state.deleteIf(`${prefix}:lease`, 'token'),
    () => state.raiseTo(`${prefix}:deadline`, 7, 60_000),
  ];
  let slowest = 0;
  for (const call of calls) {
    const started = performance.now();
    await call();
    slowest = Math.max(slowest, performance.now() - started);
  }
  return slowest;
}

describe('a Redis killed mid-run, then restarted', { timeout: 60_000 }, () => {
  it('keeps answering from memory within the bound, says so once, and uses Redis again once it is back', async () => {
    const redis = await redisServer();
    const shared = await sharedState(redis.url);
    expect(shared.mode()).toBe('redis');
    await shared.state.set('before', 'v0', 60_000);
    expect(await redis.command('GET', 'fbgw:before')).toBe('v0');

    await redis.kill();
    let calls = 0;
    for (let round = 0; round < 20; round++) {
      expect(await timedOperations(shared.state, `down-${round}`)).toBeLessThan(ANSWER_BOUND_MS);
      calls += 5;
    }
    expect(shared.mode()).toBe('redis-unavailable');
    expect(shared.modes).toEqual(['redis-unavailable']);
    // Every call after the kill was answered by memory, and counted.
    expect(shared.fallbacks()).toBe(calls);
    expect(shared.logged(UNAVAILABLE)).toHaveLength(1);
    // This instance still knows what it wrote to Redis before the outage, and during it.
    expect(await shared.state.get('before')).toBe('v0');
    expect(await shared.state.get('down-3:set')).toBe('v');
    expect(await shared.state.setIfAbsent('down-3:set', 'other', 60_000)).toBe(false);

    await redis.restart();
    await eventually(() => shared.mode() === 'redis', 'Redis used again after its restart');
    expect(shared.modes).toEqual(['redis-unavailable', 'redis']);
    expect(shared.logged(AVAILABLE)).toHaveLength(1);
    expect(shared.logged(AVAILABLE)[0]).toMatchObject({
      level: 'info',
      state: { mode: 'redis', answeredFromMemory: calls + 3 },
    });

    const fallbacksBefore = shared.fallbacks();
    await shared.state.set('after', 'v1', 60_000);
    expect(await shared.state.setIfAbsent('after-lease', 'token', 60_000)).toBe(true);
    expect(await shared.state.raiseTo('after-deadline', 9, 60_000)).toBe(9);
    expect(await redis.command('GET', 'fbgw:after')).toBe('v1');
    expect(await redis.command('GET', 'fbgw:after-lease')).toBe('token');
    expect(await redis.command('GET', 'fbgw:after-deadline')).toBe('9');
    expect(shared.fallbacks()).toBe(fallbacksBefore);
    // The restarted Redis is empty: nothing written to memory during the outage was copied.
    expect(await redis.command('GET', 'fbgw:down-3:set')).toBeNull();

    const text = shared.captured.join('');
    for (const secretish of ['down-3', 'before', 'token', '"v0"']) {
      expect(text).not.toContain(secretish);
    }
    const keys = await redis.keys();
    expect(keys.filter((key) => !key.startsWith('fbgw:'))).toEqual([]);
  });

  it('lets two instances share again once Redis is back', async () => {
    const redis = await redisServer();
    const first = await sharedState(redis.url);
    const second = await sharedState(redis.url);
    await redis.kill();
    // Down: each instance on its own memory, so both win the same lease.
    expect(await first.state.setIfAbsent('lease', 'first', 60_000)).toBe(true);
    expect(await second.state.setIfAbsent('lease', 'second', 60_000)).toBe(true);
    await redis.restart();
    await eventually(
      () => first.mode() === 'redis' && second.mode() === 'redis',
      'both instances back on Redis',
    );
    const won = await Promise.all([
      first.state.setIfAbsent('lease-2', 'first', 60_000),
      second.state.setIfAbsent('lease-2', 'second', 60_000),
    ]);
    expect(won.filter(Boolean)).toHaveLength(1);
  });
});

describe('a Redis that stops answering without closing its connections (SIGSTOP)', {
  timeout: 60_000,
}, () => {
  it('answers each call within the bound, and uses Redis again once a probe answers', async () => {
    const redis = await redisServer();
    const shared = await sharedState(redis.url);
    redis.pause();
    try {
      for (let round = 0; round < 10; round++) {
        expect(await timedOperations(shared.state, `stalled-${round}`)).toBeLessThan(
          ANSWER_BOUND_MS,
        );
      }
      expect(shared.mode()).toBe('redis-unavailable');
      expect(shared.logged(UNAVAILABLE)[0]).toMatchObject({ state: { reason: 'timeout' } });
    } finally {
      redis.resume();
    }
    // Calls start the probes (one a second at most): keep calling until one has answered.
    await eventually(async () => {
      await shared.state.get('poke');
      return shared.mode() === 'redis';
    }, 'Redis used again after SIGCONT');
    expect(shared.logged(AVAILABLE)[0]).toMatchObject({ state: { reason: 'probe answered' } });
    await shared.state.set('after-stall', 'v', 60_000);
    expect(await redis.command('GET', 'fbgw:after-stall')).toBe('v');
  });
});

describe('a Redis that is not there when the gateway starts', { timeout: 60_000 }, () => {
  let port: number;
  beforeAll(async () => {
    port = await freePort();
  });

  it('starts on memory without waiting long, and uses Redis once it comes up', async () => {
    const started = performance.now();
    const shared = await sharedState(`redis://127.0.0.1:${port}/0`, 200);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(shared.mode()).toBe('redis-unavailable');
    expect(shared.logged(UNAVAILABLE)).toHaveLength(1);
    expect(await shared.state.setIfAbsent('early', 'v', 60_000)).toBe(true);
    expect(await shared.state.get('early')).toBe('v');

    const redis = await redisServer(port);
    await eventually(() => shared.mode() === 'redis', 'Redis used once it is up');
    await shared.state.set('late', 'v', 60_000);
    expect(await redis.command('GET', 'fbgw:late')).toBe('v');
  });
});

describe('no REDIS_URL', () => {
  it('is this instance’s memory, and says so', async () => {
    const { logger, captured } = captureLogger('info');
    const shared = await createSharedState({ redisUrl: undefined }, logger);
    handles.push(shared);
    expect(shared.mode()).toBe('memory');
    expect(await shared.state.setIfAbsent('k', 'v', 1000)).toBe(true);
    expect(captured.join('')).toContain('shared state: in memory');
  });
});
