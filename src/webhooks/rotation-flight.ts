/**
 * Rotations of one webhook's secret that never leave a caller with a dead secret (design 1.7).
 *
 * Featurebase invalidates the old secret the moment it makes a new one. So of two rotations of
 * one webhook sent at the same moment, the first caller's secret is dead before it reaches them.
 * Here, for each webhook, ONE rotation is sent to Featurebase however many callers ask at once,
 * on however many instances, with whatever API keys and versions, and every caller gets the
 * secret Featurebase keeps:
 *
 * - **In this process**, callers of a rotation in flight wait for it. One with the leader's
 *   credentials (the same key and version) gets its answer as is; any other reads the webhook
 *   with its own credentials once the rotation is done, so that Featurebase still decides who
 *   may see the webhook.
 * - **Across instances**, the leader holds a lease in the shared state (`rotation-lease:<id>`,
 *   its value a random token, for `leaseMs`: it expires if the leader dies). An instance that
 *   finds another's lease waits until it is gone (polling every `pollMs`), then reads the
 *   webhook with its caller's credentials if that rotation succeeded (`rotation-done:<token>`),
 *   or tries again (at most `MAX_ROUNDS` times) if it failed or its leader died.
 * - **Just after**: a rotation asked for within `shareWindowMs` after one of the same webhook
 *   completed (`rotated:<id>`, kept that long) reads the webhook instead of rotating again. The
 *   trade-off: a deliberate second rotation inside the window returns the first one's secret.
 *   `0` turns the window off (concurrent callers still share).
 *
 * Webhooks are told apart by id alone, whoever asks: Featurebase's ids are unique across
 * workspaces. A caller with another workspace's key who names this webhook gets what Featurebase
 * tells that key (its read is refused), never this workspace's secret, and its failed rotation
 * shares nothing with anyone.
 *
 * Nothing secret is written to the shared state: ids, random tokens and "done" marks. The new
 * secret travels only in Featurebase's answers: the leader's, and each follower's own read.
 *
 * Bounds: one entry per webhook being rotated in this process (removed when it settles); in the
 * shared state, three short keys per rotation, each with a time to live (the lease, `leaseMs`;
 * the done mark, `DONE_TTL_MS`; the window mark, `shareWindowMs`). A follower waits at most
 * `leaseMs` per round. When the shared state is unreachable it answers from this instance's
 * memory (src/state/resilient-state.ts): rotations are then single-flight per instance only.
 */

import { createHash, randomBytes } from 'node:crypto';
import type { SharedState } from '../state/shared-state.ts';
import type { WireWebhook } from '../upstream/wire.ts';

export interface RotationFlightOptions {
  state: SharedState;
  /** Rotations completed this recently are shared instead of repeated. `0`: off. */
  shareWindowMs: number;
  /** How long a leader may hold the lease: longer than a rotation can take, retries included. */
  leaseMs: number;
  /** How often a follower on another instance looks whether the lease is gone. Default 25 ms. */
  pollMs?: number;
  /** Told each time a caller is given a rotation it did not send (metrics). */
  onShared?: () => void;
}

/** What one caller brings: how to rotate with its credentials, and how to read with them. */
export interface RotationRequest {
  /** The webhook's id, normalised. */
  id: string;
  /** Who is asking, without their key: a fingerprint of key and version. */
  credentials: string;
  /** Sends the rotation to Featurebase with this caller's credentials. */
  rotate(): Promise<WireWebhook>;
  /** Reads the webhook from Featurebase with this caller's credentials (the new secret included). */
  read(): Promise<WireWebhook>;
}

/** A follower gives up waiting for other instances' rotations after this many rounds. */
const MAX_ROUNDS = 3;
/** How long "this rotation succeeded" stays readable for the followers that waited for it. */
export const DONE_TTL_MS = 60_000;
const DEFAULT_POLL_MS = 25;

interface LocalOutcome {
  webhook: WireWebhook;
  /** The leader's credentials fingerprint. */
  credentials: string;
}

export class RotationFlight {
  readonly #options: Required<Omit<RotationFlightOptions, 'onShared'>> &
    Pick<RotationFlightOptions, 'onShared'>;
  /** Rotations in flight in this process, by webhook id. */
  readonly #local = new Map<string, Promise<LocalOutcome>>();
  /** Who leads each local rotation, for its followers to know whether its failure is theirs. */
  readonly #leaders = new WeakMap<Promise<LocalOutcome>, string>();

  constructor(options: RotationFlightOptions) {
    this.#options = { pollMs: DEFAULT_POLL_MS, ...options };
  }

  /** Rotations in flight in this process. */
  get size(): number {
    return this.#local.size;
  }

  /** The webhook with its current secret, after at most one rotation shared by every caller. */
  async rotate(request: RotationRequest): Promise<WireWebhook> {
    const running = this.#local.get(request.id);
    if (running) return this.#follow(running, request);
    const started = this.#lead(request);
    this.#local.set(request.id, started);
    const settled = () => {
      if (this.#local.get(request.id) === started) this.#local.delete(request.id);
    };
    started.then(settled, settled);
    return (await started).webhook;
  }

  /** A caller in this process while another one's rotation is in flight. */
  async #follow(running: Promise<LocalOutcome>, request: RotationRequest): Promise<WireWebhook> {
    let outcome: LocalOutcome;
    try {
      outcome = await running;
    } catch (error) {
      // With the leader's credentials, the same answer; with others, Featurebase may say
      // otherwise: this caller tries on its own.
      if (this.#leaders.get(running) === request.credentials) throw error;
      return this.rotate(request);
    }
    this.#options.onShared?.();
    return outcome.credentials === request.credentials ? outcome.webhook : request.read();
  }

  /** This process's one rotation of the webhook: shared, led, or waited for on another instance. */
  #lead(request: RotationRequest): Promise<LocalOutcome> {
    const outcome = this.#leadAcrossInstances(request).then((webhook) => ({
      webhook,
      credentials: request.credentials,
    }));
    this.#leaders.set(outcome, request.credentials);
    return outcome;
  }

  async #leadAcrossInstances(request: RotationRequest): Promise<WireWebhook> {
    const { state, shareWindowMs, leaseMs } = this.#options;
    const leaseKey = `rotation-lease:${request.id}`;
    for (let round = 1; ; round++) {
      // Other instances' rotations kept failing (or their leaders dying): a lease this caller
      // could not take is not a reason to fail it, so it rotates on its own.
      if (round > MAX_ROUNDS) return request.rotate();
      if (shareWindowMs > 0 && (await state.get(`rotated:${request.id}`)) !== undefined) {
        this.#options.onShared?.();
        return request.read();
      }
      const token = randomBytes(12).toString('base64url');
      if (await state.setIfAbsent(leaseKey, token, leaseMs)) {
        return this.#rotateHoldingLease(request, leaseKey, token);
      }
      const holder = await state.get(leaseKey);
      if (holder === undefined) continue;
      await this.#waitWhileHeld(leaseKey, holder);
      if ((await state.get(`rotation-done:${holder}`)) !== undefined) {
        this.#options.onShared?.();
        return request.read();
      }
      // That leader failed or died: another round.
    }
  }

  async #rotateHoldingLease(
    request: RotationRequest,
    leaseKey: string,
    token: string,
  ): Promise<WireWebhook> {
    const { state, shareWindowMs } = this.#options;
    try {
      const webhook = await request.rotate();
      // Marked done before the lease goes, so that a follower who sees it gone finds the mark.
      await state.set(`rotation-done:${token}`, '1', DONE_TTL_MS);
      if (shareWindowMs > 0) await state.set(`rotated:${request.id}`, token, shareWindowMs);
      return webhook;
    } finally {
      await state.deleteIf(leaseKey, token);
    }
  }

  /** Waits until the lease no longer holds `holder`'s token, at most `leaseMs` (it expires then). */
  async #waitWhileHeld(leaseKey: string, holder: string): Promise<void> {
    const { state, leaseMs, pollMs } = this.#options;
    const deadline = Date.now() + leaseMs + pollMs;
    while (Date.now() < deadline) {
      await delay(pollMs);
      if ((await state.get(leaseKey)) !== holder) return;
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

/**
 * Who asks, without their key: a fingerprint of key and version, held only while their
 * rotation is in flight in this process, never written to the shared state.
 */
export function credentialFingerprint(apiKey: string, apiVersion: string): string {
  return createHash('sha256').update(apiKey).update('\0').update(apiVersion).digest('base64url');
}
