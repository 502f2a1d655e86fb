/**
 * `npm run build`: the gateway as it runs in production, `dist/main.mjs`. Our code is bundled
 * into one module (no TypeScript loader at run time: faster start-up, and no loader thread with
 * a heap of its own); dependencies stay in node_modules, loaded as Node loads them.
 */

import { build } from 'esbuild';

const result = await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.mjs',
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
process.stdout.write(`wrote dist/main.mjs (${Math.round(bytes / 1024)} KiB with its source map)\n`);
