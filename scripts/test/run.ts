/**
 * `npm test`: both passes (scripts/test/passes.ts), always, then one line saying which failed.
 * Exits non-zero if either did. Extra arguments (`npm test -- test/unit`) go to both passes; a
 * pass with no matching file then passes.
 */

import { runBothPasses, verdict } from './passes.ts';

const extra = process.argv.slice(2);
const results = await runBothPasses(() =>
  extra.length === 0 ? [] : ['--passWithNoTests', ...extra],
);
console.log(`\n${verdict(results)}`);
process.exitCode = results.some((result) => result.code !== 0) ? 1 : 0;
