/**
 * GraphiQL's scripts, styles and workers, served by the gateway itself from
 * `@graphql-yoga/render-graphiql` (the bundle Yoga publishes for offline use), so the page works
 * without the internet.
 *
 * Bounds: the bundle is loaded on the first asset request, never at start-up (a gateway whose
 * GraphiQL nobody opens never holds it). Loaded, it costs ~9 MB of strings on the heap (the
 * module's exports, kept by the module cache) plus ~9 MB of Buffers and ~2.5 MB of their gzip
 * forms outside it, once, whatever the traffic (`GRAPHIQL_ASSET_BYTES` in
 * src/http/memory-budget.ts). Each answer hands out the same Buffer: nothing is copied per
 * request. The URLs carry the package's version, so browsers may keep them for a year.
 *
 * Failure mode: if the bundle cannot be loaded (a broken install), asset requests get 503 and
 * the next request tries again; GraphQL is not affected.
 */

import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';

const VERSION: string = (
  createRequire(import.meta.url)('@graphql-yoga/render-graphiql/package.json') as {
    version: string;
  }
).version;

/** Where the page finds its assets; versioned, so a new GraphiQL is never mixed with the old. */
export const GRAPHIQL_ASSETS_URL = `/graphiql/${VERSION}/`;

interface Asset {
  contentType: string;
  body: Uint8Array<ArrayBuffer>;
  gzipped: Uint8Array<ArrayBuffer>;
}

const compress = promisify(gzip);

let loading: Promise<ReadonlyMap<string, Asset>> | undefined;

/** Loads the bundle once; a failed load is forgotten, so the next request tries again. */
function assets(): Promise<ReadonlyMap<string, Asset>> {
  loading ??= loadAssets().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function loadAssets(): Promise<ReadonlyMap<string, Asset>> {
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const javascript = 'text/javascript; charset=utf-8';
  const sources: [string, string, Buffer][] = [
    ['graphiql.js', javascript, Buffer.from(bundle.js)],
    ['graphiql.css', 'text/css; charset=utf-8', Buffer.from(bundle.css)],
    ['editor.worker.js', javascript, Buffer.from(bundle.editorWorkerService)],
    ['json.worker.js', javascript, Buffer.from(bundle.jsonWorker)],
    ['graphql.worker.js', javascript, Buffer.from(bundle.graphqlWorker)],
    ['favicon.ico', 'image/x-icon', fromDataUrl(bundle.favicon)],
  ];
  // Compressed on libuv's thread pool, not on the event loop that serves GraphQL.
  const entries = await Promise.all(
    sources.map(
      async ([name, contentType, body]): Promise<[string, Asset]> => [
        name,
        { contentType, body: bytesOf(body), gzipped: bytesOf(await compress(body)) },
      ],
    ),
  );
  return new Map(entries);
}

/** The same memory, typed as the fetch API's body wants it (no copy). */
function bytesOf(buffer: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(buffer.buffer as ArrayBuffer, buffer.byteOffset, buffer.byteLength);
}

function fromDataUrl(url: string): Buffer {
  const comma = url.indexOf(',');
  return Buffer.from(
    url.slice(comma + 1),
    url.slice(0, comma).endsWith(';base64') ? 'base64' : 'utf8',
  );
}

/** Serves `GET /graphiql/<version>/<name>`; every other request passes by untouched. */
export function useGraphiQLAssets(): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith('/graphiql/')) return;
      const answer = (status: number, body: BodyInit | null, headers: Record<string, string>) =>
        endResponse(new fetchAPI.Response(body, { status, headers }));
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        answer(405, null, { allow: 'GET, HEAD' });
        return;
      }
      const name = url.pathname.startsWith(GRAPHIQL_ASSETS_URL)
        ? url.pathname.slice(GRAPHIQL_ASSETS_URL.length)
        : undefined;
      let table: ReadonlyMap<string, Asset>;
      try {
        table = await assets();
      } catch {
        answer(503, 'GraphiQL is unavailable.', { 'content-type': 'text/plain; charset=utf-8' });
        return;
      }
      const asset = name === undefined ? undefined : table.get(name);
      if (!asset) {
        answer(404, 'Not found.', { 'content-type': 'text/plain; charset=utf-8' });
        return;
      }
      const gzipped = acceptsGzip(request.headers.get('accept-encoding'));
      const body = gzipped ? asset.gzipped : asset.body;
      answer(200, request.method === 'HEAD' ? null : body, {
        'content-type': asset.contentType,
        'content-length': String(body.length),
        'cache-control': 'public, max-age=31536000, immutable',
        vary: 'accept-encoding',
        ...(gzipped ? { 'content-encoding': 'gzip' } : {}),
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
