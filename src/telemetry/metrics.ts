/**
 * The gateway's Prometheus metrics (prom-client), fed by what the upstream client, the HTTP front
 * and the rotations already report. Served on a listener of its own (`metrics-server.ts`).
 *
 * Every label value comes from a closed set: endpoint templates (`GET /v2/webhooks/:id`), HTTP
 * statuses or `timeout` / `network`, breaker states, and the fixed reasons of each protection
 * and of dropped trace spans.
 * None ever holds a key, a secret, a webhook id, a URL or a client address. Bound: a few hundred
 * series at most, whatever the traffic.
 */

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
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
  /** Trace spans were lost before reaching the collector (`queue-full`, `export-failed`). */
  traceSpansDropped(reason: string, count: number): void;
}

const BREAKER_STATES: readonly UpstreamHealth['breaker'][] = ['closed', 'halfOpen', 'open'];

/** Upstream latencies, from a fast loopback answer to the 10 s attempt timeout and beyond. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(upstreamHealth: () => UpstreamHealth): GatewayMetrics {
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
    help: 'Secret rotations served by a rotation of the same webhook already in flight.',
    registers: [registry],
  });

  return {
    registry,
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
  };
}

/** The HTTP status; without one, whether the attempt timed out or the connection failed. */
function statusLabel(event: UpstreamAttemptEvent): string {
  if (event.status !== undefined) return String(event.status);
  return event.error === 'UpstreamTimeoutError' ? 'timeout' : 'network';
}
