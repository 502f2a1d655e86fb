/**
 * Redis as the gateway uses it: callers never see an exception from Redis, nor wait long for
 * it. Each call goes to Redis with a deadline (`deadlineMs`, 100 ms by default); when Redis
 * fails or is late, the call is answered from this instance's memory (a `MemoryState`), Redis
 * is marked unavailable, and the next calls go straight to memory until Redis is back: when its
 * connection is ready again (ioredis `ready`), or, if the connection stayed up but calls failed
 * (a Redis that is out of memory or stalled), when a probe write succeeds (one at a time, at
 * most every `probeIntervalMs`, started by calls).
 *
 * What an outage means, which is what the README says to operators:
 *
 * - **While Redis is down, the state is per instance.** Each instance sees only what it wrote
 *   itself: a rotation lease taken on another instance is not seen (two instances may both
 *   call Featurebase), an idempotency record written elsewhere is not found, a rate-limit
 *   deadline learnt elsewhere is not known. Requests are served all the same.
 * - What this instance wrote to Redis while Redis answered is also written to its memory (after
 *   Redis has said yes: a lease it won, a value it set, a number it raised, a lease it
 *   released), so during an outage it still knows its own recent writes.
 * - **When Redis is back, Redis is the truth again**: what was written to memory only, during
 *   the outage, is not copied to Redis. For a lease that means another instance may take it
 *   while this one still holds it in memory (at most its TTL); for a record, that a repeat may
 *   not find it. A call that missed its deadline may still take effect in Redis afterwards.
 * - The outage is logged once when it starts (`warn`, with the kind of failure: never a key or
 *   value) and once when it ends (`info`, with how many calls memory answered), and reported
 *   through `onModeChange`; every call answered from memory is counted through `onFallback`.
 *
 * A call that breaks the state's rules (`StateArgumentError`) is a bug in the caller, not an
 * outage: it is refused, whatever Redis is doing.
 */

import type { Logger } from 'pino';
import { scrubSecrets } from '../telemetry/logger.ts';
import {
  checkKey,
  checkNumber,
  checkTtl,
  checkValue,
  StateArgumentError,
  StateClosedError,
} from './arguments.ts';
import type { RedisConnection } from './redis-state.ts';
import type { SharedState, StateMode } from './shared-state.ts';

export interface ResilientStateOptions {
  /** Where every call goes first. */
  redis: SharedState & RedisConnection;
  /** This instance's memory: the answer when Redis gives none in time. */
  memory: SharedState;
  logger: Logger;
  /** Time a call waits for Redis before memory answers it. Default 100 ms. */
  deadlineMs?: number;
  /** While the connection is up but Redis failed, at most one probe this often. Default 1000 ms. */
  probeIntervalMs?: number;
  /** Told when the mode changes (`redis` ⇄ `redis-unavailable`). */
  onModeChange?: (mode: StateMode) => void;
  /** Told each time memory answers a call instead of Redis. */
  onFallback?: () => void;
  /** Milliseconds for the outage's duration in the log. Default `performance.now`. */
  now?: () => number;
}

export class ResilientState implements SharedState {
  readonly #redis: SharedState & RedisConnection;
  readonly #memory: SharedState;
  readonly #logger: Logger;
  readonly #deadlineMs: number;
  readonly #probeIntervalMs: number;
  readonly #onModeChange: ((mode: StateMode) => void) | undefined;
  readonly #onFallback: (() => void) | undefined;
  readonly #now: () => number;
  #available: boolean;
  #closed = false;
  /** When the current outage started, and how many calls memory answered since. */
  #outage: { since: number; fallbacks: number } | undefined;
  #probing = false;
  #lastProbe = Number.NEGATIVE_INFINITY;
  #fallbacks = 0;

  constructor(options: ResilientStateOptions) {
    this.#redis = options.redis;
    this.#memory = options.memory;
    this.#logger = options.logger;
    this.#deadlineMs = options.deadlineMs ?? 100;
    this.#probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.#onModeChange = options.onModeChange;
    this.#onFallback = options.onFallback;
    this.#now = options.now ?? (() => performance.now());
    this.#available = true;
    if (!this.#redis.ready) this.#lose('not connected');
    this.#redis.onConnectionChange((event) => {
      if (event === 'ready') this.#regain('connection ready');
      else this.#lose('connection lost');
    });
  }

  get mode(): StateMode {
    return this.#available ? 'redis' : 'redis-unavailable';
  }

  /** Calls answered from memory since this state was made. */
  get fallbacks(): number {
    return this.#fallbacks;
  }

  async get(key: string): Promise<string | undefined> {
    this.#open();
    checkKey(key);
    return this.#call(
      () => this.#redis.get(key),
      () => this.#memory.get(key),
    );
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#open();
    checkKey(key);
    checkValue(value);
    checkTtl(ttlMs);
    return this.#call(
      () => this.#redis.set(key, value, ttlMs),
      () => this.#memory.set(key, value, ttlMs),
      () => this.#memory.set(key, value, ttlMs),
    );
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.#open();
    checkKey(key);
    checkValue(value);
    checkTtl(ttlMs);
    return this.#call(
      () => this.#redis.setIfAbsent(key, value, ttlMs),
      () => this.#memory.setIfAbsent(key, value, ttlMs),
      async (won) => {
        if (won) await this.#memory.set(key, value, ttlMs);
      },
    );
  }

  async deleteIf(key: string, expected: string): Promise<boolean> {
    this.#open();
    checkKey(key);
    checkValue(expected);
    return this.#call(
      () => this.#redis.deleteIf(key, expected),
      () => this.#memory.deleteIf(key, expected),
      // Released in memory too, whatever Redis held: the caller is done with it.
      () => this.#memory.deleteIf(key, expected),
    );
  }

  async raiseTo(key: string, value: number, ttlMs: number): Promise<number> {
    this.#open();
    checkKey(key);
    checkNumber(value);
    checkTtl(ttlMs);
    return this.#call(
      () => this.#redis.raiseTo(key, value, ttlMs),
      () => this.#memory.raiseTo(key, value, ttlMs),
      (held) => this.#memory.raiseTo(key, held, ttlMs),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#redis.close(), this.#memory.close()]);
  }

  /**
   * Redis within the deadline while it is available (then `mirror` writes its answer to
   * memory); memory otherwise.
   */
  async #call<T>(
    viaRedis: () => Promise<T>,
    viaMemory: () => Promise<T>,
    mirror?: (answer: T) => Promise<unknown>,
  ): Promise<T> {
    if (this.#available) {
      const answer = await this.#fromRedis(viaRedis);
      if (answer) {
        // A memory that was closed under us only loses the copy; the answer stands.
        if (mirror) await mirror(answer.value).catch(() => {});
        return answer.value;
      }
    } else {
      this.#probe();
    }
    this.#fallbacks++;
    if (this.#outage) this.#outage.fallbacks++;
    this.#onFallback?.();
    return viaMemory();
  }

  /** Redis's answer within the deadline, or `undefined` (then Redis is marked unavailable). */
  async #fromRedis<T>(viaRedis: () => Promise<T>): Promise<{ value: T } | undefined> {
    try {
      return { value: await withDeadline(viaRedis(), this.#deadlineMs) };
    } catch (error) {
      if (error instanceof StateArgumentError) throw error;
      this.#lose(failureKind(error), error);
      return undefined;
    }
  }

  /** Once per probe interval, while the connection claims to be up: does Redis take a write? */
  #probe(): void {
    if (this.#probing || !this.#redis.ready) return;
    if (this.#now() - this.#lastProbe < this.#probeIntervalMs) return;
    this.#probing = true;
    this.#lastProbe = this.#now();
    withDeadline(this.#redis.probe(), this.#deadlineMs).then(
      () => {
        this.#probing = false;
        this.#regain('probe answered');
      },
      () => {
        this.#probing = false;
      },
    );
  }

  #lose(reason: string, error?: unknown): void {
    if (!this.#available || this.#closed) return;
    this.#available = false;
    this.#outage = { since: this.#now(), fallbacks: 0 };
    // Only the kind of failure and ioredis's message, which names commands and addresses,
    // never arguments; scrubbed all the same.
    const detail = error instanceof Error ? scrubSecrets(error.message).slice(0, 200) : undefined;
    this.#logger.warn(
      { state: { mode: 'redis-unavailable', reason, ...(detail ? { detail } : {}) } },
      "shared state: Redis unavailable, answering from this instance's memory",
    );
    this.#onModeChange?.('redis-unavailable');
  }

  #regain(reason: string): void {
    if (this.#available || this.#closed) return;
    this.#available = true;
    const outage = this.#outage;
    this.#outage = undefined;
    this.#logger.info(
      {
        state: {
          mode: 'redis',
          reason,
          ...(outage
            ? {
                unavailableMs: Math.round(this.#now() - outage.since),
                answeredFromMemory: outage.fallbacks,
              }
            : {}),
        },
      },
      'shared state: Redis available again',
    );
    this.#onModeChange?.('redis');
  }

  #open(): void {
    if (this.#closed) throw new StateClosedError();
  }
}

class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/** `promise`, or a `DeadlineError` after `ms`; a late rejection of `promise` is ignored. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** What went wrong, in a word or two for the log: a timeout, a refused connection, a Redis error. */
function failureKind(error: unknown): string {
  if (error instanceof DeadlineError) return 'timeout';
  if (error instanceof Error) {
    if ('code' in error && typeof error.code === 'string') return error.code;
    if (error.message === "Stream isn't writeable and enableOfflineQueue options is false") {
      return 'not connected';
    }
    return error.name;
  }
  return 'unknown';
}
