/**
 * The Node flags `npm run start:prod` runs the gateway with, read from package.json so that the
 * bench measures exactly what production runs (heap sizes change both speed and memory).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './processes.ts';

/** The `--flags` between `node` and `dist/main.mjs` in the `start:prod` script. */
export function productionNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const script = manifest.scripts?.['start:prod'] ?? '';
  const match = /\bnode\s+((?:--\S+\s+)*)dist\/main\.mjs\b/.exec(script);
  if (!match)
    throw new Error(`package.json's start:prod does not run node … dist/main.mjs: ${script}`);
  return (match[1] ?? '').split(/\s+/).filter((flag) => flag.length > 0);
}
