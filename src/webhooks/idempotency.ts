/**
 * `Idempotency-Key` for mutations (design 1.7): a mutation sent with one is carried out at most
 * once per key, API key and 24 hours, on whichever instance it lands.
 *
 * The record, in the shared state under `idempotency:<HMAC of API key and Idempotency-Key>`:
 * a fingerprint of what was asked (an HMAC of the mutation's field and arguments, which may
 * hold delivery-header values: never the arguments themselves), what became of it, and the id
 * of the webhook it concerned. Never a secret, never the webhook: a repeat reads the webhook
 * from Featurebase with its own credentials.
 *
 * - **First**: the record is claimed (`pending`, for as long as the call may take), the mutation
 *   is sent, and the record says `done` with the webhook's id for 24 hours.
 * - **A repeat of a done mutation** gets the webhook as Featurebase has it now (for a deletion,
 *   the deletion's answer again), without a second mutation.
 * - **A repeat while the first is in flight** waits for it (polling), then as above.
 * - **A repeat with another mutation or other arguments** under the same key gets
 *   `BAD_USER_INPUT`.
 * - **After a failure Featurebase answered** (a 4xx: nothing happened) or one that certainly
 *   never reached it (refused by the gateway's own protections, connection refused), the record
 *   is removed: a repeat is sent again.
 * - **After a failure whose outcome is unknown** (a timeout, a connection lost or a 5xx after
 *   the request may have arrived), the record says so for 24 hours and a repeat gets the same
 *   error code without anything being sent: never a second webhook by accident. The caller checks
 *   what happened (a list) and sends a new key if it did not.
 *
 * Bounds: one record per key, API key and mutation (about 200 bytes), for 24 hours; the memory
 * state's own bounds apply without Redis (src/state/memory-state.ts), and with Redis down the
 * records are this instance's (a repeat landing on another instance is then carried out again).
 * A repeat waits at most `pendingMs` for a first attempt in flight.
 */

import { randomBytes } from 'node:crypto';
import type { KeyedHash } from '../state/keyed-hash.ts';
import type { SharedState } from '../state/shared-state.ts';
import {
  FeaturebaseError,
  InternalServerError,
  UpstreamConnectionError,
  UpstreamHttpError,
  UpstreamRefusedError,
  UpstreamTimeoutError,
} from '../upstream/errors.ts';
import { BadUserInputError, GatewayError } from './errors.ts';

/** 1-255 printable ASCII characters (design 1.7). */
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_POLL_MS = 25;
/** Rounds of waiting for a first attempt that never settles, before a repeat gives up. */
const MAX_ROUNDS = 3;

export interface IdempotencyOptions {
  state: SharedState;
  hash: KeyedHash;
  /** How long a first attempt may be in flight (its record's lease). */
  pendingMs: number;
  /** How long a record lasts. Default 24 hours. */
  ttlMs?: number;
  /** How often a repeat looks whether the first attempt ended. Default 25 ms. */
  pollMs?: number;
}

/** What the caller asks, as the record's fingerprint sees it. */
export interface IdempotentRequest {
  /** The caller's API key (hashed with the Idempotency-Key; never stored). */
  apiKey: string;
  /** The `Idempotency-Key` header as sent. */
  key: string;
  /** The mutation field. */
  mutation: string;
  /** Its arguments (hashed; never stored). */
  args: unknown;
}

interface StoredRecord {
  /** Fingerprint of mutation and arguments. */
  f: string;
  s: 'pending' | 'done' | 'unknown';
  /** The webhook's id, once done. */
  w?: string;
  /** The error code a repeat gets, when unknown. */
  c?: 'UPSTREAM_TIMEOUT' | 'UPSTREAM_UNAVAILABLE';
  /** The attempt's token, while pending. */
  t?: string;
}

/**
 * A mutation sent with an Idempotency-Key whose first attempt may or may not have happened: it
 * is not sent again. Code as the first attempt's.
 */
export class OutcomeUnknownError extends GatewayError {
  override name = 'OutcomeUnknownError';
  constructor(readonly code: 'UPSTREAM_TIMEOUT' | 'UPSTREAM_UNAVAILABLE') {
    super(
      'A request with this Idempotency-Key reached Featurebase earlier and its outcome is unknown ' +
        `(${code === 'UPSTREAM_TIMEOUT' ? 'no answer in time' : 'the connection failed'}), so it is not sent again. ` +
        'Check whether it took effect before sending it again with a new Idempotency-Key.',
    );
  }
}

/** The header's value checked, or a `BAD_USER_INPUT` naming the rule. */
export function checkIdempotencyKey(value: string): string {
  if (!KEY_PATTERN.test(value)) {
    throw new BadUserInputError(
      'Idempotency-Key must be 1 to 255 printable ASCII characters.',
      'Idempotency-Key',
    );
  }
  return value;
}

export class IdempotencyKeys {
  readonly #options: Required<IdempotencyOptions>;

  constructor(options: IdempotencyOptions) {
    this.#options = { ttlMs: IDEMPOTENCY_TTL_MS, pollMs: DEFAULT_POLL_MS, ...options };
  }

  /**
   * Carries out `perform` at most once for this request's key: a repeat gets `replay` of the
   * first attempt's webhook id. `idOf` names the webhook the result concerns.
   */
  async run<T>(
    request: IdempotentRequest,
    perform: () => Promise<T>,
    idOf: (result: T) => string,
    replay: (webhookId: string) => Promise<T>,
  ): Promise<T> {
    const { state, hash, pendingMs } = this.#options;
    const name = `idempotency:${hash.of(request.apiKey, request.key)}`;
    const fingerprint = hash.of(request.mutation, stableJson(request.args));
    for (let round = 1; ; round++) {
      const token = randomBytes(9).toString('base64url');
      const pending = JSON.stringify({
        f: fingerprint,
        s: 'pending',
        t: token,
      } satisfies StoredRecord);
      if (await state.setIfAbsent(name, pending, pendingMs)) {
        return this.#first(name, pending, fingerprint, perform, idOf);
      }
      const record = await this.#settled(name);
      if (record === undefined) continue;
      if (record.f !== fingerprint) {
        throw new BadUserInputError(
          'This Idempotency-Key was used with another mutation or other arguments: use a new key for a new request.',
          'Idempotency-Key',
        );
      }
      if (record.s === 'unknown') throw new OutcomeUnknownError(record.c ?? 'UPSTREAM_TIMEOUT');
      if (record.s === 'done' && record.w !== undefined) return replay(record.w);
      // Still pending after its lease: its attempt outlived every bound, so what it did is not
      // known either. Past a few rounds, say so rather than send a second one.
      if (round >= MAX_ROUNDS) throw new OutcomeUnknownError('UPSTREAM_TIMEOUT');
    }
  }

  async #first<T>(
    name: string,
    pending: string,
    fingerprint: string,
    perform: () => Promise<T>,
    idOf: (result: T) => string,
  ): Promise<T> {
    const { state, ttlMs } = this.#options;
    let result: T;
    try {
      result = await perform();
    } catch (error) {
      const unknown = unknownOutcome(error);
      if (unknown) {
        await state.set(name, JSON.stringify({ f: fingerprint, s: 'unknown', c: unknown }), ttlMs);
      } else {
        await state.deleteIf(name, pending);
      }
      throw error;
    }
    const done: StoredRecord = { f: fingerprint, s: 'done', w: idOf(result) };
    await state.set(name, JSON.stringify(done), ttlMs);
    return result;
  }

  /** The record once it is no longer pending (or gone), waiting at most `pendingMs`. */
  async #settled(name: string): Promise<StoredRecord | undefined> {
    const { state, pendingMs, pollMs } = this.#options;
    const deadline = Date.now() + pendingMs + pollMs;
    for (;;) {
      const record = parseRecord(await state.get(name));
      if (record === undefined || record.s !== 'pending' || Date.now() > deadline) return record;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

/** The code a repeat gets when the attempt may have reached Featurebase; else `undefined`. */
function unknownOutcome(error: unknown): StoredRecord['c'] | undefined {
  if (error instanceof UpstreamTimeoutError) return 'UPSTREAM_TIMEOUT';
  if (error instanceof UpstreamConnectionError) {
    return error.mayHaveReachedUpstream ? 'UPSTREAM_UNAVAILABLE' : undefined;
  }
  // A 5xx: Featurebase may have done it before failing.
  if (error instanceof InternalServerError) return 'UPSTREAM_UNAVAILABLE';
  // Any other answer said what happened (nothing), and a refusal never left the gateway.
  if (error instanceof UpstreamHttpError || error instanceof UpstreamRefusedError) return undefined;
  if (error instanceof GatewayError) return undefined;
  // Anything else from the upstream side (a body that could not be read): it may have happened.
  return error instanceof FeaturebaseError ? 'UPSTREAM_UNAVAILABLE' : undefined;
}

function parseRecord(value: string | undefined): StoredRecord | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as StoredRecord;
    return typeof parsed.f === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** JSON with object keys sorted: the same arguments always print alike. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    return Object.fromEntries(
      Object.entries(inner as Record<string, unknown>).sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      ),
    );
  });
}
