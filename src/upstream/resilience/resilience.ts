/**
 * Upstream resilience around the retry loop of `../request/request.ts`: the rate-limit gate, what
 * Featurebase said of each key, a circuit breaker, a retry budget and a fair bulkhead, one set
 * per client (so per upstream origin). The breaker is cockatiel's; the others are small classes
 * of their own files. One call goes through them in this order:
 *
 *   rate-limit gate → key verdict → circuit breaker → retry loop (retry budget)
 *     → fair bulkhead (the call's tenant) → one attempt
 *
 * - The gate comes first: it is per API key and the cheapest. A call it refuses never reaches
 *   Featurebase, so it says nothing about Featurebase's health (the breaker must not count it)
 *   and needs no slot.
 * - Key verdicts (`key-verdicts.ts`): a key Featurebase refused lately (401, 403) is refused
 *   without a call, and a key it has not judged yet goes one call at a time. Each call has a
 *   tenant: its key (as a hash) once Featurebase has accepted the key, else the client's
 *   address, so that made-up keys from one address share one tenant's share.
 * - The breaker wraps the whole call, retries included: one call is one sample, whatever its
 *   retries did, and the half-open probe is one call. An open breaker refuses before queueing.
 *   It counts only what says Featurebase itself is failing: 5xx, timeouts, connection errors.
 *   Redirects, unusable bodies and 4xx answer one key's calls and prove nothing about the
 *   others, so one tenant cannot open the breaker for all.
 * - The budget is asked before each retry (the first attempt of every call earns a fraction of
 *   one); spent, the call ends with its last attempt's error.
 * - The bulkhead wraps each ATTEMPT, not the call: a slot is held only while a request is on the
 *   wire, so a retry sleeping through its backoff (up to seconds, for a `Retry-After`) frees its
 *   slot for others and queues again for the next attempt. This also caps exactly what F20
 *   measures: requests in flight at Featurebase. Within it, each tenant may hold at most its
 *   share of the slots and of the queue (`fair-bulkhead.ts`).
 *
 * Every refusal and every breaker change is reported through `onEvent`, free of secrets: no
 * key, no key hash, no address, no ids (the path is a template).
 */

import {
  type CircuitBreakerPolicy,
  CircuitState,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  SamplingBreaker,
} from 'cockatiel';
import { abortReason } from '../caller.ts';
import {
  CircuitOpenError,
  errorFromResponse,
  InternalServerError,
  RateLimitGateError,
  UpstreamConnectionError,
  UpstreamHttpError,
  UpstreamOverloadedError,
  UpstreamTimeoutError,
} from '../errors.ts';
import { FairBulkhead, SlotRefusedError } from './fair-bulkhead.ts';
import {
  isRejectionStatus,
  type KeyAdmission,
  KeyVerdicts,
  type Rejection,
} from './key-verdicts.ts';
import { type RateLimitAnswer, RateLimitGate } from './rate-limit-gate.ts';
import { RetryBudget } from './retry-budget.ts';
import type {
  BreakerState,
  CallerIdentity,
  CallScope,
  ResilienceConfig,
  ResilienceEvent,
  Tenant,
  UpstreamHealth,
} from './types.ts';

/**
 * Failures that say Featurebase itself is unwell, whoever calls: the breaker counts only these.
 * Not redirects or unusable answers (`UpstreamProtocolError`): those answer one key's calls.
 */
export function isUpstreamFailure(error: unknown): boolean {
  return (
    error instanceof UpstreamConnectionError ||
    error instanceof UpstreamTimeoutError ||
    error instanceof InternalServerError
  );
}

/**
 * A half-open probe that ended without telling anything (its caller left, or it found no slot):
 * counted as a failure, so the breaker stays open rather than closing on no evidence.
 */
class InconclusiveProbe extends Error {
  override name = 'InconclusiveProbe';
  constructor(readonly error: unknown) {
    super('The probe call ended without an answer.');
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'halfOpen',
  [CircuitState.Isolated]: 'open',
};

export class Resilience {
  readonly #config: ResilienceConfig;
  readonly #breaker: CircuitBreakerPolicy;
  readonly #bulkhead: FairBulkhead;
  readonly #budget: RetryBudget;
  readonly #gate: RateLimitGate;
  readonly #verdicts: KeyVerdicts;
  /** `Date.now()` when the breaker last opened (cockatiel keeps its own copy private). */
  #openedAt = 0;

  constructor(config: ResilienceConfig) {
    this.#config = config;
    this.#breaker = circuitBreaker(
      handleWhen((error) => isUpstreamFailure(error) || error instanceof InconclusiveProbe),
      {
        halfOpenAfter: config.breakerHalfOpenAfterMs,
        breaker: new SamplingBreaker({
          // cockatiel opens above the threshold; a hair below it makes "at least the ratio".
          threshold: config.breakerFailureRatio - 1e-9,
          duration: config.breakerWindowMs,
          // A rate over the window; half a call below the minimum absorbs cockatiel's rounding.
          minimumRps: ((config.breakerMinimumCalls - 0.5) * 1000) / config.breakerWindowMs,
        }),
      },
    );
    this.#breaker.onStateChange((state) => {
      if (state === CircuitState.Open) this.#openedAt = Date.now();
      const event: ResilienceEvent = { type: 'breaker', state: STATE_NAMES[state] };
      const last = this.#breaker.lastFailure;
      if (state === CircuitState.Open && last && 'error' in last) {
        event.cause = errorName(last.error);
      }
      this.#emit(event);
    });
    this.#bulkhead = new FairBulkhead({
      maxConcurrent: config.maxConcurrentRequests,
      maxQueued: config.maxQueuedRequests,
      maxConcurrentPerPartition: config.maxConcurrentPerTenant,
      maxQueuedPerPartition: config.maxQueuedPerTenant,
    });
    this.#budget = new RetryBudget({
      ratio: config.retryBudgetRatio,
      minRetries: config.retryBudgetMinRetries,
      windowMs: config.retryBudgetWindowMs,
      now: config.now,
    });
    this.#gate = new RateLimitGate({
      maxKeys: config.rateLimitGateMaxKeys,
      maxWaitMs: config.rateLimitGateMaxWaitMs,
      now: config.now,
    });
    this.#verdicts = new KeyVerdicts({
      maxKeys: config.keyVerdictMaxKeys,
      rejectedTtlMs: config.rejectedKeyTtlMs,
      acceptedTtlMs: config.acceptedKeyTtlMs,
      now: config.now,
    });
  }

  /**
   * Runs one call for `caller`: the rate-limit gate and the key's verdict first (both may refuse
   * without a call), then `run` (the retry loop) through the breaker, for the call's tenant;
   * then learns what the answer says of the key. `maxWaitMs`: the longest this call may wait
   * for its key's probe.
   */
  async run<T extends { status: number }>(
    caller: CallerIdentity,
    scope: CallScope,
    maxWaitMs: number,
    run: (tenant: Tenant) => Promise<T>,
  ): Promise<T> {
    // An HMAC per call (~1 µs): keys are looked up only by their hash, never stored.
    const keyId = this.#gate.keyFor(caller.apiKey);
    const shared = this.#config.sharedRateLimits;
    const news = shared?.lookUp(caller.apiKey, keyId);
    if (news) {
      const until = await news;
      if (until !== undefined) this.#gate.closeUntil(keyId, until);
    }
    this.#admit(keyId, scope);
    this.#refuseWhileOpen(scope);
    const verdict = this.#verdicts.admit(keyId, maxWaitMs, caller.signal);
    let admission: KeyAdmission;
    if (verdict instanceof Promise) {
      admission = await verdict;
      caller.signal?.throwIfAborted();
      if (admission.rejection) throw this.#refusal(admission.rejection, scope);
      // The probe this call waited for may have ended in a refusal, or opened the breaker.
      this.#refuseIfRejected(keyId, scope);
      this.#refuseWhileOpen(scope);
    } else admission = verdict;
    const tenant: Tenant = {
      keyId,
      partition: admission.accepted
        ? `key:${keyId}`
        : `address:${caller.clientAddress ?? 'unknown'}`,
      // Calls waiting for this key's verdict go on as soon as an answer tells it (not after this
      // call's retries). A refusal is told at the end of the call, once it is remembered.
      answered: (status) => {
        if (!isRejectionStatus(status)) admission.settle(status);
      },
      ...(shared ? { heldUntil: (untilMs: number) => shared.publish(caller.apiKey, untilMs) } : {}),
    };
    let status: number | undefined;
    try {
      const result = await this.call(scope, () => run(tenant));
      status = result.status;
      return result;
    } catch (error) {
      if (error instanceof UpstreamHttpError && !(error instanceof RateLimitGateError)) {
        status = error.status;
        if (isRejectionStatus(status)) {
          this.#verdicts.reject(keyId, { status, details: error.details });
        }
      }
      throw error;
    } finally {
      admission.settle(status);
    }
  }

  /** Whether Featurebase accepted this key lately (the key is hashed to look, never kept). */
  isAcceptedKey(apiKey: string): boolean {
    return this.#verdicts.isAccepted(this.#gate.keyFor(apiKey));
  }

  /**
   * Throws `RateLimitGateError` while Featurebase's last word on this key says to wait, and the
   * remembered error while Featurebase refuses the key.
   */
  #admit(keyId: string, scope: CallScope): void {
    this.#refuseIfRejected(keyId, scope);
    if (this.#gate.size === 0) return;
    const waitMs = this.#gate.waitMs(keyId);
    if (waitMs === undefined) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    this.#emit({ type: 'rejected', reason: 'rate-limited', retryAfterSeconds, ...scope });
    throw new RateLimitGateError(retryAfterSeconds);
  }

  #refuseIfRejected(keyId: string, scope: CallScope): void {
    const rejection = this.#verdicts.rejection(keyId);
    if (rejection) throw this.#refusal(rejection, scope);
  }

  /** The same error Featurebase gave the key (status, type, code), made anew for this call. */
  #refusal(rejection: Rejection, scope: CallScope): Error {
    this.#emit({ type: 'rejected', reason: 'key-rejected', ...scope });
    return errorFromResponse(rejection.status, { error: rejection.details });
  }

  /** Learns from every answer what it says about the key's quota. */
  observe(tenant: Tenant, scope: CallScope, answer: RateLimitAnswer & { status: number }): void {
    const waitMs = this.#gate.observe(tenant.keyId, answer);
    if (waitMs === undefined) return;
    tenant.heldUntil?.(this.#config.now() + waitMs);
    const waitSeconds = Math.ceil(waitMs / 1000);
    this.#emit({ type: 'rate-limit-noted', status: answer.status, waitSeconds, ...scope });
  }

  /**
   * Runs one call (all its attempts) through the breaker. Counted as failures: connection
   * errors, timeouts, 5xx and unusable answers. An answer with another status (4xx, 429) is a
   * success: Featurebase is up. Anything else (the caller left, no slot) is not counted.
   */
  async call<T>(scope: CallScope, run: () => Promise<T>): Promise<T> {
    this.#refuseWhileOpen(scope);
    const probe = this.#breaker.state === CircuitState.Open;
    let outcome: Outcome<T>;
    try {
      outcome = await this.#breaker.execute(async (): Promise<Outcome<T>> => {
        try {
          return { ok: true, value: await run() };
        } catch (error) {
          if (isUpstreamFailure(error)) throw error;
          if (error instanceof UpstreamHttpError) return { ok: false, error };
          // Neutral: not counted, except that a probe without an answer must not close it.
          throw probe ? new InconclusiveProbe(error) : error;
        }
      });
    } catch (error) {
      if (isBrokenCircuitError(error)) throw this.#circuitOpen(scope);
      throw error instanceof InconclusiveProbe ? error.error : error;
    }
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  }

  /**
   * While the breaker is open (and not yet due for its probe) or its probe runs, refuses at
   * once: cockatiel would make every call wait for a running probe, and a call must not wait for
   * anything else (its key's verdict) only to be refused.
   */
  #refuseWhileOpen(scope: CallScope): void {
    const state = this.#breaker.state;
    if (state === CircuitState.HalfOpen || state === CircuitState.Isolated) {
      throw this.#circuitOpen(scope);
    }
    if (
      state === CircuitState.Open &&
      Date.now() - this.#openedAt < this.#config.breakerHalfOpenAfterMs
    ) {
      throw this.#circuitOpen(scope);
    }
  }

  /**
   * Runs one attempt in a bulkhead slot of the call's tenant, waiting in the queue for at most
   * `maxWaitMs` (the call's time left) or until `signal` aborts. Throws
   * `UpstreamOverloadedError` when there is no slot and no room in the queue (the whole queue,
   * or the tenant's share of it), or the wait ran out. `attempt` 1 (a call's first attempt)
   * earns the retry budget its share.
   */
  async withSlot<T>(
    tenant: Tenant,
    scope: CallScope,
    attempt: number,
    signal: AbortSignal | undefined,
    maxWaitMs: number,
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await this.#bulkhead.run(tenant.partition, maxWaitMs, signal, abortReason, () => {
        if (attempt === 1) this.#budget.recordCall();
        return run();
      });
    } catch (error) {
      if (!(error instanceof SlotRefusedError)) throw error;
      throw this.#overloaded(scope, attempt, error.reason);
    }
  }

  /**
   * The retry budget, asked once the retry policy wants to retry. `attempt` is the number the
   * retry would have. `false`: do not retry (reported). A call made while the breaker is not
   * closed is its probe: one request tells whether Featurebase is back, retries would only
   * multiply the traffic the breaker is there to hold back.
   */
  mayRetry(scope: CallScope, attempt: number): boolean {
    if (this.#breaker.state !== CircuitState.Closed) {
      this.#emit({ type: 'retry-skipped', reason: 'breaker-probe', attempt, ...scope });
      return false;
    }
    if (this.#budget.tryRetry()) return true;
    this.#emit({ type: 'retry-skipped', reason: 'retry-budget', attempt, ...scope });
    return false;
  }

  health(): UpstreamHealth {
    const bulkhead = this.#bulkhead;
    return {
      breaker: STATE_NAMES[this.#breaker.state],
      inFlight: bulkhead.inFlight,
      queued: bulkhead.queued,
      tenants: bulkhead.partitions,
    };
  }

  #circuitOpen(scope: CallScope): CircuitOpenError {
    const leftMs = this.#openedAt + this.#config.breakerHalfOpenAfterMs - Date.now();
    const retryAfterSeconds = Math.max(1, Math.ceil(leftMs / 1000));
    this.#emit({ type: 'rejected', reason: 'circuit-open', retryAfterSeconds, ...scope });
    return new CircuitOpenError(retryAfterSeconds);
  }

  #overloaded(
    scope: CallScope,
    attempt: number,
    refusal: SlotRefusedError['reason'],
  ): UpstreamOverloadedError {
    const reason = refusal === 'partition-full' ? 'tenant-overloaded' : refusal;
    if (attempt > 1) {
      this.#emit({ type: 'retry-skipped', reason: 'overloaded', attempt, ...scope });
    } else {
      this.#emit({ type: 'rejected', reason, ...scope });
    }
    return new UpstreamOverloadedError(OVERLOADED_MESSAGES[reason]);
  }

  /** Observers must never break a call. */
  #emit(event: ResilienceEvent): void {
    const observer = this.#config.onEvent;
    if (!observer) return;
    try {
      observer(event);
    } catch {
      // Ignored on purpose, as for attempt events.
    }
  }
}

const OVERLOADED_MESSAGES = {
  overloaded: 'Too many calls to Featurebase are in progress; try again shortly.',
  'tenant-overloaded':
    'Too many calls to Featurebase are in progress for this API key (or, before Featurebase accepted it, this address); try again shortly.',
  'queue-timeout': 'No connection to Featurebase became free in time; try again shortly.',
} as const;

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
