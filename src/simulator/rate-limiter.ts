/**
 * Featurebase's per-key limit: requests counted in fixed one-minute windows, refused only until
 * the window ends, no lockout [S18]. The workspace-wide 3,000/min is not modelled: with the
 * default of one key per workspace, the per-key 2,000/min is always reached first.
 */

const WINDOW_MS = 60_000;

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Whole seconds until the window resets, at least 1. */
  resetSeconds: number;
}

interface Window {
  start: number;
  count: number;
}

export class FixedWindowRateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limitPerMinute: number,
    private readonly now: () => number,
  ) {}

  /** Counts one request for `key` (refused ones too) and says whether it may proceed. */
  take(key: string): RateLimitDecision {
    const nowMs = this.now();
    // Windows are aligned to the clock's minutes, so every key resets at the same instant.
    const start = nowMs - (nowMs % WINDOW_MS);
    let window = this.windows.get(key);
    if (window === undefined || window.start !== start) {
      window = { start, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    return {
      allowed: window.count <= this.limitPerMinute,
      limit: this.limitPerMinute,
      remaining: Math.max(0, this.limitPerMinute - window.count),
      resetSeconds: Math.max(1, Math.ceil((start + WINDOW_MS - nowMs) / 1000)),
    };
  }

  reset(): void {
    this.windows.clear();
  }
}
