/**
 * Configuration from environment variables: the only module that reads `process.env`.
 * Every value is validated at start; a bad one stops the process with a message that names the
 * variable (and never echoes a key).
 */

import { DEFAULT_LIMITS, type RequestLimits } from './graphql/request-limits.ts';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from './http/memory-budget.ts';
import { isSupportedApiVersion } from './webhooks/credentials.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

export interface GatewayConfig {
  /** Where the gateway listens. Default `127.0.0.1`. */
  host: string;
  /** Default `4000`. */
  port: number;
  /** Upstream base URL (`/v2/...` is appended). Unset: `npm start` runs the embedded simulator. */
  upstreamUrl: string | undefined;
  /** `Featurebase-Version` sent when the caller sends none. Default `2026-01-01.nova`. */
  defaultApiVersion: string;
  /** Service key used only when a request carries no `Authorization` at all. Default: unset (off). */
  fallbackApiKey: string | undefined;
  /** Time allowed for one upstream attempt. Default `10000`. */
  upstreamTimeoutMs: number;
  /** Time allowed for one upstream call with all its retries. Default `2.5 × upstreamTimeoutMs`. */
  upstreamTotalTimeoutMs: number;
  /** Retries of a safe (GET, DELETE) upstream call. Default `2`. */
  upstreamMaxRetries: number;
  /** Breaker, bulkhead and retry budget of the upstream client (see `upstream/client.ts`). */
  resilience: UpstreamResilienceConfig;
  /** Default `info`. */
  logLevel: LogLevel;
  /**
   * Where Prometheus scrapes `/metrics`; `undefined` when `METRICS_PORT=off`. Default
   * `127.0.0.1:9464`. `maxOperationNames` (`METRICS_OPERATION_NAMES`, default 100): distinct
   * operation names counted under their own name before later ones count as `other`.
   */
  metrics: { host: string; port: number; maxOperationNames: number } | undefined;
  /**
   * Schema introspection for clients. Default `true`: tooling needs it, and the schema mirrors a
   * public API. `false` for deployments that only serve a router (`_service` keeps working).
   */
  introspection: boolean;
  /** GraphQL request limits (see `graphql/request-limits.ts` for each default and why). */
  limits: RequestLimits;
  /** Connections, requests in execution and body memory (see `http/memory-budget.ts`). */
  server: Pick<ServerLimits, 'maxConnections' | 'maxRequestsInFlight' | 'shedAtLagMs'>;
  /**
   * Browser origins allowed by CORS (exact `scheme://host[:port]`). Default: none, so browsers on
   * other origins cannot call the gateway; with the embedded simulator (demo mode), local origins.
   */
  corsOrigins: readonly string[] | undefined;
  /** How long in-flight requests may take to finish after SIGTERM. Default `10000`. */
  shutdownGraceMs: number;
  /**
   * A rotation asked for this soon after one of the same webhook completed gets that one's
   * secret instead of rotating again (`ROTATION_SHARE_WINDOW_MS`, design 1.7). Default `2000`;
   * `0` turns it off.
   */
  rotationShareWindowMs: number;
  /** OpenTelemetry traces; `undefined` (the default) when off. See `tracingConfig` below. */
  tracing: TracingConfig | undefined;
  /**
   * Redis shared by the instances (`REDIS_URL`: `redis://` or `rediss://`, credentials and
   * database number allowed). Default: unset, each instance keeps its state in memory.
   */
  redisUrl: string | undefined;
  /**
   * The secret every instance hashes API keys (and request inputs) with before they name
   * anything in the shared state (`SHARED_STATE_SECRET`, at least 32 characters). Required in
   * production with `REDIS_URL`; `undefined` otherwise: each process draws its own, which is
   * right for one instance.
   */
  sharedStateSecret: string | undefined;
}

/** Traces exported over OTLP/HTTP, from the standard `OTEL_*` variables. */
export interface TracingConfig {
  /** The OTLP/HTTP traces URL, `/v1/traces` included. Default `http://localhost:4318/v1/traces`. */
  endpoint: string;
  /** `http/protobuf` (the OpenTelemetry default) or `http/json`. */
  protocol: 'http/protobuf' | 'http/json';
  /**
   * Sent with every export (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TRACES_HEADERS`). They
   * may hold the collector's credentials: never logged, never echoed in an error.
   */
  headers: Readonly<Record<string, string>>;
  /** Time allowed for one export (`OTEL_EXPORTER_OTLP_TIMEOUT`), also the flush at shutdown. Default `10000`. */
  timeoutMs: number;
  compression: 'gzip' | 'none';
  /** `service.name` of every span. Default `featurebase-webhooks-gateway`. */
  serviceName: string;
  /** Which traces are recorded. Default: as the caller's `traceparent` says, else all. */
  sampler: TraceSampler;
  /** The span queue before export (`OTEL_BSP_*`): its bound, batch size and delay. */
  queue: { maxQueueSize: number; maxExportBatchSize: number; scheduledDelayMs: number };
}

/** `OTEL_TRACES_SAMPLER`: the root decision, and whether a caller's sampled flag overrides it. */
export interface TraceSampler {
  root: 'always_on' | 'always_off' | 'traceidratio';
  parentBased: boolean;
  /** For `traceidratio`: the share of traces kept, 0 to 1 (`OTEL_TRACES_SAMPLER_ARG`). */
  ratio: number;
}

export interface UpstreamResilienceConfig {
  /** Upstream requests in flight at once (also the connection pool size). Default `32`. */
  maxConcurrentRequests: number;
  /** Requests waiting for a slot; beyond that they fail at once. Default `64`. */
  maxQueuedRequests: number;
  /** The breaker opens when this share of calls in its window failed... Default `0.5`. */
  breakerFailureRatio: number;
  /** ...and the window holds at least this many calls. Default `10`. */
  breakerMinimumCalls: number;
  /** The breaker's sliding window. Default `10000`. */
  breakerWindowMs: number;
  /** Time open before one probe call goes through. Default `5000`. */
  breakerHalfOpenAfterMs: number;
  /** Retries allowed per call over the budget's window (so a failing Featurebase sees at most ~1.2× the traffic). Default `0.2`. */
  retryBudgetRatio: number;
  /** Upstream requests in flight for one tenant (API key, or address before a key is accepted). Default `16`. */
  maxConcurrentPerTenant: number;
  /** Requests waiting for a slot for one tenant. Default `16`. */
  maxQueuedPerTenant: number;
  /** How long a key Featurebase refused is refused without a call; `0` never. Default `60000`. */
  rejectedKeyTtlMs: number;
  /** Identical reads in flight at once (same key, version, path, query) share one call. Default `true`. */
  shareReads: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): GatewayConfig {
  const upstreamTimeoutMs = integer(env, 'UPSTREAM_TIMEOUT_MS', 10_000, 1, 120_000);
  return {
    host: nonEmpty(env, 'HOST') ?? '127.0.0.1',
    port: integer(env, 'PORT', 4000, 0, 65_535),
    upstreamUrl: upstreamUrl(env),
    defaultApiVersion: apiVersion(env),
    fallbackApiKey: apiKey(env),
    upstreamTimeoutMs,
    upstreamTotalTimeoutMs: integer(
      env,
      'UPSTREAM_TOTAL_TIMEOUT_MS',
      Math.round(upstreamTimeoutMs * 2.5),
      1,
      600_000,
    ),
    upstreamMaxRetries: integer(env, 'UPSTREAM_MAX_RETRIES', 2, 0, 5),
    rotationShareWindowMs: integer(env, 'ROTATION_SHARE_WINDOW_MS', 2000, 0, 600_000),
    resilience: {
      maxConcurrentRequests: integer(env, 'UPSTREAM_MAX_CONCURRENCY', 32, 1, 10_000),
      maxQueuedRequests: integer(env, 'UPSTREAM_MAX_QUEUE', 64, 0, 100_000),
      breakerFailureRatio: integer(env, 'UPSTREAM_BREAKER_FAILURE_PERCENT', 50, 1, 100) / 100,
      breakerMinimumCalls: integer(env, 'UPSTREAM_BREAKER_MIN_CALLS', 10, 1, 100_000),
      breakerWindowMs: integer(env, 'UPSTREAM_BREAKER_WINDOW_MS', 10_000, 100, 600_000),
      breakerHalfOpenAfterMs: integer(
        env,
        'UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS',
        5000,
        10,
        600_000,
      ),
      retryBudgetRatio: integer(env, 'UPSTREAM_RETRY_BUDGET_PERCENT', 20, 0, 100) / 100,
      maxConcurrentPerTenant: integer(env, 'UPSTREAM_MAX_CONCURRENCY_PER_TENANT', 16, 1, 10_000),
      maxQueuedPerTenant: integer(env, 'UPSTREAM_MAX_QUEUE_PER_TENANT', 16, 0, 100_000),
      rejectedKeyTtlMs: integer(env, 'UPSTREAM_REJECTED_KEY_TTL_MS', 60_000, 0, 3_600_000),
      shareReads: boolean(env, 'UPSTREAM_SHARE_READS', true),
    },
    logLevel: logLevel(env),
    metrics: metricsListener(env),
    introspection: boolean(env, 'GRAPHQL_INTROSPECTION', true),
    limits: {
      maxRequestBodyBytes: integer(
        env,
        'MAX_REQUEST_BODY_BYTES',
        DEFAULT_LIMITS.maxRequestBodyBytes,
        1,
        100_000_000,
      ),
      maxVariablesBytes: integer(
        env,
        'GRAPHQL_MAX_VARIABLES_BYTES',
        DEFAULT_LIMITS.maxVariablesBytes,
        2,
        100_000_000,
      ),
      maxVariablesDepth: integer(
        env,
        'GRAPHQL_MAX_VARIABLES_DEPTH',
        DEFAULT_LIMITS.maxVariablesDepth,
        1,
        1000,
      ),
      maxVariablesValues: integer(
        env,
        'GRAPHQL_MAX_VARIABLES_VALUES',
        DEFAULT_LIMITS.maxVariablesValues,
        1,
        10_000_000,
      ),
      maxQueryLength: integer(
        env,
        'GRAPHQL_MAX_QUERY_LENGTH',
        DEFAULT_LIMITS.maxQueryLength,
        1,
        10_000_000,
      ),
      maxTokens: integer(env, 'GRAPHQL_MAX_TOKENS', DEFAULT_LIMITS.maxTokens, 1, 1_000_000),
      maxDepth: integer(env, 'GRAPHQL_MAX_DEPTH', DEFAULT_LIMITS.maxDepth, 1, 100),
      maxAliases: integer(env, 'GRAPHQL_MAX_ALIASES', DEFAULT_LIMITS.maxAliases, 0, 1000),
      maxDirectives: integer(env, 'GRAPHQL_MAX_DIRECTIVES', DEFAULT_LIMITS.maxDirectives, 0, 1000),
      maxCost: integer(env, 'GRAPHQL_MAX_COST', DEFAULT_LIMITS.maxCost, 1, 1_000_000),
      batchLimit: integer(env, 'GRAPHQL_BATCH_LIMIT', DEFAULT_LIMITS.batchLimit, 0, 100),
      upstreamCallsPerOperation: integer(
        env,
        'UPSTREAM_CALLS_PER_OPERATION',
        DEFAULT_LIMITS.upstreamCallsPerOperation,
        1,
        1000,
      ),
      entityPagesPerOperation: integer(
        env,
        'ENTITY_PAGES_PER_OPERATION',
        DEFAULT_LIMITS.entityPagesPerOperation,
        1,
        100,
      ),
      mutationsPerOperation: integer(
        env,
        'MUTATIONS_PER_OPERATION',
        DEFAULT_LIMITS.mutationsPerOperation,
        1,
        1000,
      ),
      maxEntityRepresentations: integer(
        env,
        'MAX_ENTITY_REPRESENTATIONS',
        DEFAULT_LIMITS.maxEntityRepresentations,
        1,
        10_000,
      ),
    },
    server: {
      maxConnections: integer(
        env,
        'MAX_CONNECTIONS',
        DEFAULT_SERVER_LIMITS.maxConnections,
        1,
        1_000_000,
      ),
      maxRequestsInFlight: integer(
        env,
        'MAX_REQUESTS_IN_FLIGHT',
        DEFAULT_SERVER_LIMITS.maxRequestsInFlight,
        1,
        100_000,
      ),
      shedAtLagMs: integer(env, 'LOAD_SHED_LAG_MS', DEFAULT_SERVER_LIMITS.shedAtLagMs, 0, 60_000),
    },
    corsOrigins: origins(env),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    tracing: tracingConfig(env),
    redisUrl: redisUrl(env),
    sharedStateSecret: sharedStateSecret(env),
  };
}

/**
 * `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. The URL may hold a
 * password: no message here repeats it, and the log shows only where Redis is.
 */
function redisUrl(env: Env): string | undefined {
  const raw = nonEmpty(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      'REDIS_URL must be a URL like redis://127.0.0.1:6379/0 (it is not shown here).',
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(
      'REDIS_URL must start with redis:// (or rediss:// for TLS), e.g. redis://127.0.0.1:6379/0.',
    );
  }
  if (url.hostname === '') throw new ConfigError('REDIS_URL must name a host.');
  if (!/^(\/\d{0,5})?$/.test(url.pathname)) {
    throw new ConfigError('REDIS_URL may end only with a database number, e.g. /0.');
  }
  if (url.search || url.hash) {
    throw new ConfigError('REDIS_URL must not contain a query or fragment.');
  }
  return raw;
}

function sharedStateSecret(env: Env): string | undefined {
  const raw = nonEmpty(env, 'SHARED_STATE_SECRET');
  if (raw === undefined) {
    if (env['NODE_ENV'] === 'production' && nonEmpty(env, 'REDIS_URL') !== undefined) {
      throw new ConfigError(
        'SHARED_STATE_SECRET is required with REDIS_URL when NODE_ENV=production: the instances hash API keys with it before anything derived from them reaches Redis (use the same random value of 32 characters or more on every instance).',
      );
    }
    return undefined;
  }
  if (raw.length < 32) {
    throw new ConfigError(
      'SHARED_STATE_SECRET must be at least 32 characters (it is not shown here).',
    );
  }
  return raw;
}

function origins(env: Env): readonly string[] | undefined {
  const raw = nonEmpty(env, 'CORS_ORIGINS');
  if (raw === undefined) return undefined;
  return raw.split(',').map((entry) => {
    const value = entry.trim();
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    // An origin is exactly scheme://host[:port]; "*" would hand every site the caller's key.
    if (!url || url.origin !== value || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new ConfigError(
        `CORS_ORIGINS must be a comma-separated list of origins like https://admin.example.com, got "${value}".`,
      );
    }
    return value;
  });
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}".`);
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}".`);
  }
  return Number(raw);
}

function upstreamUrl(env: Env): string | undefined {
  const raw = nonEmpty(env, 'FEATUREBASE_API_URL');
  const demo = boolean(env, 'DEMO', false);
  if (raw === undefined) {
    // A production deployment that lost this variable would otherwise serve the embedded
    // simulator's sample data, and its demo key, as if nothing were wrong.
    if (env['NODE_ENV'] === 'production' && !demo) {
      throw new ConfigError(
        'FEATUREBASE_API_URL is required when NODE_ENV=production (set DEMO=1 to run the embedded simulator instead).',
      );
    }
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      'FEATUREBASE_API_URL must be an absolute URL, e.g. https://do.featurebase.app',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('FEATUREBASE_API_URL must use https (or http for a local simulator).');
  }
  // Credentials in the URL would be sent along with every caller's key, and logged by mistake.
  if (url.username || url.password) {
    throw new ConfigError('FEATUREBASE_API_URL must not contain a user name or password.');
  }
  if (url.search || url.hash) {
    throw new ConfigError('FEATUREBASE_API_URL must not contain a query or fragment.');
  }
  return url.href.replace(/\/+$/, '');
}

function metricsListener(env: Env): GatewayConfig['metrics'] {
  if (nonEmpty(env, 'METRICS_PORT')?.toLowerCase() === 'off') return undefined;
  return {
    host: nonEmpty(env, 'METRICS_HOST') ?? '127.0.0.1',
    port: integer(env, 'METRICS_PORT', 9464, 0, 65_535),
    maxOperationNames: integer(env, 'METRICS_OPERATION_NAMES', 100, 1, 10_000),
  };
}

/**
 * Traces, from the standard OpenTelemetry variables. On when `OTEL_TRACES_EXPORTER=otlp`, or when
 * it is unset and an OTLP endpoint is (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); off otherwise, with `OTEL_TRACES_EXPORTER=none`, and
 * with `OTEL_SDK_DISABLED=true`. (The specification's default exporter is `otlp` to
 * localhost:4318: a gateway that sends spans nobody asked for to a port anything may listen on
 * would be a surprise, so here nothing is set, nothing is sent.) The other variables are read only
 * when tracing is on.
 */
function tracingConfig(env: Env): TracingConfig | undefined {
  if (boolean(env, 'OTEL_SDK_DISABLED', false)) return undefined;
  const exporter = tracesExporter(env);
  const endpoint = otlpTracesEndpoint(env);
  if (exporter === 'none' || (exporter === undefined && endpoint === undefined)) return undefined;
  const maxQueueSize = integer(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, 1, MAX_SPAN_QUEUE);
  const maxExportBatchSize = integer(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1, MAX_SPAN_QUEUE);
  if (maxExportBatchSize > maxQueueSize) {
    throw new ConfigError(
      `OTEL_BSP_MAX_EXPORT_BATCH_SIZE (${maxExportBatchSize}) must not exceed OTEL_BSP_MAX_QUEUE_SIZE (${maxQueueSize}).`,
    );
  }
  return {
    endpoint: endpoint ?? 'http://localhost:4318/v1/traces',
    protocol: otlpProtocol(env),
    headers: otlpHeaders(env),
    timeoutMs: integer(env, signalSpecific(env, 'TIMEOUT'), 10_000, 1, 600_000),
    compression: otlpCompression(env),
    serviceName: serviceName(env),
    sampler: traceSampler(env),
    queue: {
      maxQueueSize,
      maxExportBatchSize,
      scheduledDelayMs: integer(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, 0, 600_000),
    },
  };
}

/** Spans waiting for export at most, whatever `OTEL_BSP_MAX_QUEUE_SIZE` asks (memory). */
const MAX_SPAN_QUEUE = 16_384;

/** `OTEL_EXPORTER_OTLP_TRACES_<SUFFIX>` when set, else `OTEL_EXPORTER_OTLP_<SUFFIX>`. */
function signalSpecific(env: Env, suffix: string): string {
  const specific = `OTEL_EXPORTER_OTLP_TRACES_${suffix}`;
  return nonEmpty(env, specific) === undefined ? `OTEL_EXPORTER_OTLP_${suffix}` : specific;
}

function tracesExporter(env: Env): 'otlp' | 'none' | undefined {
  const raw = nonEmpty(env, 'OTEL_TRACES_EXPORTER');
  if (raw === undefined) return undefined;
  const names = new Set(raw.split(',').map((name) => name.trim().toLowerCase()));
  if (names.size === 1 && (names.has('otlp') || names.has('none'))) {
    return names.has('otlp') ? 'otlp' : 'none';
  }
  if (names.has('console')) {
    throw new ConfigError(
      'OTEL_TRACES_EXPORTER=console is not supported: stdout carries the JSON log. Use otlp or none.',
    );
  }
  throw new ConfigError(`OTEL_TRACES_EXPORTER must be otlp or none, got "${raw}".`);
}

/** The traces URL: the signal's own endpoint as it is, or the general one plus `v1/traces`. */
function otlpTracesEndpoint(env: Env): string | undefined {
  const specific = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const general = nonEmpty(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (specific !== undefined) return collectorUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', specific);
  if (general === undefined) return undefined;
  const base = collectorUrl('OTEL_EXPORTER_OTLP_ENDPOINT', general);
  return `${base.endsWith('/') ? base : `${base}/`}v1/traces`;
}

function collectorUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, e.g. http://127.0.0.1:4318`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`${name} must use http or https (OTLP/HTTP; gRPC is not supported).`);
  }
  // Collector credentials go in OTEL_EXPORTER_OTLP_HEADERS, which is never logged; the URL is.
  if (url.username || url.password) {
    throw new ConfigError(
      `${name} must not contain a user name or password: send credentials with OTEL_EXPORTER_OTLP_HEADERS.`,
    );
  }
  if (url.hash) throw new ConfigError(`${name} must not contain a fragment.`);
  return url.href;
}

function otlpProtocol(env: Env): TracingConfig['protocol'] {
  const name = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const raw = nonEmpty(env, name)?.toLowerCase() ?? 'http/protobuf';
  if (raw === 'http/protobuf' || raw === 'http/json') return raw;
  throw new ConfigError(
    `${name} must be http/protobuf or http/json (gRPC is not supported), got "${raw}".`,
  );
}

function otlpCompression(env: Env): TracingConfig['compression'] {
  const name = signalSpecific(env, 'COMPRESSION');
  const raw = nonEmpty(env, name)?.toLowerCase() ?? 'none';
  if (raw === 'gzip' || raw === 'none') return raw;
  throw new ConfigError(`${name} must be gzip or none, got "${raw}".`);
}

/** RFC 9110 token: a header name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;
/** Visible ASCII, spaces and tabs: a value that cannot split a header. */
const HEADER_VALUE = /^[\t\x20-\x7e]{1,8192}$/;

/**
 * `name=value` pairs separated by commas, values percent-encoded (the W3C baggage format the
 * specification uses); the traces variable overrides the general one name by name. The values are
 * credentials more often than not: an error names the variable and the entry, never the value.
 */
function otlpHeaders(env: Env): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    const raw = nonEmpty(env, name);
    if (raw === undefined) continue;
    raw.split(',').forEach((entry, index) => {
      if (entry.trim() === '') return;
      const separator = entry.indexOf('=');
      const key = decodeHeaderPart(separator > 0 ? entry.slice(0, separator).trim() : '');
      const value = decodeHeaderPart(separator > 0 ? entry.slice(separator + 1).trim() : '');
      if (key === undefined || !HEADER_NAME.test(key)) {
        throw new ConfigError(
          `${name}: entry ${index + 1} must be name=value with a valid header name.`,
        );
      }
      if (value === undefined || !HEADER_VALUE.test(value)) {
        throw new ConfigError(
          `${name}: the value of ${key} must be percent-encoded printable text (it is not shown here).`,
        );
      }
      defineHeader(headers, key.toLowerCase(), value);
    });
  }
  return headers;
}

function decodeHeaderPart(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** Plain assignment would treat a name like `__proto__` as the prototype. */
function defineHeader(headers: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(headers, name, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function serviceName(env: Env): string {
  const raw = nonEmpty(env, 'OTEL_SERVICE_NAME');
  if (raw === undefined) return 'featurebase-webhooks-gateway';
  if (!/^[\x20-\x7e]{1,255}$/.test(raw)) {
    throw new ConfigError('OTEL_SERVICE_NAME must be 1 to 255 printable ASCII characters.');
  }
  return raw;
}

/** The samplers of the specification this gateway offers, by their `OTEL_TRACES_SAMPLER` name. */
const SAMPLERS: Readonly<Record<string, Omit<TraceSampler, 'ratio'>>> = {
  always_on: { root: 'always_on', parentBased: false },
  always_off: { root: 'always_off', parentBased: false },
  traceidratio: { root: 'traceidratio', parentBased: false },
  parentbased_always_on: { root: 'always_on', parentBased: true },
  parentbased_always_off: { root: 'always_off', parentBased: true },
  parentbased_traceidratio: { root: 'traceidratio', parentBased: true },
};

function traceSampler(env: Env): TraceSampler {
  const raw = nonEmpty(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on';
  const sampler = Object.hasOwn(SAMPLERS, raw) ? SAMPLERS[raw] : undefined;
  if (!sampler) {
    throw new ConfigError(
      `OTEL_TRACES_SAMPLER must be one of ${Object.keys(SAMPLERS).join(', ')}, got "${raw}".`,
    );
  }
  return { ...sampler, ratio: sampler.root === 'traceidratio' ? samplerRatio(env) : 1 };
}

function samplerRatio(env: Env): number {
  const raw = nonEmpty(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (raw === undefined) return 1;
  const ratio = Number(raw);
  if (!/^(?:0|1|0?\.\d+|1\.0*)$/.test(raw) || ratio < 0 || ratio > 1) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got "${raw}".`);
  }
  return ratio;
}

function apiVersion(env: Env): string {
  const raw = nonEmpty(env, 'FEATUREBASE_API_VERSION');
  if (raw === undefined) return '2026-01-01.nova';
  if (!isSupportedApiVersion(raw)) {
    throw new ConfigError(
      `FEATUREBASE_API_VERSION must look like 2026-01-01.nova and be 2026-01-01.nova or newer, got "${raw}".`,
    );
  }
  return raw;
}

function apiKey(env: Env): string | undefined {
  const raw = nonEmpty(env, 'FEATUREBASE_API_KEY');
  if (raw === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,4096}$/.test(raw)) {
    throw new ConfigError('FEATUREBASE_API_KEY has characters that cannot go in an HTTP header.');
  }
  return raw;
}

function logLevel(env: Env): LogLevel {
  const raw = nonEmpty(env, 'LOG_LEVEL') ?? 'info';
  const level = LOG_LEVELS.find((candidate) => candidate === raw.toLowerCase());
  if (!level)
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}".`);
  return level;
}
