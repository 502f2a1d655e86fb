/**
 * Concurrent callers asking for the same thing share one run of it.
 *
 * Used for secret rotation: Featurebase invalidates the old secret at once, so two concurrent
 * rotations of one webhook leave one caller holding a dead secret. Sharing the in-flight call
 * gives every caller the one secret Featurebase keeps. This is per process: gateway instances
 * behind a load balancer do not see each other's rotations (see the README).
 */

import { createHash } from 'node:crypto';

export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  /** `onShared`: told each time a caller is given a run already in flight (for metrics). */
  constructor(private readonly onShared?: () => void) {}

  /** Runs `task`, unless a run for `key` is in flight: then its result is shared. */
  run(key: string, task: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key);
    if (running) {
      this.onShared?.();
      return running;
    }
    const started = task().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }

  get size(): number {
    return this.#inFlight.size;
  }
}

/**
 * A key for credentials without holding them: rotations are shared only between callers with
 * the same key and version, and the map never contains the key itself.
 */
export function credentialFingerprint(apiKey: string, apiVersion: string): string {
  return createHash('sha256').update(apiKey).update('\0').update(apiVersion).digest('base64url');
}
