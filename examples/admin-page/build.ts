/**
 * Builds the admin page: the TypeScript in page/ bundled by esbuild into one script, next to
 * index.html and styles.css. In memory: the files are served from there, nothing is written.
 */

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface StaticFile {
  contentType: string;
  body: Uint8Array;
}

/** The page's files by URL path: the only paths the static server answers. */
export type StaticFiles = ReadonlyMap<string, StaticFile>;

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export async function buildAdminPage(): Promise<StaticFiles> {
  const [bundle, html, css] = await Promise.all([
    bundleScript(),
    readFile(here('index.html')),
    readFile(here('styles.css')),
  ]);
  return new Map<string, StaticFile>([
    ['/', { contentType: 'text/html; charset=utf-8', body: html }],
    ['/admin-page.js', { contentType: 'text/javascript; charset=utf-8', body: bundle }],
    ['/styles.css', { contentType: 'text/css; charset=utf-8', body: css }],
  ]);
}

async function bundleScript(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [here('page/main.ts')],
    tsconfig: here('tsconfig.json'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    write: false,
    outfile: here('admin-page.js'),
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no bundle');
  return output.contents;
}
