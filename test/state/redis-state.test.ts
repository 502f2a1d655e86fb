/**
 * The Redis state against a real redis-server (test/support/redis-server.ts): the contract,
 * through two connections as two instances would hold them, and through the resilient state;
 * then what only Redis shows: the TTLs it holds (PTTL), the Lua scripts surviving a script
 * flush, and that every key written lives under the prefix.
 */

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryState } from '../../src/state/memory-state.ts';
import { connectRedisState, type RedisState } from '../../src/state/redis-state.ts';
import { ResilientState } from '../../src/state/resilient-state.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { sharedStateContract } from './contract.ts';

let redis: RedisServer;
/** Every state the file opened, to close them and check that none ever fell back to memory. */
const resilient: ResilientState[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
}, 30_000);

afterAll(async () => {
  await redis?.stop();
});

async function connected(keyPrefix?: string): Promise<RedisState> {
  const state = await connectRedisState({
    url: redis.url,
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
  });
  if (!(await state.whenReady(10_000))) throw new Error('no connection to the test Redis');
  return state;
}

async function overRedis(): Promise<ResilientState> {
  const state = new ResilientState({
    redis: await connected(),
    memory: new MemoryState({ sweepIntervalMs: 0 }),
    logger: pino({ level: 'silent' }),
    // The contract, not the deadline, is tested here: a loaded machine must not turn a slow
    // answer into a fallback (test/state/outage.test.ts tests the deadline).
    deadlineMs: 10_000,
  });
  resilient.push(state);
  return state;
}

sharedStateContract(
  'RedisState',
  async () => ({ states: [await connected(), await connected()] }),
  { makeOne: () => connected() },
);

sharedStateContract(
  'ResilientState over Redis',
  async () => ({ states: [await overRedis(), await overRedis()] }),
  { makeOne: () => overRedis() },
);

describe('RedisState in Redis', () => {
  let state: RedisState;
  beforeAll(async () => {
    state = await connected();
  });
  afterAll(async () => {
    await state.close();
  });

  it('writes under the prefix, with the TTL asked for (PTTL)', async () => {
    await state.set('ttl:set', 'v', 60_000);
    await state.setIfAbsent('ttl:nx', 'v', 30_000);
    await state.raiseTo('ttl:raise', 5, 45_000);
    expect(await redis.command('GET', 'fbgw:ttl:set')).toBe('v');
    const pttl = async (key: string) => Number(await redis.command('PTTL', key));
    expect(await pttl('fbgw:ttl:set')).toBeGreaterThan(50_000);
    expect(await pttl('fbgw:ttl:set')).toBeLessThanOrEqual(60_000);
    expect(await pttl('fbgw:ttl:nx')).toBeGreaterThan(20_000);
    expect(await pttl('fbgw:ttl:nx')).toBeLessThanOrEqual(30_000);
    // Raised with a shorter TTL: the longer one stays; kept with a longer one: it grows.
    await state.raiseTo('ttl:raise', 6, 1000);
    expect(await pttl('fbgw:ttl:raise')).toBeGreaterThan(35_000);
    await state.raiseTo('ttl:raise', 1, 90_000);
    expect(await pttl('fbgw:ttl:raise')).toBeGreaterThan(80_000);
    expect(await redis.command('GET', 'fbgw:ttl:raise')).toBe('6');
  });

  it('gives every key a TTL, even one raiseTo finds without', async () => {
    await redis.command('SET', 'fbgw:no-ttl', '3');
    expect(await state.raiseTo('no-ttl', 1, 20_000)).toBe(3);
    expect(Number(await redis.command('PTTL', 'fbgw:no-ttl'))).toBeGreaterThan(10_000);
  });

  it('runs its scripts again after Redis forgot them (SCRIPT FLUSH, as after a restart)', async () => {
    await state.set('scripts', 'v', 60_000);
    await redis.command('SCRIPT', 'FLUSH');
    expect(await state.deleteIf('scripts', 'v')).toBe(true);
    await redis.command('SCRIPT', 'FLUSH');
    expect(await state.raiseTo('scripts', 2, 60_000)).toBe(2);
  });

  it('keeps two prefixes apart', async () => {
    const elsewhere = await connected('other-gateway:');
    await state.set('shared-name', 'ours', 60_000);
    expect(await elsewhere.get('shared-name')).toBeUndefined();
    expect(await elsewhere.setIfAbsent('shared-name', 'theirs', 60_000)).toBe(true);
    expect(await state.get('shared-name')).toBe('ours');
    await redis.command('DEL', 'other-gateway:shared-name');
    await elsewhere.close();
  });

  it('answers a probe with a write under the prefix that expires', async () => {
    await state.probe();
    const probes = (await redis.keys()).filter((key) => key.startsWith('fbgw:probe:'));
    expect(probes.length).toBeGreaterThan(0);
    for (const key of probes) {
      expect(Number(await redis.command('PTTL', key))).toBeGreaterThan(0);
    }
  });

  it('fails fast, without waiting, once closed or while Redis is not there', async () => {
    const nowhere = await connectRedisState({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 });
    expect(nowhere.ready).toBe(false);
    await expect(nowhere.get('k')).rejects.toThrow();
    await nowhere.close();
  });
});

describe('after every test of this file', () => {
  it('finds in Redis only keys under the prefix, every one with a TTL', async () => {
    // Runs last in this file (vitest keeps the order of describe blocks).
    const keys = await redis.keys();
    expect(keys.length).toBeGreaterThan(10);
    expect(keys.filter((key) => !key.startsWith('fbgw:'))).toEqual([]);
    for (const key of keys) {
      expect(Number(await redis.command('PTTL', key)), key).toBeGreaterThan(0);
    }
  });

  it('never fell back to memory in the resilient states', () => {
    expect(resilient.map((state) => state.fallbacks)).toEqual(resilient.map(() => 0));
  });
});
