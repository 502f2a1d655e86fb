/**
 * What the resilience layer shares with the code around it: the scope and tenant of a call, the
 * events it reports, the health it shows and the settings it is built with.
 */

import type { HttpMethod } from '../request/retry.ts';
import type { SharedRateLimits } from './shared-rate-limits.ts';

export type BreakerState = 'closed' | 'open' | 'halfOpen';

/** For a `/health` answer: read-only, cheap, secret-free. */
export interface UpstreamHealth {
  breaker: BreakerState;
  /** Upstream requests on the wire now. */
  inFlight: number;
  /** Attempts waiting for a slot. */
  queued: number;
  /** Tenants with requests on the wire or waiting. */
  tenants: number;
}

/**
 * Whom a call is made for, as the bulkhead shares slots: `keyId` is the key's hash (never the
 * key), `partition` the share it draws on.
 */
export interface Tenant {
  keyId: string;
  partition: string;
  /** Told each answer's status: the first one tells what Featurebase thinks of the key. */
  answered(status: number): void;
  /** Tells other instances the key is held back until then (shared rate limits only). */
  heldUntil?(untilMs: number): void;
}

/** What `Resilience.run` needs to know of the caller. */
export interface CallerIdentity {
  apiKey: string;
  /** The client's network address, for keys Featurebase has not accepted. */
  clientAddress?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Which call an event is about: never ids, keys or bodies. */
export interface CallScope {
  method: HttpMethod;
  /** `/v2/webhooks/:id`, not the path. */
  pathTemplate: string;
}

export type ResilienceEvent =
  /** The breaker changed state; `cause` is the error class of the failure that opened it. */
  | { type: 'breaker'; state: BreakerState; cause?: string }
  /** A call refused without any upstream request. */
  | (CallScope & {
      type: 'rejected';
      /**
       * `circuit-open`: the breaker is open (or its probe is running). `overloaded`: no slot
       * and the queue is full. `tenant-overloaded`: this tenant's share of slots and queue is
       * taken. `queue-timeout`: waited for a slot until the call's time ran out.
       * `rate-limited`: the key's rate limit is known to be used up. `key-rejected`:
       * Featurebase refused this key lately.
       */
      reason:
        | 'circuit-open'
        | 'overloaded'
        | 'tenant-overloaded'
        | 'queue-timeout'
        | 'rate-limited'
        | 'key-rejected';
      retryAfterSeconds?: number;
    })
  /** A retry the policy wanted was not made; the call ends with its last attempt's error. */
  | (CallScope & {
      type: 'retry-skipped';
      reason: 'retry-budget' | 'overloaded' | 'breaker-probe';
      /** The number the skipped attempt would have had (2 for the first retry). */
      attempt: number;
    })
  /** Featurebase said the key's quota is used up: calls for it are refused for `waitSeconds`. */
  | (CallScope & { type: 'rate-limit-noted'; status: number; waitSeconds: number });

export type ResilienceObserver = (event: ResilienceEvent) => void;

/** The resolved settings (see `client.ts` for the documented defaults). */
export interface ResilienceConfig {
  breakerFailureRatio: number;
  breakerMinimumCalls: number;
  breakerWindowMs: number;
  breakerHalfOpenAfterMs: number;
  maxConcurrentRequests: number;
  maxQueuedRequests: number;
  retryBudgetRatio: number;
  retryBudgetMinRetries: number;
  retryBudgetWindowMs: number;
  rateLimitGateMaxKeys: number;
  rateLimitGateMaxWaitMs: number;
  maxConcurrentPerTenant: number;
  maxQueuedPerTenant: number;
  keyVerdictMaxKeys: number;
  rejectedKeyTtlMs: number;
  acceptedKeyTtlMs: number;
  /** Milliseconds since the epoch, for the gate and the budget (cockatiel reads `Date.now`). */
  now: () => number;
  onEvent?: ResilienceObserver | undefined;
  /**
   * What Featurebase says of a key's rate limit, shared with other instances
   * (src/upstream/resilience/shared-rate-limits.ts). Default: this instance's gate only.
   */
  sharedRateLimits?: SharedRateLimits | undefined;
}
