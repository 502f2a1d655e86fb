/**
 * What Featurebase said of each API key lately, so that keys it refuses cost valid tenants
 * nothing:
 *
 * - A key Featurebase answered 401 or 403 is remembered for `rejectedTtlMs` and refused without
 *   a call, with the error Featurebase gave (its status, type, code). Featurebase documents that
 *   a key has full access to its workspace, so a 403 on webhooks is not about one endpoint: it
 *   is treated like a 401 (UNCONFIRMED upstream; the memory is short either way).
 * - A key Featurebase has not judged yet goes one call at a time: while its first call (the
 *   probe) is in flight, its other calls wait for the verdict instead of all reaching Featurebase
 *   (ten aliased fields with a made-up key cost one call, not ten).
 * - A key Featurebase accepted (any answer about the request itself: 2xx, 400, 404, 409, 410,
 *   422) is known for `acceptedTtlMs`, refreshed by every such answer: such a key gets a share
 *   of the upstream of its own (`resilience.ts`), keys not (yet) accepted share by address.
 *
 * Keys are never stored: only an HMAC of them (`RateLimitGate.keyFor`, one secret per process).
 * Each map holds at most `maxKeys` entries, oldest out first; expired entries are dropped as
 * they are met. Forgetting costs at most one more call for that key.
 */

import type { UpstreamErrorDetails } from '../errors.ts';

export interface KeyVerdictsOptions {
  /** Keys remembered per verdict (accepted, rejected). */
  maxKeys: number;
  /** How long a rejection is remembered; `0` remembers none. */
  rejectedTtlMs: number;
  /** How long an acceptance is remembered without a new one. */
  acceptedTtlMs: number;
  /** Milliseconds since the epoch. */
  now: () => number;
}

export interface Rejection {
  status: number;
  details: UpstreamErrorDetails;
}

/** What a call found when it asked about its key. */
export interface KeyAdmission {
  /** Whether Featurebase accepted this key lately. */
  accepted: boolean;
  /**
   * The probe this call waited for was refused: the call must be refused the same way, without
   * a call of its own (even when refusals are not remembered beyond their own calls).
   */
  rejection?: Rejection;
  /** Call with the call's outcome (the status, when an answer came); once. */
  settle(status: number | undefined): void;
}

interface Probe {
  ended: Promise<void>;
  rejection?: Rejection;
}

const ACCEPTED_STATUSES: ReadonlySet<number> = new Set([400, 404, 409, 410, 422]);

/** Statuses that say the key itself is refused. */
export function isRejectionStatus(status: number): boolean {
  return status === 401 || status === 403;
}

export class KeyVerdicts {
  readonly #options: KeyVerdictsOptions;
  readonly #accepted = new Map<string, number>();
  readonly #rejected = new Map<string, { until: number; rejection: Rejection }>();
  /** Keys with a probe in flight: what settles when it ends, and its refusal if it got one. */
  readonly #probes = new Map<string, Probe>();

  constructor(options: KeyVerdictsOptions) {
    this.#options = options;
  }

  /** The remembered rejection of this key, if any. */
  rejection(keyId: string): Rejection | undefined {
    const entry = this.#rejected.get(keyId);
    if (!entry) return undefined;
    if (entry.until > this.#options.now()) return entry.rejection;
    this.#rejected.delete(keyId);
    return undefined;
  }

  isAccepted(keyId: string): boolean {
    const until = this.#accepted.get(keyId);
    if (until === undefined) return false;
    if (until > this.#options.now()) return true;
    this.#accepted.delete(keyId);
    return false;
  }

  /**
   * Before a call with this key: waits while another call probes an unknown key (at most
   * `maxWaitMs`, or until `signal` aborts), then returns how the key stands. The caller must
   * check `rejection(keyId)` first and again after this resolves.
   */
  admit(
    keyId: string,
    maxWaitMs: number,
    signal: AbortSignal | undefined,
  ): KeyAdmission | Promise<KeyAdmission> {
    const probe = this.#probes.get(keyId);
    // Synchronous unless there is a probe to wait for: the call goes on in the same tick.
    if (probe && !this.isAccepted(keyId)) {
      return waitFor(probe.ended, maxWaitMs, signal).then(() => {
        if (!probe.rejection) return this.#decide(keyId);
        return { accepted: false, rejection: probe.rejection, settle: () => {} };
      });
    }
    return this.#decide(keyId);
  }

  #decide(keyId: string): KeyAdmission {
    const learn = (status: number | undefined): void => this.#learn(keyId, status);
    if (this.isAccepted(keyId)) return { accepted: true, settle: learn };
    // Waited for a probe that has not ended in time: go on as a key not accepted yet.
    if (this.#probes.has(keyId)) return { accepted: false, settle: learn };
    // This call is the key's probe: calls that come while it runs wait for its verdict.
    let end = (): void => {};
    const probe: Probe = { ended: new Promise<void>((resolve) => (end = resolve)) };
    this.#probes.set(keyId, probe);
    let settled = false;
    return {
      accepted: false,
      settle: (status) => {
        if (settled) return;
        settled = true;
        this.#probes.delete(keyId);
        learn(status);
        end();
      },
    };
  }

  /**
   * Remembers a rejection given by Featurebase for this key, and hands it to the calls waiting
   * for this key's probe. Call it before the refused call settles.
   */
  reject(keyId: string, rejection: Rejection): void {
    const probe = this.#probes.get(keyId);
    if (probe) probe.rejection = rejection;
    if (this.#options.rejectedTtlMs <= 0) return;
    this.#accepted.delete(keyId);
    makeRoom(this.#rejected, this.#options.maxKeys, (entry) => entry.until, this.#options.now());
    this.#rejected.delete(keyId);
    this.#rejected.set(keyId, {
      until: this.#options.now() + this.#options.rejectedTtlMs,
      rejection,
    });
  }

  #learn(keyId: string, status: number | undefined): void {
    if (status === undefined) return;
    if ((status >= 200 && status < 300) || ACCEPTED_STATUSES.has(status)) {
      const now = this.#options.now();
      makeRoom(this.#accepted, this.#options.maxKeys, (until) => until, now);
      // Re-inserted: the most recently confirmed keys are the last to be forgotten.
      this.#accepted.delete(keyId);
      this.#accepted.set(keyId, now + this.#options.acceptedTtlMs);
    }
  }
}

/** Before adding a key: drops expired entries when full, then the oldest while still full. */
function makeRoom<V>(
  map: Map<string, V>,
  maxKeys: number,
  until: (value: V) => number,
  now: number,
): void {
  if (map.size < maxKeys) return;
  for (const [key, value] of map) if (until(value) <= now) map.delete(key);
  while (map.size >= maxKeys) {
    const oldest = map.keys().next();
    if (oldest.done) return;
    map.delete(oldest.value);
  }
}

/** Resolves when `promise` settles, `maxWaitMs` passes or `signal` aborts, whichever first. */
function waitFor(
  promise: Promise<void>,
  maxWaitMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, maxWaitMs));
    signal?.addEventListener('abort', done, { once: true });
    promise.then(done, done);
  });
}
