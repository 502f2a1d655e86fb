/**
 * The rate-limit gate (catalogue F10-F12, design 1.5): per API key, remember that Featurebase
 * said the key's quota is used up, and until then refuse calls for that key at once (0 upstream
 * calls) instead of sending requests that can only get a 429.
 *
 * What closes the gate for a key, and until when:
 * - any answer with `X-RateLimit-Remaining: 0` and an `X-RateLimit-Reset`: until that reset;
 * - a 429 with `Retry-After` (or `Retry-After-Ms`): until then (a 429 without either and without
 *   a reset says nothing about when, so it closes nothing).
 * A later answer can only move that end later, never earlier: answers of requests that were in
 * flight arrive in any order, and one counted before the limit was reached (still showing quota
 * left) must not reopen the gate. So entries only expire.
 *
 * The unit of `X-RateLimit-Reset` is UNCONFIRMED (featurebase-webhooks-api.md section 5): the
 * simulator sends the seconds left in the window, Featurebase may send a Unix time. So: a value
 * above 1e12 is a Unix time in milliseconds, above 1e9 a Unix time in seconds (1e9 s is 2001;
 * no window lasts 31 years), anything else a number of seconds to wait.
 *
 * Keys are never stored: the map is keyed by an HMAC-SHA-256 of the key under a random secret
 * of this process, so not even a memory dump can confirm a guessed key. The map holds only keys
 * currently held back, expired entries are dropped lazily, and its size is capped.
 */

import { createHmac, randomBytes } from 'node:crypto';
import type { RateLimitInfo } from '../request/answer-headers.ts';

export interface RateLimitGateOptions {
  /** Most keys remembered at once; past that the oldest entry is forgotten. `0` turns the gate off. */
  maxKeys: number;
  /** The longest a key is held back, whatever Featurebase says. */
  maxWaitMs: number;
  /** Milliseconds since the epoch (a Unix-time reset is read against it). */
  now: () => number;
}

/** What an answer said about the key's quota. */
export interface RateLimitAnswer {
  status?: number | undefined;
  rateLimit?: RateLimitInfo | undefined;
  /** From `Retry-After`/`Retry-After-Ms`, already in milliseconds. */
  retryAfterMs?: number | undefined;
}

/** Above this, `X-RateLimit-Reset` is a Unix time in seconds. */
const EPOCH_SECONDS_FROM = 1e9;
/** Above this, `X-RateLimit-Reset` is a Unix time in milliseconds. */
const EPOCH_MILLISECONDS_FROM = 1e12;

export class RateLimitGate {
  readonly #options: RateLimitGateOptions;
  /** Hashed key → when it may be used again (ms since the epoch). */
  readonly #closedUntil = new Map<string, number>();
  readonly #secret = randomBytes(32);

  constructor(options: RateLimitGateOptions) {
    this.#options = options;
  }

  /** The map key for an API key: never the key itself. */
  keyFor(apiKey: string): string {
    return createHmac('sha256', this.#secret).update(apiKey).digest('base64url');
  }

  /** Milliseconds the key is still held back, or `undefined` when it may be used. */
  waitMs(key: string): number | undefined {
    const until = this.#closedUntil.get(key);
    if (until === undefined) return undefined;
    const left = until - this.#options.now();
    if (left > 0) return left;
    this.#closedUntil.delete(key);
    return undefined;
  }

  /**
   * Learns from an answer for `key`. Returns the wait (ms) when this answer closed the gate for
   * the key (or moved its end), else `undefined`.
   */
  observe(key: string, answer: RateLimitAnswer): number | undefined {
    if (this.#options.maxKeys === 0) return undefined;
    const waitMs = this.#waitFrom(answer);
    if (waitMs === undefined) return undefined;
    const until = this.#options.now() + waitMs;
    const known = this.#closedUntil.get(key);
    if (known !== undefined && known >= until) return undefined;
    if (known === undefined) this.#makeRoom();
    this.#closedUntil.set(key, until);
    return waitMs;
  }

  /**
   * Holds the key back until `untilMs` (another instance's news), unless it already is for
   * longer. The gate's cap on a wait applies.
   */
  closeUntil(key: string, untilMs: number): void {
    if (this.#options.maxKeys === 0) return;
    const capped = Math.min(untilMs, this.#options.now() + this.#options.maxWaitMs);
    const known = this.#closedUntil.get(key);
    if (known !== undefined && known >= capped) return;
    if (known === undefined) this.#makeRoom();
    this.#closedUntil.set(key, capped);
  }

  /** Whether this answer would hold its key back (so whether its key needs hashing at all). */
  wouldHold(answer: RateLimitAnswer): boolean {
    return this.#options.maxKeys > 0 && this.#waitFrom(answer) !== undefined;
  }

  /** Keys currently remembered (expired ones included until they are next looked at). */
  get size(): number {
    return this.#closedUntil.size;
  }

  /** How long this answer tells us to hold the key back, capped; `undefined` for not at all. */
  #waitFrom({ status, rateLimit, retryAfterMs }: RateLimitAnswer): number | undefined {
    let waitMs = 0;
    if (status === 429 && retryAfterMs !== undefined) waitMs = retryAfterMs;
    if (rateLimit?.reset !== undefined && (status === 429 || rateLimit.remaining === 0)) {
      waitMs = Math.max(waitMs, this.#resetWaitMs(rateLimit.reset));
    }
    if (!(waitMs > 0)) return undefined;
    return Math.min(Math.ceil(waitMs), this.#options.maxWaitMs);
  }

  #resetWaitMs(reset: number): number {
    if (reset > EPOCH_MILLISECONDS_FROM) return reset - this.#options.now();
    if (reset > EPOCH_SECONDS_FROM) return reset * 1000 - this.#options.now();
    return reset * 1000;
  }

  /** Before adding a key: drop expired entries, then, if still full, the oldest one. */
  #makeRoom(): void {
    if (this.#closedUntil.size < this.#options.maxKeys) return;
    const now = this.#options.now();
    for (const [key, until] of this.#closedUntil) {
      if (until <= now) this.#closedUntil.delete(key);
    }
    // Forgetting a key costs at most one more 429 for it; growing without bound costs memory.
    while (this.#closedUntil.size >= this.#options.maxKeys) {
      const oldest = this.#closedUntil.keys().next();
      if (oldest.done) break;
      this.#closedUntil.delete(oldest.value);
    }
  }
}
