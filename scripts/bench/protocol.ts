/**
 * What the bench and its child processes say to each other: ready lines, configuration and the
 * upstream's counters. Kept apart from the child entry points, which start servers on import.
 */

/** Printed by `upstream.ts` on stdout once it listens. */
export const UPSTREAM_READY = /BENCH_UPSTREAM_READY (http:\/\/\S+)/;
/** Printed by `baseline-proxy.ts` on stdout once it listens. */
export const BASELINE_READY = /BENCH_BASELINE_READY (http:\/\/\S+)/;
/** Printed by `src/main.ts` on stderr once it listens (its banner). */
export const GATEWAY_READY = /(http:\/\/127\.0\.0\.1:\d+)\/graphql/;

/** Upstream counters: answered by the counting wrapper, never counted themselves. */
export const STATS_PATH = '/__bench/stats';
export const RESET_PATH = '/__bench/reset';

export interface UpstreamChildConfig {
  tenants: number;
}

export interface BaselineChildConfig {
  upstreamUrl: string;
  /** Upstream connections kept alive; the gateway's default pool is 32. */
  connections: number;
}

export interface UpstreamStats {
  requests: number;
  /** Answers with a status of 400 or more. */
  errors: number;
  /** Requests per `METHOD /path/template`. */
  byRoute: Record<string, number>;
}
