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
  /**
   * Every call is answered this long after it arrives, as a real API over the network would be
   * (`--hostile`: 50 ms). Default: 0, answered at once.
   */
  latencyMs?: number;
  /**
   * More valid keys, each in a workspace of its own, whose every call Featurebase answers in a
   * way the gateway cannot use (`--hostile`, attack R07): `redirect` is a 307 to another origin,
   * `truncated` a 200 whose JSON body stops short (`{"id":`). Other keys are never faulted.
   */
  faultyKeys?: { key: string; answer: 'redirect' | 'truncated' }[];
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
  /** Answers per status code (0: the connection was cut before an answer). */
  byStatus?: Record<string, number>;
}
