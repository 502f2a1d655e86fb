/**
 * Whether the process is short of CPU: how late a timer runs is how long every request waits
 * for its turn on the event loop. A timer ticks every 100 ms; the process is under pressure
 * once three ticks in a row came more than `thresholdMs` late (so for at least ~0.6 s with the
 * default threshold of 100 ms), and no longer at the first tick on time. One garbage collection,
 * one slow request or the operating system pausing the process once does not count.
 *
 * The GraphQL front uses it to serve the tenants Featurebase knows first: under pressure,
 * requests without such a key are shed (503) before any work is done for them. A flood of
 * requests with made-up keys, or none, then costs its senders a refusal, and cannot slow
 * everyone down by keeping the single thread busy.
 *
 * Memory: two numbers and one unref'd timer; `stop()` ends it with its server.
 */

const TICK_MS = 100;
/** Late ticks in a row that make pressure. */
const LATE_TICKS = 3;

export interface Pressure {
  /** The event loop has been running later than the threshold for a while. */
  readonly high: boolean;
  stop(): void;
}

export function watchEventLoop(thresholdMs: number): Pressure {
  if (thresholdMs <= 0) return { high: false, stop: () => {} };
  let lateTicks = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lateTicks = now - last - TICK_MS > thresholdMs ? lateTicks + 1 : 0;
    last = now;
  }, TICK_MS);
  timer.unref();
  return {
    get high() {
      return lateTicks >= LATE_TICKS;
    },
    stop: () => clearInterval(timer),
  };
}
