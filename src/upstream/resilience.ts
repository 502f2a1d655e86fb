/**
 * Upstream resilience around the retry loop of `request.ts`: the rate-limit gate, a circuit
 * breaker, a retry budget and a bulkhead, one set per client (so per upstream origin). The
 * breaker and the bulkhead are cockatiel's; the gate and the budget are small classes of their
 * own files. One call goes through them in this order:
 *
 *   rate-limit gate → circuit breaker → retry loop (retry budget) → bulkhead → one attempt
 *
 * - The gate comes first: it is per API key and the cheapest. A call it refuses never reaches
 *   Featurebase, so it says nothing about Featurebase's health (the breaker must not count it)
 *   and needs no slot.
 * - The breaker wraps the whole call, retries included: one call is one sample, whatever its
 *   retries did, and the half-open probe is one call. An open breaker refuses before queueing.
 * - The budget is asked before each retry (the first attempt of every call earns a fraction of
 *   one); spent, the call ends with its last attempt's error.
 * - The bulkhead wraps each ATTEMPT, not the call: a slot is held only while a request is on the
 *   wire, so a retry sleeping through its backoff (up to seconds, for a `Retry-After`) frees its
 *   slot for others and queues again for the next attempt. This also caps exactly what F20
 *   measures: requests in flight at Featurebase.
 *
 * Every refusal and every breaker change is reported through `onEvent`, free of secrets: no
 * key, no key hash, no ids (the path is a template).
 */

import {
  type BulkheadPolicy,
  bulkhead,
  type CircuitBreakerPolicy,
  CircuitState,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  SamplingBreaker,
} from 'cockatiel';
import { abortReason } from './caller.ts';
import {
  CircuitOpenError,
  InternalServerError,
  RateLimitGateError,
  UpstreamConnectionError,
  UpstreamHttpError,
  UpstreamOverloadedError,
  UpstreamProtocolError,
  UpstreamTimeoutError,
} from './errors.ts';
import { type RateLimitAnswer, RateLimitGate } from './rate-limit-gate.ts';
import type { HttpMethod } from './retry.ts';
import { RetryBudget } from './retry-budget.ts';

export type BreakerState = 'closed' | 'open' | 'halfOpen';

/** For a `/health` answer: read-only, cheap, secret-free. */
export interface UpstreamHealth {
  breaker: BreakerState;
  /** Upstream requests on the wire now. */
  inFlight: number;
  /** Attempts waiting for a slot. */
  queued: number;
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
       * and the queue is full. `queue-timeout`: waited for a slot until the call's time ran
       * out. `rate-limited`: the key's rate limit is known to be used up.
       */
      reason: 'circuit-open' | 'overloaded' | 'queue-timeout' | 'rate-limited';
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
  /** Milliseconds since the epoch, for the gate and the budget (cockatiel reads `Date.now`). */
  now: () => number;
  onEvent?: ResilienceObserver | undefined;
}

/** Failures that say Featurebase is unwell: the breaker counts only these. */
export function isUpstreamFailure(error: unknown): boolean {
  return (
    error instanceof UpstreamConnectionError ||
    error instanceof UpstreamTimeoutError ||
    error instanceof UpstreamProtocolError ||
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
  readonly #bulkhead: BulkheadPolicy;
  readonly #budget: RetryBudget;
  readonly #gate: RateLimitGate;
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
    this.#bulkhead = bulkhead(config.maxConcurrentRequests, config.maxQueuedRequests);
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
  }

  /**
   * The rate-limit gate, before anything else: throws `RateLimitGateError` while Featurebase's
   * last word on this key says to wait. The key is hashed only when the gate holds anything
   * back: on the hot path (no key limited) an HMAC per call was 1% of the gateway's CPU.
   */
  admit(apiKey: string, scope: CallScope): void {
    if (this.#gate.size === 0) return;
    const waitMs = this.#gate.waitMs(this.#gate.keyFor(apiKey));
    if (waitMs === undefined) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    this.#emit({ type: 'rejected', reason: 'rate-limited', retryAfterSeconds, ...scope });
    throw new RateLimitGateError(retryAfterSeconds);
  }

  /** Learns from every answer what it says about the key's quota. */
  observe(apiKey: string, scope: CallScope, answer: RateLimitAnswer & { status: number }): void {
    // Most answers say nothing that closes the gate: hash the key only for those that do.
    if (!this.#gate.wouldHold(answer)) return;
    const waitMs = this.#gate.observe(this.#gate.keyFor(apiKey), answer);
    if (waitMs === undefined) return;
    const waitSeconds = Math.ceil(waitMs / 1000);
    this.#emit({ type: 'rate-limit-noted', status: answer.status, waitSeconds, ...scope });
  }

  /**
   * Runs one call (all its attempts) through the breaker. Counted as failures: connection
   * errors, timeouts, 5xx and unusable answers. An answer with another status (4xx, 429) is a
   * success: Featurebase is up. Anything else (the caller left, no slot) is not counted.
   */
  async call<T>(scope: CallScope, run: () => Promise<T>): Promise<T> {
    const state = this.#breaker.state;
    // cockatiel makes every call wait for a running probe; we refuse them at once instead.
    if (state === CircuitState.HalfOpen || state === CircuitState.Isolated) {
      throw this.#circuitOpen(scope);
    }
    const probe = state === CircuitState.Open;
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
   * Runs one attempt in a bulkhead slot, waiting in the queue for at most `maxWaitMs` (the
   * call's time left) or until `signal` aborts. Throws `UpstreamOverloadedError` when there is
   * no slot and no room in the queue, or the wait ran out. `attempt` 1 (a call's first attempt)
   * earns the retry budget its share.
   */
  withSlot<T>(
    scope: CallScope,
    attempt: number,
    signal: AbortSignal | undefined,
    maxWaitMs: number,
    run: () => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const bulkhead = this.#bulkhead;
    if (bulkhead.executionSlots <= 0 && bulkhead.queueSlots <= 0) {
      return Promise.reject(this.#overloaded(scope, attempt, 'overloaded'));
    }
    return new Promise<T>((resolve, reject) => {
      // A waiter that gave up is not taken out of cockatiel's queue (an aborted entry there
      // would keep the next one waiting behind a free slot): it is marked, and when its turn
      // comes it returns at once, which hands the slot on.
      let state: 'waiting' | 'running' | 'abandoned' = 'waiting';
      let timer: NodeJS.Timeout | undefined;
      const stopWaiting = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const giveUp = (error: unknown): void => {
        if (state !== 'waiting') return;
        state = 'abandoned';
        stopWaiting();
        reject(error);
      };
      const onAbort = (): void => giveUp(abortReason(signal as AbortSignal));
      bulkhead
        .execute(async () => {
          if (state === 'abandoned') return;
          state = 'running';
          stopWaiting();
          if (attempt === 1) this.#budget.recordCall();
          try {
            resolve(await run());
          } catch (error) {
            reject(error);
          }
        })
        .catch((error: unknown) => {
          // Only a full bulkhead rejects here (`run`'s errors were passed on above).
          if (state !== 'waiting') return;
          stopWaiting();
          state = 'abandoned';
          reject(
            isBulkheadRejectedError(error) ? this.#overloaded(scope, attempt, 'overloaded') : error,
          );
        });
      if (state === 'waiting') {
        timer = setTimeout(
          () => giveUp(this.#overloaded(scope, attempt, 'queue-timeout')),
          Math.max(0, maxWaitMs),
        );
        signal?.addEventListener('abort', onAbort, { once: true });
      }
    });
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
      inFlight: this.#config.maxConcurrentRequests - bulkhead.executionSlots,
      queued: this.#config.maxQueuedRequests - bulkhead.queueSlots,
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
    reason: 'overloaded' | 'queue-timeout',
  ): UpstreamOverloadedError {
    if (attempt > 1) {
      this.#emit({ type: 'retry-skipped', reason: 'overloaded', attempt, ...scope });
    } else {
      this.#emit({ type: 'rejected', reason, ...scope });
    }
    return new UpstreamOverloadedError(
      reason === 'overloaded'
        ? 'Too many calls to Featurebase are in progress; try again shortly.'
        : 'No connection to Featurebase became free in time; try again shortly.',
    );
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

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
