/**
 * The gateway's memory budget: what the production process may hold at most, by construction,
 * whatever its clients send. `npm run start:prod` caps V8's old generation at `HEAP_CAP_BYTES`;
 * every structure that grows with traffic has a bound here or beside its definition, and the
 * functions below add them up (a unit test holds the sums under the cap and the RSS target).
 *
 *   on the V8 heap                     bound                                   where
 *   the process at rest                ~35 MB (schema, modules, undici)        measured
 *   parsed query documents             6 MB, 1,024 texts, 384 KB each  graphql/query-text-cache.ts
 *   cached syntax errors               1 MB, 256 texts                 graphql/query-text-cache.ts
 *   validation verdicts by shape       1 MB, 1,024 shapes, 16 KB each  graphql/plugins/shape-validation-cache.ts
 *   literal templates                  2 MB, 1,024 layouts, 384 KB each graphql/literal-templates.ts
 *   requests in execution              `maxRequestsInFlight` (64) × 1.2 MB     here
 *     per request: its variables (64 KB of JSON, 4,000 values), an uncached
 *     document (1,000 tokens ≈ 600 KB), its upstream answers (≤ 10 calls;
 *     Featurebase's pages are ~15 KB, each answer is capped at 1 MiB). Lookups
 *     by id read ≤ 10 more pages one at a time and keep the first page and the
 *     ids asked for: ≤ ~300 webhooks, ~0.3 MB, whatever the workspace size
 *     (webhooks/operations.ts)
 *   upstream calls waiting             32 in flight + 64 queued (no bodies)    upstream/client.ts
 *   rate-limit gate, key verdicts      10,000 keys each, as hashes (~150 B)    upstream/
 *   shared state in memory             3 MB, 10,000 entries (one instance's    state/memory-state.ts
 *                                      state, or its fallback while Redis is down)
 *     (these memories of keys are not summed apart: they fit in the margin of the at-rest
 *     figure, 35 MB budgeted against ~20 MB measured; the sums below have no other room left)
 *   trace spans waiting for export     2,048 × ~1.1 KB (tracing on)     telemetry/span-queue.ts
 *
 *   outside the heap (Buffers)
 *   request bodies being read          16 KB each × open connections (1,024)   here
 *                                      + a shared pool of 16 MB                here
 *   GraphiQL's assets, once opened     2.6 MB (gzipped only)            graphql/graphiql/assets.ts
 *
 * Beyond these bounds the gateway refuses instead of growing: 413 over the body limit, 400 over
 * the variables bounds, 503 with `Retry-After` when too many requests are in execution or the
 * body pool is spent, and new connections are dropped past `maxConnections`.
 */

export interface ServerLimits {
  /** Open client connections; more are closed as they arrive. Default 1,024. */
  maxConnections: number;
  /** GraphQL requests in execution at once; more get 503 at once. Default 64. */
  maxRequestsInFlight: number;
  /** Body bytes any one request may buffer without drawing on the shared pool. Default 16 KiB. */
  bodyFreeBytesPerRequest: number;
  /** Body bytes beyond those, shared by all requests. Default 16 MiB. */
  bodyPoolBytes: number;
  /**
   * While the event loop runs this late (smoothed), requests without a key Featurebase has
   * accepted are shed with 503; `0` never. Default 100 ms.
   */
  shedAtLagMs: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxConnections: 1024,
  // Twice the upstream bulkhead (32 calls in flight): more requests than that would mostly
  // wait in its queue or be refused by it anyway.
  maxRequestsInFlight: 64,
  // Every legitimate body is smaller: a create with ten delivery headers is ~12 KB, a router's
  // batch of 100 references ~6 KB.
  bodyFreeBytesPerRequest: 16 * 1024,
  bodyPoolBytes: 16 * 1024 * 1024,
  // Well above what a busy gateway serving its tenants shows (a few ms to a few tens of ms),
  // well below what makes a tenant's request wait for seconds.
  shedAtLagMs: 100,
};

const MB = 1024 * 1024;

/** `--max-old-space-size` of `npm run start:prod`, in bytes. */
export const HEAP_CAP_BYTES = 160 * MB;

/** What the whole process (RSS) must stay under in production. */
export const RSS_TARGET_BYTES = 220 * MB;

/** The heap of the process at rest after start-up and a first request of each kind. */
export const AT_REST_BYTES = 35 * MB;

/**
 * What V8 and Node hold besides the old generation: the young generation (up to 2 × 16 MB
 * semi-spaces on 64-bit), code, and native buffers of sockets and undici. Measured at rest:
 * RSS − heap used ≈ 45-55 MB.
 */
export const RUNTIME_OVERHEAD_BYTES = 60 * MB;

/**
 * The most one request in execution may hold on the heap, beyond what is counted elsewhere:
 * parsed variables (≤ 0.25 MB), an uncached 1,000-token document (≤ 0.6 MB), its upstream
 * answers as parsed (~0.3 MB) and its context and result (~0.05 MB).
 */
export const PER_REQUEST_BYTES = Math.round(1.2 * MB);

/**
 * Ended spans waiting for export when tracing is on: `OTEL_BSP_MAX_QUEUE_SIZE` (2,048) spans of
 * ~1.1 KB each (measured: an operation span and its call's span hold 8 short attributes between
 * them), plus one batch being serialised for the collector. Beyond it spans are dropped, counted.
 */
export const TRACE_QUEUE_BYTES = 3 * MB;

export interface BudgetInputs {
  server: ServerLimits;
  documentCacheBytes: number;
  parseErrorCacheBytes: number;
  shapeVerdictCacheBytes: number;
  literalTemplateBytes: number;
}

/** The old-generation heap the gateway may need at most, from its settings. */
export function worstCaseHeapBytes(inputs: BudgetInputs): number {
  return (
    AT_REST_BYTES +
    TRACE_QUEUE_BYTES +
    inputs.documentCacheBytes +
    inputs.parseErrorCacheBytes +
    inputs.shapeVerdictCacheBytes +
    inputs.literalTemplateBytes +
    inputs.server.maxRequestsInFlight * PER_REQUEST_BYTES
  );
}

/** Request bodies buffered at once, outside the heap. */
export function worstCaseBodyBytes(server: ServerLimits): number {
  return server.maxConnections * server.bodyFreeBytesPerRequest + server.bodyPoolBytes;
}

/**
 * GraphiQL's scripts, styles and workers, gzipped, once someone has opened it: 2.6 MB, outside
 * the heap; clients without gzip inflate them as they stream (src/graphql/graphiql/assets.ts).
 */
export const GRAPHIQL_ASSET_BYTES = 3 * MB;

/** The whole process, at most. */
export function worstCaseRssBytes(inputs: BudgetInputs): number {
  return (
    worstCaseHeapBytes(inputs) +
    worstCaseBodyBytes(inputs.server) +
    GRAPHIQL_ASSET_BYTES +
    RUNTIME_OVERHEAD_BYTES
  );
}
