/**
 * The retry budget (catalogue F19: "no storm amplification"). Retries are what turn a failing
 * upstream into a flood: with 2 retries each, 50 calls a second become 150. So, over a sliding
 * window, retries may be at most `ratio` of the calls made (20% by default: at most 1.2 upstream
 * requests per call), or `minRetries` when that is more, so that a quiet gateway can still retry
 * a transient failure:
 *
 *     retries in the window  ≤  max(minRetries, ratio × calls in the window)
 *
 * At 50 failing calls a second over a 10 s window the ratio allows 100 retries, far above the
 * floor of 10, so upstream traffic stays ≤ 1.2 × calls; the floor only matters below 5 calls a
 * second. When the budget is spent, the call ends with the error of its last attempt.
 *
 * The window is a ring of 10 buckets (each a tenth of it), so it slides in steps of a tenth.
 */

export interface RetryBudgetOptions {
  /** Retries allowed per call made, over the window (0.2: one retry per five calls). */
  ratio: number;
  /** Retries always allowed per window, however few the calls. */
  minRetries: number;
  /** The length of the sliding window. */
  windowMs: number;
  /** Milliseconds; any monotonic-enough clock. */
  now: () => number;
}

const BUCKETS = 10;
/** Keeps `0.2 × 35 = 7.000000000000001` from refusing the 7th retry. */
const EPSILON = 1e-9;

interface Bucket {
  /** Which tenth of time this bucket counts (`floor(now / bucketMs)`). */
  tick: number;
  calls: number;
  retries: number;
}

export class RetryBudget {
  readonly #options: RetryBudgetOptions;
  readonly #bucketMs: number;
  readonly #buckets: Bucket[] = Array.from({ length: BUCKETS }, () => ({
    tick: Number.NEGATIVE_INFINITY,
    calls: 0,
    retries: 0,
  }));

  constructor(options: RetryBudgetOptions) {
    this.#options = options;
    this.#bucketMs = Math.max(1, options.windowMs / BUCKETS);
  }

  /** Counts a call (its first attempt): it earns `ratio` of a retry. */
  recordCall(): void {
    this.#current().calls++;
  }

  /** Spends one retry if the budget allows it; `false` means: do not retry. */
  tryRetry(): boolean {
    const bucket = this.#current();
    let calls = 0;
    let retries = 0;
    for (const { tick, calls: c, retries: r } of this.#buckets) {
      // Only the last BUCKETS ticks (a clock that stepped back leaves no future buckets counted).
      if (tick > bucket.tick - BUCKETS && tick <= bucket.tick) {
        calls += c;
        retries += r;
      }
    }
    const allowed = Math.max(this.#options.minRetries, this.#options.ratio * calls);
    if (retries + 1 > allowed + EPSILON) return false;
    bucket.retries++;
    return true;
  }

  /** The bucket of the current tick, emptied first if it last counted an older tick. */
  #current(): Bucket {
    const tick = Math.floor(this.#options.now() / this.#bucketMs);
    const bucket = this.#buckets[((tick % BUCKETS) + BUCKETS) % BUCKETS] as Bucket;
    if (bucket.tick !== tick) {
      bucket.tick = tick;
      bucket.calls = 0;
      bucket.retries = 0;
    }
    return bucket;
  }
}
