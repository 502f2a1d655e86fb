/**
 * The gateway's Prometheus metrics (prom-client), fed by what the upstream client, the HTTP front
 * and the rotations already report. Served on a listener of its own (`metrics-server.ts`).
 *
 * Every label value comes from a closed set: endpoint templates (`GET /v2/webhooks/:id`), HTTP
 * statuses or `timeout` / `network`, breaker states, the fixed reasons of each protection and
 * of dropped trace spans, operation types and error codes. Operation names are the clients' own words, so they are
 * bounded differently: the first `maxOperationNames` distinct names keep their own series, and
 * any later one is counted as `other` (the set is never emptied, so a series never changes
 * meaning while the process lives). None ever holds a key, a secret, a webhook id, a URL or a
 * client address. Bound: with the default of 100 names, a few thousand series at most (names ×
 * types × outcomes actually seen), whatever the traffic.
 */

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { OperationReport } from '../graphql/plugins/operation-report.ts';
import type { StateMode } from '../state/shared-state.ts';
import type { UpstreamAttemptEvent } from '../upstream/request/request.ts';
import type { ResilienceEvent, UpstreamHealth } from '../upstream/resilience/types.ts';

export interface GatewayMetrics {
  readonly registry: Registry;
  /** One upstream request ended (each attempt of a call is one request). */
  upstreamAttempt(event: UpstreamAttemptEvent): void;
  /** A protection refused a call without sending it. */
  resilienceEvent(event: ResilienceEvent): void;
  /** The HTTP front answered 503 before executing a request. */
  shed(reason: string): void;
  /** A rotation was served by one already in flight for the same webhook and key. */
  sharedRotation(): void;
  /** A GraphQL operation ended (src/graphql/plugins/operation-report.ts). */
  operation(report: OperationReport): void;
  /** Trace spans were lost before reaching the collector (`queue-full`, `export-failed`). */
  traceSpansDropped(reason: string, count: number): void;
  /** This instance's memory answered a shared-state call because Redis did not. */
  sharedStateFallback(): void;
}

export interface MetricsOptions {
  /** Distinct operation names counted under their own name; later ones count as `other`. */
  maxOperationNames: number;
  /** Which state answers now (src/state/index.ts). Default: always `memory`. */
  stateMode?: () => StateMode;
}

const STATE_MODES: readonly StateMode[] = ['memory', 'redis', 'redis-unavailable'];

export const DEFAULT_MAX_OPERATION_NAMES = 100;

const BREAKER_STATES: readonly UpstreamHealth['breaker'][] = ['closed', 'halfOpen', 'open'];

/**
 * Upstream and operation latencies, from a fast loopback answer to the 10 s attempt timeout (an
 * operation may make several calls, each with retries) and beyond.
 */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(
  upstreamHealth: () => UpstreamHealth,
  options: MetricsOptions = { maxOperationNames: DEFAULT_MAX_OPERATION_NAMES },
): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const upstreamRequests = new Counter({
    name: 'featurebase_upstream_requests_total',
    help: 'Requests sent to Featurebase, by endpoint template and HTTP status (or timeout, network).',
    labelNames: ['endpoint', 'status'],
    registers: [registry],
  });
  const upstreamDuration = new Histogram({
    name: 'featurebase_upstream_request_duration_seconds',
    help: 'Time of each request to Featurebase, by endpoint template.',
    labelNames: ['endpoint'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const refused = new Counter({
    name: 'featurebase_upstream_refused_total',
    help: 'Calls refused before reaching Featurebase, by protection (circuit-open, overloaded, tenant-overloaded, queue-timeout, rate-limited, key-rejected).',
    labelNames: ['reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'featurebase_upstream_circuit_state',
    help: 'The circuit breaker in front of Featurebase: 1 for its current state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const { breaker } = upstreamHealth();
      for (const state of BREAKER_STATES) this.set({ state }, state === breaker ? 1 : 0);
    },
  });
  new Gauge({
    name: 'featurebase_upstream_in_flight',
    help: 'Requests on the wire to Featurebase now (the bulkhead’s slots in use).',
    registers: [registry],
    collect() {
      this.set(upstreamHealth().inFlight);
    },
  });
  new Gauge({
    name: 'featurebase_upstream_queued',
    help: 'Calls waiting for a bulkhead slot now.',
    registers: [registry],
    collect() {
      this.set(upstreamHealth().queued);
    },
  });
  const shed = new Counter({
    name: 'gateway_requests_shed_total',
    help: 'Requests answered 503 before execution, by reason (requests-in-flight, body-memory, event-loop-late).',
    labelNames: ['reason'],
    registers: [registry],
  });
  const droppedSpans = new Counter({
    name: 'gateway_trace_spans_dropped_total',
    help: 'Trace spans lost before reaching the collector, by reason (queue-full, export-failed).',
    labelNames: ['reason'],
    registers: [registry],
  });
  const sharedRotations = new Counter({
    name: 'gateway_shared_rotations_total',
    help: 'Secret rotations served by another caller’s rotation of the same webhook (in flight, on another instance, or within the share window).',
    registers: [registry],
  });
  const stateMode = options.stateMode ?? (() => 'memory');
  new Gauge({
    name: 'gateway_shared_state_mode',
    help: 'Which state this instance uses now: 1 for memory (no REDIS_URL), redis, or redis-unavailable (Redis set but not answering: this instance’s memory answers).',
    labelNames: ['mode'],
    registers: [registry],
    collect() {
      const current = stateMode();
      for (const mode of STATE_MODES) this.set({ mode }, mode === current ? 1 : 0);
    },
  });
  const stateFallbacks = new Counter({
    name: 'gateway_shared_state_fallbacks_total',
    help: 'Shared-state calls answered from this instance’s memory because Redis did not answer in time.',
    registers: [registry],
  });

  const operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations, by type, name (anonymous without one; other past the bound) and outcome (ok or the first error code).',
    labelNames: ['operation_type', 'operation_name', 'outcome'],
    registers: [registry],
  });
  const operationDuration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'Time of each GraphQL operation, from its parameters to its result, by type and name.',
    labelNames: ['operation_type', 'operation_name'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const names = new BoundedNames(options.maxOperationNames);

  return {
    registry,
    operation(report) {
      const labels = { operation_type: report.type, operation_name: names.label(report.name) };
      operations.inc({ ...labels, outcome: report.outcome });
      operationDuration.observe(labels, report.durationSeconds);
    },
    upstreamAttempt(event) {
      const endpoint = `${event.method} ${event.pathTemplate}`;
      upstreamRequests.inc({ endpoint, status: statusLabel(event) });
      upstreamDuration.observe({ endpoint }, event.durationMs / 1000);
    },
    resilienceEvent(event) {
      if (event.type === 'rejected') refused.inc({ reason: event.reason });
    },
    shed: (reason) => shed.inc({ reason }),
    sharedRotation: () => sharedRotations.inc(),
    traceSpansDropped: (reason, count) => droppedSpans.inc({ reason }, count),
    sharedStateFallback: () => stateFallbacks.inc(),
  };
}

/** The HTTP status; without one, whether the attempt timed out or the connection failed. */
function statusLabel(event: UpstreamAttemptEvent): string {
  if (event.status !== undefined) return String(event.status);
  return event.error === 'UpstreamTimeoutError' ? 'timeout' : 'network';
}

/**
 * The first `max` distinct names, each its own label value; any other is `other`. `anonymous`
 * (operations without a name) is always its own and takes no place.
 */
class BoundedNames {
  readonly #known = new Set<string>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  label(name: string): string {
    if (name === 'anonymous' || this.#known.has(name)) return name;
    if (this.#known.size >= this.#max) return 'other';
    this.#known.add(name);
    return name;
  }
}
