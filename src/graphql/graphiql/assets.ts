/**
 * GraphiQL's scripts, styles and workers, served by the gateway itself from
 * `@graphql-yoga/render-graphiql` (the bundle Yoga publishes for offline use), so the page works
 * without the internet.
 *
 * Bounds: the bundle is loaded on the first asset request, never at start-up (a gateway whose
 * GraphiQL nobody opens never holds it), by a worker thread (below). Only the gzipped bytes are
 * kept: ~2.6 MB outside the heap, once, whatever the traffic (`GRAPHIQL_ASSET_BYTES` in
 * src/http/memory-budget.ts). Every browser accepts gzip and gets those very bytes (nothing is
 * copied per request). A client that does not (a proxy that strips `Accept-Encoding`, curl) gets
 * them inflated as they stream, a few KB of memory each, at most `MAX_INFLATING` at once (more:
 * 503 with `Retry-After`), since inflating 9 MB costs CPU time. The URLs carry the package's
 * version, so browsers may keep them for a year.
 *
 * Failure mode: if the bundle cannot be loaded (a broken install), asset requests get 503 for
 * 10 s, then one of them tries again; GraphQL is not affected.
 */

import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';

const VERSION: string = (
  createRequire(import.meta.url)('@graphql-yoga/render-graphiql/package.json') as {
    version: string;
  }
).version;

/** Where the page finds its assets; versioned, so a new GraphiQL is never mixed with the old. */
export const GRAPHIQL_ASSETS_URL = `/graphiql/${VERSION}/`;

/** The assets by name, with their content types; the page names each of them. */
const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['graphiql.js', 'text/javascript; charset=utf-8'],
  ['graphiql.css', 'text/css; charset=utf-8'],
  ['editor.worker.js', 'text/javascript; charset=utf-8'],
  ['json.worker.js', 'text/javascript; charset=utf-8'],
  ['graphql.worker.js', 'text/javascript; charset=utf-8'],
  ['favicon.ico', 'image/x-icon'],
]);

/** Clients without gzip being served at once (inflating 9 MB takes ~30 ms of CPU). */
export const MAX_INFLATING = 2;

interface Asset {
  gzipped: Uint8Array<ArrayBuffer>;
  /** Bytes once inflated. */
  size: number;
}

/** After a failed load, requests are refused this long before one tries again. */
const RETRY_LOAD_AFTER_MS = 10_000;

let loading: Promise<ReadonlyMap<string, Asset>> | undefined;

/**
 * Loads the bundle once, for every request that wants it. A failed load is remembered for
 * `RETRY_LOAD_AFTER_MS`, so a broken install costs one worker per 10 s, not one per request.
 */
function assets(): Promise<ReadonlyMap<string, Asset>> {
  loading ??= loadAssets().catch((error: unknown) => {
    setTimeout(() => {
      loading = undefined;
    }, RETRY_LOAD_AFTER_MS).unref();
    throw error;
  });
  return loading;
}

/**
 * The bundle is evaluated in a short-lived worker thread, which hands back its gzipped bytes
 * (transferred, not copied) and exits. Imported here, the module's 9 MB of strings and
 * its source would stay on this heap for good (32 MB measured); this way the heap keeps nothing
 * and the worker's own heap, capped below, is gone once it has answered.
 */
const LOADER = `
const { parentPort, workerData } = require('node:worker_threads');
const { gzipSync } = require('node:zlib');
const bundle = require(workerData.bundlePath);
const favicon = bundle.favicon.slice(bundle.favicon.indexOf(',') + 1);
const sources = {
  'graphiql.js': Buffer.from(bundle.js),
  'graphiql.css': Buffer.from(bundle.css),
  'editor.worker.js': Buffer.from(bundle.editorWorkerService),
  'json.worker.js': Buffer.from(bundle.jsonWorker),
  'graphql.worker.js': Buffer.from(bundle.graphqlWorker),
  'favicon.ico': Buffer.from(favicon, 'base64'),
};
const assets = Object.entries(sources).map(([name, bytes]) => ({
  name,
  size: bytes.length,
  gzipped: new Uint8Array(gzipSync(bytes, { level: 9 })),
}));
parentPort.postMessage(assets, assets.map((asset) => asset.gzipped.buffer));
`;

interface LoadedAsset extends Asset {
  name: string;
}

async function loadAssets(): Promise<ReadonlyMap<string, Asset>> {
  const bundlePath = createRequire(import.meta.url).resolve(
    '@graphql-yoga/render-graphiql/graphiql',
  );
  const worker = new Worker(LOADER, {
    eval: true,
    workerData: { bundlePath },
    resourceLimits: { maxOldGenerationSizeMb: 128 },
    stdout: true,
    stderr: true,
  });
  try {
    const loaded = await new Promise<LoadedAsset[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      // Out of memory or killed: an exit without an answer is a failure, not a wait for ever.
      worker.once('exit', (code) => reject(new Error(`GraphiQL's loader exited (${code})`)));
    });
    return new Map(loaded.map(({ name, ...asset }) => [name, asset]));
  } finally {
    await worker.terminate();
  }
}

/** Serves `GET /graphiql/<version>/<name>`; every other request passes by untouched. */
export function useGraphiQLAssets(): Plugin {
  let inflating = 0;
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith('/graphiql/')) return;
      const answer = (status: number, body: BodyInit | null, headers: Record<string, string>) =>
        endResponse(new fetchAPI.Response(body, { status, headers }));
      const refuse = (status: number, message: string, headers: Record<string, string> = {}) =>
        answer(status, message, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        refuse(405, 'Method not allowed.', { allow: 'GET, HEAD' });
        return;
      }
      const name = url.pathname.slice(GRAPHIQL_ASSETS_URL.length);
      const contentType = CONTENT_TYPES.get(name);
      // Checked before loading: an unknown path never costs the bundle's load.
      if (!url.pathname.startsWith(GRAPHIQL_ASSETS_URL) || contentType === undefined) {
        refuse(404, 'Not found.');
        return;
      }
      let asset: Asset | undefined;
      try {
        asset = (await assets()).get(name);
      } catch {
        refuse(503, 'GraphiQL is unavailable.', { 'retry-after': '1' });
        return;
      }
      if (asset === undefined) throw new Error(`GraphiQL's bundle has no ${name}`);
      const headers = {
        'content-type': contentType,
        'cache-control': 'public, max-age=31536000, immutable',
        vary: 'accept-encoding',
      };
      if (acceptsGzip(request.headers.get('accept-encoding'))) {
        const { gzipped } = asset;
        answer(200, request.method === 'HEAD' ? null : gzipped, {
          ...headers,
          'content-encoding': 'gzip',
          'content-length': String(gzipped.length),
        });
        return;
      }
      if (request.method === 'HEAD') {
        answer(200, null, { ...headers, 'content-length': String(asset.size) });
        return;
      }
      if (inflating >= MAX_INFLATING) {
        refuse(503, 'Busy; retry, or accept gzip.', { 'retry-after': '1' });
        return;
      }
      inflating++;
      const inflated = Readable.from([asset.gzipped]).pipe(createGunzip());
      inflated.once('close', () => inflating--);
      answer(200, Readable.toWeb(inflated) as ReadableStream<Uint8Array>, {
        ...headers,
        'content-length': String(asset.size),
      });
    },
  };
}

/** `gzip` listed and not refused with `q=0`. */
function acceptsGzip(header: string | null): boolean {
  if (header === null) return false;
  return header
    .toLowerCase()
    .split(',')
    .some((part) => {
      const [coding, ...params] = part.trim().split(';');
      if (coding?.trim() !== 'gzip') return false;
      return !params.some((param) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(param));
    });
}
