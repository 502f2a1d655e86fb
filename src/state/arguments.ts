/**
 * What every `SharedState` accepts, checked the same way by each implementation so that a call
 * means the same in memory and in Redis. A call outside these rules is a bug in the caller, not
 * an outage: it is refused with `StateArgumentError` (a rejected promise) by every
 * implementation, and the resilient state passes it on instead of falling back to memory.
 */

/** Keys are hashes and ids; the Redis prefix comes on top. */
export const MAX_KEY_LENGTH = 256;
/** Values are short tokens, timestamps and fingerprints, never a body. */
export const MAX_VALUE_LENGTH = 1024;
/** Thirty days: longer than anything shared needs (idempotency keys live a day). */
export const MAX_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export class StateArgumentError extends RangeError {
  override name = 'StateArgumentError';
}

export class StateClosedError extends Error {
  override name = 'StateClosedError';
  constructor() {
    super('the shared state is closed');
  }
}

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    // Never the key itself in the message: it may be a hash of a credential.
    throw new StateArgumentError(`a state key must be 1 to ${MAX_KEY_LENGTH} characters long`);
  }
}

export function checkValue(value: string): void {
  if (typeof value !== 'string' || value.length > MAX_VALUE_LENGTH) {
    throw new StateArgumentError(`a state value must be a string of at most ${MAX_VALUE_LENGTH}`);
  }
}

/**
 * A time to live in whole milliseconds: a finite number above 0, rounded up (Redis counts in
 * whole milliseconds), at most `MAX_TTL_MS`. A caller that computes one from a deadline must
 * keep it above 0 itself (`Math.max(1, deadline - now)`): a key that is already expired is a
 * delete, and should be written as one.
 */
export function checkTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !(ttlMs > 0) || ttlMs > MAX_TTL_MS) {
    throw new StateArgumentError(`a state TTL must be above 0 and at most ${MAX_TTL_MS} ms`);
  }
  return Math.ceil(ttlMs);
}

/** `raiseTo`'s number: finite, so that its text reads back as the same number everywhere. */
export function checkNumber(value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StateArgumentError('a state number must be finite');
  }
}

/**
 * The number a stored value holds for `raiseTo`, or `undefined` when it holds none (then
 * `raiseTo` overwrites it). The same reading as the Redis script's `tonumber` for every text
 * `raiseTo` writes (JavaScript's `String` of a finite number).
 */
export function storedNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}
