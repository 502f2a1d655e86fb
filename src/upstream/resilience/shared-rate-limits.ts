/**
 * What Featurebase says about a key's rate limit, told to every instance (design 1.7): an
 * instance whose call got `X-RateLimit-Remaining: 0` or a 429 writes, in the shared state, until
 * when the key is held back (`rate-limit:<HMAC of the key>`, the time as milliseconds since the
 * epoch, kept until then); the others look before they call, so that none keeps sending calls
 * another already knows will be refused.
 *
 * Looking costs a round trip to Redis, so an instance looks for a given key at most once every
 * `refreshMs` (250 ms by default): between looks its own gate (src/upstream/resilience/
 * rate-limit-gate.ts) answers at once. The cost of that: another instance's news reaches this
 * one up to `refreshMs` late, so a few calls may still get Featurebase's 429 (each of which
 * closes this instance's gate too). Writing is not waited for.
 *
 * Bounds: the times of the last looks, at most `maxKeys` keys (the oldest forgotten first: it is
 * only looked at again sooner). In the shared state, one short entry per held-back key, gone when
 * the wait is over. The times compared are each instance's own clocks: clocks a second apart
 * shift a wait by a second, within the gate's own cap (`rateLimitGateMaxWaitMs`).
 */

import type { KeyedHash } from '../../state/keyed-hash.ts';
import type { SharedState } from '../../state/shared-state.ts';

export interface SharedRateLimitsOptions {
  state: SharedState;
  hash: KeyedHash;
  now: () => number;
  /** Keys whose last look is remembered. */
  maxKeys: number;
  /** Looks at most this often per key. Default 250 ms. */
  refreshMs?: number;
}

const DEFAULT_REFRESH_MS = 250;

export class SharedRateLimits {
  readonly #options: Required<SharedRateLimitsOptions>;
  /** Local key id → when this instance last looked. Oldest look first (insertion order). */
  readonly #lookedAt = new Map<string, number>();

  constructor(options: SharedRateLimitsOptions) {
    this.#options = { refreshMs: DEFAULT_REFRESH_MS, ...options };
  }

  /**
   * Until when another instance said the key is held back, when it is time to look again
   * (a promise: a round trip); `undefined` without looking when this instance looked lately.
   */
  lookUp(apiKey: string, keyId: string): Promise<number | undefined> | undefined {
    const { now, refreshMs, maxKeys, state } = this.#options;
    const at = now();
    const last = this.#lookedAt.get(keyId);
    if (last !== undefined && at - last < refreshMs) return undefined;
    this.#lookedAt.delete(keyId);
    if (this.#lookedAt.size >= maxKeys) {
      const oldest = this.#lookedAt.keys().next();
      if (!oldest.done) this.#lookedAt.delete(oldest.value);
    }
    this.#lookedAt.set(keyId, at);
    return state.get(this.#name(apiKey)).then((value) => {
      const until = value === undefined ? Number.NaN : Number(value);
      return Number.isFinite(until) && until > now() ? until : undefined;
    });
  }

  /** Tells the other instances that the key is held back until `untilMs` (not waited for). */
  publish(apiKey: string, untilMs: number): void {
    const { now, state } = this.#options;
    const ttlMs = Math.max(1, Math.ceil(untilMs - now()));
    state.raiseTo(this.#name(apiKey), untilMs, ttlMs).catch(() => {
      // The shared state answers from memory when Redis fails; anything else only loses news.
    });
  }

  #name(apiKey: string): string {
    return `rate-limit:${this.#options.hash.of('rate-limit', apiKey)}`;
  }
}
