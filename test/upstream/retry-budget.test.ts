/**
 * The retry budget on its own, on a simulated clock: storm amplification (catalogue F19) and the
 * floor that lets a quiet gateway retry.
 */

import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../src/upstream/resilience/retry-budget.ts';

function budget(options: { ratio?: number; minRetries?: number; windowMs?: number } = {}) {
  const clock = { now: 5_000_000 };
  const retryBudget = new RetryBudget({
    ratio: options.ratio ?? 0.2,
    minRetries: options.minRetries ?? 10,
    windowMs: options.windowMs ?? 10_000,
    now: () => clock.now,
  });
  return { budget: retryBudget, clock };
}

/** `rps` failing calls a second for `seconds`, each wanting `retries` retries. */
function storm(rps: number, seconds: number, retries = 2) {
  const { budget: b, clock } = budget();
  let calls = 0;
  let requests = 0;
  for (let i = 0; i < rps * seconds; i++) {
    clock.now += 1000 / rps;
    b.recordCall();
    calls++;
    requests++;
    for (let r = 0; r < retries && b.tryRetry(); r++) requests++;
  }
  return { calls, requests };
}

describe('RetryBudget', () => {
  it('50 failing calls a second for 20 s make at most 1.2 × the upstream requests', () => {
    const { calls, requests } = storm(50, 20);
    expect(calls).toBe(1000);
    expect(requests).toBeLessThanOrEqual(1.2 * calls);
    // ...and the 20% is really used: retries are throttled, not stopped.
    expect(requests).toBeGreaterThanOrEqual(1.15 * calls);
  });

  it('holds at 200 calls a second too', () => {
    const { calls, requests } = storm(200, 15);
    expect(requests).toBeLessThanOrEqual(1.2 * calls);
  });

  it('a quiet gateway can always retry a transient failure (the floor)', () => {
    // A failing call every 1.5 s, each retried once: under the default floor of 10 per 10 s.
    const { budget: b, clock } = budget();
    for (let i = 0; i < 40; i++) {
      clock.now += 1500;
      b.recordCall();
      expect(b.tryRetry()).toBe(true);
    }
  });

  it('the floor is per window: spent, it comes back once the window has slid past', () => {
    const { budget: b, clock } = budget({ minRetries: 3, windowMs: 1000 });
    b.recordCall();
    expect([b.tryRetry(), b.tryRetry(), b.tryRetry(), b.tryRetry()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    clock.now += 500;
    expect(b.tryRetry()).toBe(false);
    clock.now += 500;
    expect(b.tryRetry()).toBe(true);
  });

  it('ratio 0 and no floor: no retries at all', () => {
    const { budget: b } = budget({ ratio: 0, minRetries: 0 });
    for (let i = 0; i < 100; i++) b.recordCall();
    expect(b.tryRetry()).toBe(false);
  });

  it('one retry per five calls, counted exactly', () => {
    const { budget: b } = budget({ minRetries: 0 });
    for (let i = 0; i < 35; i++) b.recordCall();
    const granted = [...Array(10)].filter(() => b.tryRetry()).length;
    expect(granted).toBe(7);
  });

  it('a clock that steps back does not count buckets from the future', () => {
    const { budget: b, clock } = budget({ minRetries: 1, windowMs: 1000 });
    b.recordCall();
    expect(b.tryRetry()).toBe(true);
    expect(b.tryRetry()).toBe(false);
    clock.now -= 5000;
    expect(b.tryRetry()).toBe(true);
  });
});
