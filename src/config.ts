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
  };
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
