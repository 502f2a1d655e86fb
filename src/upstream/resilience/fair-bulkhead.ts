/**
 * The upstream bulkhead, shared fairly: at most `maxConcurrent` requests on the wire and
 * `maxQueued` waiting, and within those, at most `maxConcurrentPerPartition` on the wire and
 * `maxQueuedPerPartition` waiting for any one partition (a tenant: an API key Featurebase has
 * accepted, or a client address for keys it has not; see `resilience.ts`). When a slot frees,
 * partitions with waiters take turns (round robin), so a partition with a long queue cannot make
 * another wait behind all of it.
 *
 * Memory: a partition exists only while it has requests on the wire or waiting, so there are at
 * most `maxConcurrent + maxQueued` of them; each waiter is one small object with a timer.
 */

export interface FairBulkheadOptions {
  maxConcurrent: number;
  maxQueued: number;
  maxConcurrentPerPartition: number;
  maxQueuedPerPartition: number;
}

/**
 * Why no slot was given: `overloaded`, the whole queue is full; `partition-full`, this
 * partition's share of slots and of the queue is taken; `queue-timeout`, waited too long.
 */
export type SlotRefusal = 'overloaded' | 'partition-full' | 'queue-timeout';

export class SlotRefusedError extends Error {
  override name = 'SlotRefusedError';
  constructor(readonly reason: SlotRefusal) {
    super(`No upstream slot (${reason}).`);
  }
}

interface Waiter {
  partition: Partition;
  grant: () => void;
}

interface Partition {
  key: string;
  inFlight: number;
  waiters: Waiter[];
}

export class FairBulkhead {
  readonly #options: FairBulkheadOptions;
  readonly #partitions = new Map<string, Partition>();
  /** Partitions with waiters, in turn order: the first is served next (if under its cap). */
  readonly #turns = new Set<Partition>();
  #inFlight = 0;
  #queued = 0;

  constructor(options: FairBulkheadOptions) {
    this.#options = options;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queued;
  }

  /** Partitions with requests on the wire or waiting. */
  get partitions(): number {
    return this.#partitions.size;
  }

  /**
   * Runs `task` in a slot of `partitionKey`, waiting for one at most `maxWaitMs` or until
   * `signal` aborts (then rejects with `abortReason`). Rejects with `SlotRefusedError` when the
   * partition or the whole queue is full, or the wait ran out.
   */
  run<T>(
    partitionKey: string,
    maxWaitMs: number,
    signal: AbortSignal | undefined,
    abortReason: (signal: AbortSignal) => unknown,
    task: () => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const partition = this.#partition(partitionKey);
    if (this.#mayStart(partition)) return this.#start(partition, task);
    const { maxQueued, maxQueuedPerPartition } = this.#options;
    if (this.#queued >= maxQueued || partition.waiters.length >= maxQueuedPerPartition) {
      this.#forgetIfIdle(partition);
      const reason = this.#queued >= maxQueued ? 'overloaded' : 'partition-full';
      return Promise.reject(new SlotRefusedError(reason));
    }
    return new Promise<T>((resolve, reject) => {
      const stopWaiting = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const leave = (error: unknown): void => {
        stopWaiting();
        this.#dequeue(waiter);
        reject(error);
      };
      const onAbort = (): void => leave(abortReason(signal as AbortSignal));
      const waiter: Waiter = {
        partition,
        grant: () => {
          stopWaiting();
          this.#start(partition, task).then(resolve, reject);
        },
      };
      const timer = setTimeout(
        () => leave(new SlotRefusedError('queue-timeout')),
        Math.max(0, maxWaitMs),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      partition.waiters.push(waiter);
      this.#queued++;
      this.#turns.add(partition);
    });
  }

  #partition(key: string): Partition {
    let partition = this.#partitions.get(key);
    if (!partition) {
      partition = { key, inFlight: 0, waiters: [] };
      this.#partitions.set(key, partition);
    }
    return partition;
  }

  /**
   * Whether a newcomer may start at once. Waiters never hold back a free slot they could take:
   * every release hands free slots to them first (`#dispatch`), so when a slot is free, no
   * waiter can use it (their partitions are at their cap), this partition's own included.
   */
  #mayStart(partition: Partition): boolean {
    return (
      this.#inFlight < this.#options.maxConcurrent &&
      partition.inFlight < this.#options.maxConcurrentPerPartition
    );
  }

  async #start<T>(partition: Partition, task: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    partition.inFlight++;
    try {
      return await task();
    } finally {
      this.#inFlight--;
      partition.inFlight--;
      this.#dispatch();
      this.#forgetIfIdle(partition);
    }
  }

  /** Gives free slots to waiters, one partition at a time, in turn. */
  #dispatch(): void {
    const perPartition = this.#options.maxConcurrentPerPartition;
    while (this.#inFlight < this.#options.maxConcurrent) {
      let next: Partition | undefined;
      for (const partition of this.#turns) {
        if (partition.inFlight < perPartition) {
          next = partition;
          break;
        }
      }
      if (!next) return;
      const waiter = next.waiters.shift() as Waiter;
      this.#queued--;
      // Its turn is over: to the back of the line, if it still has waiters.
      this.#turns.delete(next);
      if (next.waiters.length > 0) this.#turns.add(next);
      waiter.grant();
    }
  }

  #dequeue(waiter: Waiter): void {
    const { partition } = waiter;
    const index = partition.waiters.indexOf(waiter);
    if (index === -1) return;
    partition.waiters.splice(index, 1);
    this.#queued--;
    if (partition.waiters.length === 0) this.#turns.delete(partition);
    this.#forgetIfIdle(partition);
  }

  #forgetIfIdle(partition: Partition): void {
    if (partition.inFlight === 0 && partition.waiters.length === 0) {
      this.#partitions.delete(partition.key);
    }
  }
}
