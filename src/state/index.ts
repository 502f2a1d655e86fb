/**
 * The state this instance shares with the others, made from the configuration: its memory when
 * no `REDIS_URL` is set, Redis behind the resilient state otherwise (src/state/resilient-state.ts
 * says what happens while Redis is down).
 *
 *   const shared = await createSharedState({ redisUrl: config.redisUrl }, logger);
 *   await shared.state.setIfAbsent(key, token, ttlMs);
 *   shared.mode(); // 'memory' | 'redis' | 'redis-unavailable'
 *   await shared.state.close();
 */

import type { Logger } from 'pino';
import { MemoryState, type MemoryStateOptions } from './memory-state.ts';
import { connectRedisState, type RedisStateOptions } from './redis-state.ts';
import { ResilientState } from './resilient-state.ts';
import type { SharedState, StateMode } from './shared-state.ts';

export { StateArgumentError, StateClosedError } from './arguments.ts';
export type { SharedState, StateMode } from './shared-state.ts';

export interface SharedStateOptions {
  /** `REDIS_URL` (validated by config.ts); unset: this instance's memory only. */
  redisUrl: string | undefined;
  /** Time a call waits for Redis before this instance's memory answers. Default 100 ms. */
  callDeadlineMs?: number;
  /** How long the start waits for a first connection to Redis before going on without. Default 1000 ms. */
  connectWaitMs?: number;
  /** Redis connection settings besides the URL (key prefix, timeouts, reconnection). */
  redis?: Omit<RedisStateOptions, 'url'>;
  /** Bounds of the memory (the whole state without Redis, the fallback with it). */
  memory?: MemoryStateOptions;
  /** Told when the mode changes (for metrics). */
  onModeChange?: (mode: StateMode) => void;
  /** Told each time memory answers a call because Redis did not (for metrics). */
  onFallback?: () => void;
}

export interface SharedStateHandle {
  state: SharedState;
  /** Which state answers now. */
  mode(): StateMode;
}

export async function createSharedState(
  options: SharedStateOptions,
  logger: Logger,
): Promise<SharedStateHandle> {
  const memory = new MemoryState(options.memory);
  if (options.redisUrl === undefined) {
    logger.info({ state: { mode: 'memory' } }, 'shared state: in memory (this instance only)');
    return { state: memory, mode: () => 'memory' };
  }
  const redis = await connectRedisState({ ...options.redis, url: options.redisUrl });
  // A moment for the first connection, so that the first requests already share; after that
  // the instance starts anyway, on its memory, and uses Redis once it answers.
  await redis.whenReady(options.connectWaitMs ?? 1000);
  const state = new ResilientState({
    redis,
    memory,
    logger,
    ...(options.callDeadlineMs !== undefined ? { deadlineMs: options.callDeadlineMs } : {}),
    ...(options.onModeChange ? { onModeChange: options.onModeChange } : {}),
    ...(options.onFallback ? { onFallback: options.onFallback } : {}),
  });
  logger.info(
    { state: { mode: state.mode, redis: withoutCredentials(options.redisUrl) } },
    'shared state: Redis',
  );
  return { state, mode: () => state.mode };
}

/** Where Redis is, for the log: scheme, host, port and database, never a user or password. */
export function withoutCredentials(url: string): string {
  const { protocol, host, pathname } = new URL(url);
  return `${protocol}//${host}${pathname === '/' ? '' : pathname}`;
}
