/**
 * What instances of the gateway share (design 1.7): a few keys with a time to live, and the
 * operations Redis does atomically on them. One process keeps them in memory
 * (src/state/memory-state.ts); several share them through Redis (src/state/redis-state.ts) when
 * `REDIS_URL` is set.
 *
 * Rules for every caller:
 * - **No secret is ever a key or a value.** API keys appear only as keyed hashes; webhook
 *   secrets never. Values are short tokens, timestamps and fingerprints.
 * - **Every key has a time to live**, so nothing outlives its use even if its writer dies.
 * - **Every call may fail or be slow** when Redis is down: the implementation behind this
 *   interface bounds each call's wait and falls back to this instance's memory, so callers see
 *   a slower or per-instance answer, never an exception (src/state/resilient-state.ts).
 *
 * What each call means, the same in memory and in Redis (test/state/contract.ts holds both to it):
 * - A key set for `ttlMs` is there until `ttlMs` has passed, and gone from then on. TTLs are
 *   whole milliseconds (a fraction is rounded up), above 0 and at most 30 days.
 * - Each call is atomic on its key, across instances: of concurrent `setIfAbsent` calls on one
 *   key exactly one wins; `deleteIf` and `raiseTo` read and write in one step.
 * - Keys are 1 to 256 characters (Redis puts `fbgw:` before them), values at most 1,024. A call
 *   outside these rules is a bug in the caller: every implementation refuses it with
 *   `StateArgumentError` (src/state/arguments.ts), whatever Redis is doing; a call after
 *   `close()` with `StateClosedError`.
 * - The gateway gets its state from `createSharedState` (src/state/index.ts); a test can use
 *   `new MemoryState({ now })` (src/state/memory-state.ts) with a clock of its own.
 */

export interface SharedState {
  /** The value under `key`, or `undefined` when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Sets `key` to `value` for `ttlMs` milliseconds, whatever it held. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Sets `key` to `value` for `ttlMs` only when it is absent (a lease, a first writer). Returns
   * whether it was set.
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes `key` only while it holds `expected` (releasing one's own lease). Returns whether it did. */
  deleteIf(key: string, expected: string): Promise<boolean>;
  /**
   * Raises the number under `key` to `value` when it is absent or lower, keeping it for at least
   * `ttlMs` more (a deadline that answers arriving in any order may only move later). Returns
   * the number held afterwards.
   */
  raiseTo(key: string, value: number, ttlMs: number): Promise<number>;
  /** Closes connections; the state is unusable afterwards. */
  close(): Promise<void>;
}

/** Which state an instance uses: its own memory, or Redis (and whether Redis answers now). */
export type StateMode = 'memory' | 'redis' | 'redis-unavailable';
