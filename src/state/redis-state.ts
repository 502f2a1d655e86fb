/**
 * The shared state of several instances: Redis, through ioredis. Every operation is one atomic
 * command: `SET PX` (set), `SET NX PX` (setIfAbsent), and two Lua scripts (EVALSHA, defined with
 * `defineCommand`; ioredis sends the script again when Redis has lost it after a restart):
 * compare-and-delete (deleteIf) and raise-to-max keeping the longer time to live (raiseTo).
 * Every key is written under one prefix (`fbgw:` by default), so that a scan of `fbgw:*` finds
 * all of ours and nothing else.
 *
 * This class fails fast and never waits long, and that is all: it throws when Redis is down.
 * The gateway reaches it through src/state/resilient-state.ts, which turns failures into
 * answers from the instance's memory.
 *
 * - No offline queue: a call while disconnected fails at once instead of waiting for a
 *   reconnection, and a command in flight when the connection drops fails with it (never
 *   sent again after a reconnection: its caller has had its answer from memory by then).
 * - Connecting and each command are bounded (`connectTimeoutMs`, `commandTimeoutMs`).
 * - Reconnects forever, 50 ms doubling to 1 s between attempts, with jitter.
 *
 * ioredis is loaded only when a Redis URL is configured (`connectRedisState`): a single
 * instance does not pay for it (about 70 ms and 20 MB of RSS at start).
 */

import type { Redis, RedisOptions } from 'ioredis';
import { checkKey, checkNumber, checkTtl, checkValue, StateClosedError } from './arguments.ts';
import type { SharedState } from './shared-state.ts';

export interface RedisStateOptions {
  /** `redis://` or `rediss://` (TLS), with credentials and a database number if needed. */
  url: string;
  /** Put before every key. Default `fbgw:`. */
  keyPrefix?: string;
  /** Time allowed to open a connection. Default 1000 ms. */
  connectTimeoutMs?: number;
  /** Time a command may wait for its answer before it fails. Default 1000 ms. */
  commandTimeoutMs?: number;
  /** Milliseconds before reconnection attempt `attempt` (1, 2, ...). Default 50 ms doubling to 1 s, ±25 %. */
  reconnectDelayMs?: (attempt: number) => number;
}

/** What the resilient state needs besides the operations: the connection's news. */
export interface RedisConnection {
  /** Whether the connection is up and has answered (ioredis `ready`). */
  readonly ready: boolean;
  /** `ready` when a connection is (again) ready, `lost` when it closes; until `close()`. */
  onConnectionChange(listener: (event: 'ready' | 'lost') => void): void;
  /** Resolves once ready, or `false` after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean>;
  /** One write under the prefix, with a short TTL: resolves when Redis takes writes. */
  probe(): Promise<void>;
}

export const DEFAULT_KEY_PREFIX = 'fbgw:';

/**
 * `KEYS[1]`: the key; `ARGV[1]`: the expected value. Deletes the key only while it holds that
 * value; returns 1 when it did, 0 otherwise.
 */
const DELETE_IF_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/**
 * `KEYS[1]`: the key; `ARGV[1]`: the number as text; `ARGV[2]`: the TTL in ms. When the key holds
 * a number at least as high, it stays and its TTL grows to `ARGV[2]` if shorter; otherwise the
 * key is set to `ARGV[1]` for the longer of `ARGV[2]` and what it had left. Returns the text
 * held afterwards. (A value that is no finite number counts as absent, as in memory.)
 */
const RAISE_TO_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
local held = nil
if raw then held = tonumber(raw) end
if held ~= nil and (held ~= held or held == math.huge or held == -math.huge) then held = nil end
local ttl = tonumber(ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if held ~= nil and held >= tonumber(ARGV[1]) then
  if left < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
  return raw
end
if left > ttl then ttl = left end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
return ARGV[1]
`;

/** The scripts as ioredis defines them on the client. */
interface ScriptCommands {
  fbgwDeleteIf(key: string, expected: string): Promise<number>;
  fbgwRaiseTo(key: string, value: string, ttlMs: number): Promise<string>;
}

type Client = Redis & ScriptCommands;

/** Loads ioredis, opens the connection (without waiting for it) and returns the state. */
export async function connectRedisState(options: RedisStateOptions): Promise<RedisState> {
  const { Redis } = await import('ioredis');
  const client = new Redis(options.url, redisOptions(options));
  client.defineCommand('fbgwDeleteIf', { numberOfKeys: 1, lua: DELETE_IF_SCRIPT });
  client.defineCommand('fbgwRaiseTo', { numberOfKeys: 1, lua: RAISE_TO_SCRIPT });
  return new RedisState(client as Client, options.keyPrefix ?? DEFAULT_KEY_PREFIX);
}

/** The connection options, for `new Redis(url, options)` (the URL only says where, and as whom). */
export function redisOptions(options: RedisStateOptions): RedisOptions {
  return {
    lazyConnect: false,
    enableOfflineQueue: false,
    // 0: a command in flight fails as soon as its connection closes...
    maxRetriesPerRequest: 0,
    // ...and is not sent again after the reconnection (its caller has moved on).
    autoResendUnfulfilledCommands: false,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    retryStrategy: options.reconnectDelayMs ?? defaultReconnectDelay,
    connectionName: 'featurebase-gateway',
  };
}

function defaultReconnectDelay(attempt: number): number {
  const delay = Math.min(1000, 50 * 2 ** Math.min(attempt - 1, 5));
  return Math.round(delay * (0.75 + Math.random() / 2));
}

export class RedisState implements SharedState, RedisConnection {
  readonly #client: Client;
  readonly #prefix: string;
  /** Where `probe` writes: one key per instance, under the prefix. */
  readonly #probeKey: string;
  #closed = false;

  constructor(client: Client, keyPrefix: string) {
    this.#client = client;
    this.#prefix = keyPrefix;
    this.#probeKey = `${keyPrefix}probe:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
    // Without a listener ioredis prints every connection error to the console; the resilient
    // state logs the outage once, from its own calls and `onConnectionChange`.
    client.on('error', () => {});
  }

  get ready(): boolean {
    return !this.#closed && this.#client.status === 'ready';
  }

  onConnectionChange(listener: (event: 'ready' | 'lost') => void): void {
    this.#client.on('ready', () => listener('ready'));
    this.#client.on('close', () => {
      if (!this.#closed) listener('lost');
    });
  }

  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        this.#client.off('ready', onReady);
        resolve(ready);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      timer.unref();
      this.#client.on('ready', onReady);
    });
  }

  async probe(): Promise<void> {
    this.#open();
    await this.#client.set(this.#probeKey, '1', 'PX', 10_000);
  }

  async get(key: string): Promise<string | undefined> {
    this.#open();
    checkKey(key);
    return (await this.#client.get(this.#prefix + key)) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#open();
    checkKey(key);
    checkValue(value);
    await this.#client.set(this.#prefix + key, value, 'PX', checkTtl(ttlMs));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.#open();
    checkKey(key);
    checkValue(value);
    const answer = await this.#client.set(this.#prefix + key, value, 'PX', checkTtl(ttlMs), 'NX');
    return answer === 'OK';
  }

  async deleteIf(key: string, expected: string): Promise<boolean> {
    this.#open();
    checkKey(key);
    checkValue(expected);
    return (await this.#client.fbgwDeleteIf(this.#prefix + key, expected)) === 1;
  }

  async raiseTo(key: string, value: number, ttlMs: number): Promise<number> {
    this.#open();
    checkKey(key);
    checkNumber(value);
    const ttl = checkTtl(ttlMs);
    return Number(await this.#client.fbgwRaiseTo(this.#prefix + key, String(value), ttl));
  }

  /** Says goodbye to Redis when it answers in time (QUIT), and drops the connection either way. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#client.status === 'ready') {
      const quit = this.#client.quit().catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise((resolve) => {
        timer = setTimeout(resolve, 500);
      });
      await Promise.race([quit, late]);
      clearTimeout(timer);
    }
    this.#client.disconnect();
  }

  #open(): void {
    if (this.#closed) throw new StateClosedError();
  }
}
