/**
 * The two passes of `npm test`: every test file in parallel (vitest.config.ts), then the
 * timing-sensitive files one at a time (vitest.timing.config.ts, its list in TIMING_TESTS).
 * Both always run: a failure in the first never hides the second.
 */

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Pass {
  name: string;
  /** Arguments of `vitest run` that select the pass. */
  args: string[];
}

export const PASSES: readonly Pass[] = [
  { name: 'parallel pass (vitest.config.ts)', args: [] },
  {
    name: 'serial timing pass (vitest.timing.config.ts)',
    args: ['--config', 'vitest.timing.config.ts'],
  },
];

export interface PassResult {
  pass: Pass;
  /** The exit code of `vitest run` (a signal counts as 1). */
  code: number;
}

/** Runs `vitest run <pass args> <extra>` with the terminal inherited; resolves with its code. */
export function runPass(pass: Pass, extra: readonly string[] = []): Promise<PassResult> {
  const vitest = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vitest, 'run', ...pass.args, ...extra], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ pass, code: code ?? 1 }));
  });
}

/** Both passes, one after the other, whatever the first one's outcome. */
export async function runBothPasses(
  extraFor: (pass: Pass, index: number) => readonly string[] = () => [],
): Promise<PassResult[]> {
  const results: PassResult[] = [];
  for (const [index, pass] of PASSES.entries()) {
    results.push(await runPass(pass, extraFor(pass, index)));
  }
  return results;
}

/** The last line of `npm test`: which passes failed, or that both passed. */
export function verdict(results: readonly PassResult[]): string {
  const failed = results.filter((result) => result.code !== 0);
  if (failed.length === 0) return `npm test: both passes passed.`;
  const names = failed.map((result) => `the ${result.pass.name} (exit ${result.code})`);
  return `npm test: FAILED in ${names.join(' and ')}.`;
}
