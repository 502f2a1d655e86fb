/**
 * What the HTTP front refuses instead of letting memory grow: too many GraphQL requests in
 * execution at once, and more request-body bytes in memory than the budget allows. Both refuse
 * with a fast 503 and `Retry-After`, so a burst costs its senders a retry, not the process its
 * heap (src/http/memory-budget.ts has the arithmetic).
 */

/** A counter with a ceiling: requests in execution. */
export class InFlightLimit {
  #inFlight = 0;

  constructor(readonly max: number) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Whether one more may start now; `enter` it only if so. */
  get full(): boolean {
    return this.#inFlight >= this.max;
  }

  tryEnter(): boolean {
    if (this.#inFlight >= this.max) return false;
    this.#inFlight++;
    return true;
  }

  leave(): void {
    if (this.#inFlight > 0) this.#inFlight--;
  }
}

/**
 * Request-body bytes held in memory while bodies are read and parsed. Every body may hold its
 * first `freeBytesPerBody` on its own (every legitimate body here is smaller: the largest, a
 * create with ten delivery headers, is about 12 KB), so the open-connection cap bounds those;
 * bytes beyond that come from one shared pool, and a body that finds the pool spent is refused.
 * Bodies are released as soon as they are parsed, before any upstream call.
 */
export class BodyMemory {
  #pooled = 0;

  constructor(
    readonly freeBytesPerBody: number,
    readonly poolBytes: number,
  ) {}

  /** Bytes of the shared pool in use. */
  get pooled(): number {
    return this.#pooled;
  }

  /**
   * Takes what a body of `total` bytes needs beyond its free share, once it has grown from
   * `held` bytes (`held` already accounted for). Returns whether it fit.
   */
  grow(held: number, total: number): boolean {
    const before = Math.max(0, held - this.freeBytesPerBody);
    const after = Math.max(0, total - this.freeBytesPerBody);
    const more = after - before;
    if (more <= 0) return true;
    if (this.#pooled + more > this.poolBytes) return false;
    this.#pooled += more;
    return true;
  }

  /** Gives back what a body of `held` bytes took from the pool. */
  release(held: number): void {
    this.#pooled = Math.max(0, this.#pooled - Math.max(0, held - this.freeBytesPerBody));
  }
}
