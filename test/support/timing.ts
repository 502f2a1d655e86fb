/**
 * Wall-clock checks that measure the code, not the machine. Two shapes are used in this suite:
 *
 * - against a configured timer: a test that checks "answered without waiting" configures the
 *   timer a bug would wait for (an attempt timeout, a drain deadline) long, and asserts under
 *   half of it (`NO_WAIT_MS` in test/support/faults.ts, and the like in each file): the right
 *   behaviour takes milliseconds on any machine, the bug seconds;
 * - against a baseline measured in the same run (`compareFastest`): a cheap refusal must cost
 *   no more than a small multiple of an ordinary request of the same kind, both timed the same
 *   way, alternately, under whatever load the machine has at that moment.
 */

export interface Comparison {
  /** The fastest run of the subject, in ms. */
  subjectMs: number;
  /** The fastest run of the baseline, in ms. */
  baselineMs: number;
  /** `subjectMs / baselineMs`. */
  ratio: number;
  /** Both, for a failure message. */
  note: string;
}

/**
 * Times `subject` and `baseline` alternately, `rounds` times each (after one untimed run of
 * each, which pays for compiling their code paths), and keeps the fastest run of each. Load on
 * the machine only ever adds time (a preempted thread, a busy core), so the fastest run is the
 * one closest to the code's own cost; alternating exposes both to the same load. `repeat` runs
 * each timed sample that many times in a row, for code too fast to time once.
 */
export async function compareFastest(
  subject: () => unknown,
  baseline: () => unknown,
  { rounds = 9, repeat = 1 }: { rounds?: number; repeat?: number } = {},
): Promise<Comparison> {
  const sample = async (run: () => unknown) => {
    const started = performance.now();
    for (let index = 0; index < repeat; index++) {
      // Synchronous code is timed without a microtask turn per call.
      const result = run();
      if (result instanceof Promise) await result;
    }
    return performance.now() - started;
  };
  await subject();
  await baseline();
  let subjectMs = Number.POSITIVE_INFINITY;
  let baselineMs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    baselineMs = Math.min(baselineMs, await sample(baseline));
    subjectMs = Math.min(subjectMs, await sample(subject));
  }
  const ratio = subjectMs / baselineMs;
  const note = `fastest of ${rounds}: ${subjectMs.toFixed(3)} ms against a baseline of ${baselineMs.toFixed(3)} ms (× ${ratio.toFixed(1)})`;
  return { subjectMs, baselineMs, ratio, note };
}
