/**
 * The logic of `npm run test:repeat` (scripts/test/repeat.ts), apart from running anything: its
 * arguments, the failures read from vitest's JSON report, and the final table.
 */

export const REPEAT_USAGE = `npm run test:repeat -- <runs> [--busy] [-- <vitest arguments>]

  <runs>   how many times to run the whole suite (both passes of npm test), 1 to 1000
  --busy   keep one core busy (a child process in a tight loop) for the whole time, as another
           developer's build would; it is stopped at the end
  --       what follows goes to every vitest run (e.g. a file filter)

Prints every test that failed in any run, with the runs it failed in, and exits non-zero if
any run failed.`;

export class RepeatUsageError extends Error {}

export interface RepeatOptions {
  runs: number;
  busy: boolean;
  /** Passed to every `vitest run`. */
  vitestArgs: string[];
}

export function parseRepeatArgs(argv: readonly string[]): RepeatOptions {
  const separator = argv.indexOf('--');
  const own = separator === -1 ? argv : argv.slice(0, separator);
  const vitestArgs = separator === -1 ? [] : argv.slice(separator + 1);
  let runs: number | undefined;
  let busy = false;
  for (const arg of own) {
    if (arg === '--busy') busy = true;
    else if (/^\d+$/.test(arg) && runs === undefined) runs = Number(arg);
    else throw new RepeatUsageError(`unexpected argument: ${arg}`);
  }
  if (runs === undefined) throw new RepeatUsageError('how many runs? e.g. 10');
  if (runs < 1 || runs > 1000) throw new RepeatUsageError(`runs must be 1 to 1000, not ${runs}`);
  return { runs, busy, vitestArgs: [...vitestArgs] };
}

/** The part of vitest's JSON report (`--reporter=json`) read here. */
export interface VitestJsonReport {
  testResults?: {
    /** The file's absolute path. */
    name: string;
    status: string;
    /** Why the file failed as a whole (an import error, a failing `beforeAll`…). */
    message?: string;
    assertionResults?: { ancestorTitles?: string[]; title: string; status: string }[];
  }[];
}

/**
 * What failed in one pass: `file > describe > test` for every failed test, and `file (the file
 * itself)` for a file that failed without a failed test. `root` is cut off the paths.
 */
export function failuresOf(report: VitestJsonReport, root: string): string[] {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const failures: string[] = [];
  for (const file of report.testResults ?? []) {
    const path = file.name.startsWith(prefix) ? file.name.slice(prefix.length) : file.name;
    const failed = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
    for (const test of failed) {
      failures.push([path, ...(test.ancestorTitles ?? []), test.title].join(' > '));
    }
    if (failed.length === 0 && file.status === 'failed') failures.push(`${path} (the file itself)`);
  }
  return failures;
}

export interface RunOutcome {
  /** 1 for the first run. */
  run: number;
  /** What failed, from the JSON reports of both passes. */
  failures: string[];
  /** Passes that exited non-zero, by name. */
  failedPasses: string[];
}

/**
 * The closing report: every test that ever failed, with the runs it failed in, most failures
 * first; then a line for each run that failed without a test to blame (an unhandled error, a
 * crash), and the totals.
 */
export function summarize(outcomes: readonly RunOutcome[]): { text: string; failed: boolean } {
  const runsOf = new Map<string, number[]>();
  for (const { run, failures } of outcomes) {
    for (const failure of new Set(failures))
      runsOf.set(failure, [...(runsOf.get(failure) ?? []), run]);
  }
  const failedRuns = outcomes.filter(
    (outcome) => outcome.failures.length > 0 || outcome.failedPasses.length > 0,
  );
  const lines: string[] = [];
  const total = outcomes.length;
  if (runsOf.size > 0) {
    const rows = [...runsOf.entries()].sort(
      ([a, runsA], [b, runsB]) => runsB.length - runsA.length || a.localeCompare(b),
    );
    lines.push('Tests that failed at least once:', '');
    lines.push(`  ${'failed'.padEnd(8)} ${'in runs'.padEnd(16)} test`);
    for (const [name, runs] of rows) {
      const count = `${runs.length}/${total}`;
      lines.push(
        `  ${count.padEnd(8)} ${runs
          .map((run) => `#${run}`)
          .join(' ')
          .padEnd(16)} ${name}`,
      );
    }
    lines.push('');
  }
  for (const outcome of failedRuns) {
    if (outcome.failures.length === 0) {
      lines.push(
        `Run #${outcome.run}: ${outcome.failedPasses.join(' and ')} failed without a failed test in the report (see that run's output).`,
      );
    }
  }
  lines.push(
    failedRuns.length === 0
      ? `All ${total} runs passed.`
      : `${failedRuns.length} of ${total} runs failed: ${failedRuns.map((outcome) => `#${outcome.run}`).join(' ')}.`,
  );
  return { text: lines.join('\n'), failed: failedRuns.length > 0 };
}
