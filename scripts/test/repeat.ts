/**
 * `npm run test:repeat -- <runs> [--busy]`: the whole suite (both passes of `npm test`) `runs`
 * times, then a table of every test that ever failed and the runs it failed in. Exits non-zero
 * if any run failed. `--busy` keeps one core busy for the whole time (a child process in a tight
 * loop), to check the suite on a loaded machine. Usage: REPEAT_USAGE in repeat-report.ts.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSES, ROOT, runBothPasses } from './passes.ts';
import {
  failuresOf,
  parseRepeatArgs,
  REPEAT_USAGE,
  RepeatUsageError,
  type RunOutcome,
  summarize,
  type VitestJsonReport,
} from './repeat-report.ts';

let options: ReturnType<typeof parseRepeatArgs>;
try {
  options = parseRepeatArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof RepeatUsageError)) throw error;
  console.error(`${error.message}\n\n${REPEAT_USAGE}`);
  process.exit(2);
}

/** One core kept at 100% by a child process; stopped by `stopBusy()` (and if this one exits). */
let busy: ChildProcess | undefined;
function startBusy(): void {
  busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  console.log(`--busy: one core kept busy by process ${busy.pid}.`);
}
function stopBusy(): void {
  if (busy && busy.exitCode === null && busy.signalCode === null) busy.kill('SIGKILL');
}
process.on('exit', stopBusy);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopBusy();
    process.exit(130);
  });
}

const reports = mkdtempSync(join(tmpdir(), 'test-repeat-'));
const outcomes: RunOutcome[] = [];
if (options.busy) startBusy();
try {
  for (let run = 1; run <= options.runs; run++) {
    console.log(`\n=== run ${run} of ${options.runs}${options.busy ? ' (--busy)' : ''} ===`);
    const reportOf = (index: number) => join(reports, `run-${run}-pass-${index + 1}.json`);
    const results = await runBothPasses((_pass, index) => [
      '--reporter=dot',
      '--reporter=json',
      `--outputFile.json=${reportOf(index)}`,
      // A filter may match files of one pass only: the other then has nothing to run.
      ...(options.vitestArgs.length === 0 ? [] : ['--passWithNoTests', ...options.vitestArgs]),
    ]);
    const failures: string[] = [];
    for (const index of PASSES.keys()) {
      try {
        const report = JSON.parse(readFileSync(reportOf(index), 'utf8')) as VitestJsonReport;
        failures.push(...failuresOf(report, ROOT));
      } catch {
        // No report (vitest did not get that far): the pass's exit code still counts.
      }
    }
    const failedPasses = results
      .filter((result) => result.code !== 0)
      .map((result) => `the ${result.pass.name}`);
    outcomes.push({ run, failures, failedPasses });
    console.log(
      failedPasses.length === 0
        ? `run ${run}: passed`
        : `run ${run}: FAILED (${failures.length} failed tests or files)`,
    );
  }
} finally {
  stopBusy();
  rmSync(reports, { recursive: true, force: true });
}

const { text, failed } = summarize(outcomes);
console.log(`\n${text}`);
process.exitCode = failed ? 1 : 0;
