/**
 * The fair bulkhead (src/upstream/resilience/fair-bulkhead.ts): totals and per-partition shares of slots
 * and queue, turns between partitions, waiters that give up, and partitions forgotten when idle.
 * Tasks are held open by hand, so every step is deterministic (no timing).
 */

import { describe, expect, it } from 'vitest';
import { FairBulkhead, SlotRefusedError } from '../../src/upstream/resilience/fair-bulkhead.ts';

const abortReason = (signal: AbortSignal) => signal.reason;

/** A task that runs until released, recording when it started. */
function held(log: string[], name: string) {
  let release: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    task: async () => {
      log.push(name);
      await done;
      return name;
    },
    release: () => release(),
  };
}

function bulkhead(overrides: Partial<ConstructorParameters<typeof FairBulkhead>[0]> = {}) {
  return new FairBulkhead({
    maxConcurrent: 4,
    maxQueued: 8,
    maxConcurrentPerPartition: 2,
    maxQueuedPerPartition: 3,
    ...overrides,
  });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('FairBulkhead', () => {
  it('one partition gets its share of slots and of the queue, then is refused at once', async () => {
    const pool = bulkhead();
    const log: string[] = [];
    const tasks = Array.from({ length: 6 }, (_, n) => held(log, `a${n}`));
    const runs = tasks
      .slice(0, 5)
      .map((t) => pool.run('a', 10_000, undefined, abortReason, t.task));
    await tick();
    expect(log).toEqual(['a0', 'a1']);
    expect([pool.inFlight, pool.queued]).toEqual([2, 3]);
    const refused = pool.run(
      'a',
      10_000,
      undefined,
      abortReason,
      tasks[5]?.task ?? (async () => ''),
    );
    await expect(refused).rejects.toEqual(new SlotRefusedError('partition-full'));
    for (const t of tasks) t.release();
    await Promise.all(runs);
    expect(log).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    expect([pool.inFlight, pool.queued, pool.partitions]).toEqual([0, 0, 0]);
  });

  it("another partition still gets slots while the first one's queue is full", async () => {
    const pool = bulkhead();
    const log: string[] = [];
    const a = Array.from({ length: 5 }, (_, n) => held(log, `a${n}`));
    const b = held(log, 'b0');
    const runs = a.map((t) => pool.run('a', 10_000, undefined, abortReason, t.task));
    const other = pool.run('b', 10_000, undefined, abortReason, b.task);
    await tick();
    expect(log).toEqual(['a0', 'a1', 'b0']);
    b.release();
    await expect(other).resolves.toBe('b0');
    for (const t of a) t.release();
    await Promise.all(runs);
  });

  it('freed slots go to waiting partitions in turn, not first come first served', async () => {
    const pool = bulkhead({
      maxConcurrent: 1,
      maxConcurrentPerPartition: 1,
      maxQueuedPerPartition: 8,
    });
    const log: string[] = [];
    const first = held(log, 'x');
    const running = pool.run('x', 10_000, undefined, abortReason, first.task);
    // a queues three, then b one, then c one.
    const queued = [
      ['a', 'a0'],
      ['a', 'a1'],
      ['a', 'a2'],
      ['b', 'b0'],
      ['c', 'c0'],
    ] as const;
    const tasks = new Map(queued.map(([, name]) => [name as string, held(log, name)]));
    const runs = new Map(
      queued.map(([partition, name]) => [
        name as string,
        pool.run(
          partition,
          10_000,
          undefined,
          abortReason,
          (tasks.get(name) as ReturnType<typeof held>).task,
        ),
      ]),
    );
    await tick();
    expect(log).toEqual(['x']);
    first.release();
    await running;
    // One slot: release whichever runs, and see who comes next.
    for (let step = 0; step < queued.length; step++) {
      const name = log.at(-1) as string;
      tasks.get(name)?.release();
      await runs.get(name);
    }
    expect(log).toEqual(['x', 'a0', 'b0', 'c0', 'a1', 'a2']);
  });

  it('the whole queue has a bound too', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueued: 2, maxQueuedPerPartition: 2 });
    const log: string[] = [];
    const tasks = ['a', 'b', 'c'].map((name) => held(log, name));
    const runs = tasks.map((t, n) => pool.run(`p${n}`, 10_000, undefined, abortReason, t.task));
    const refused = pool.run('p9', 10_000, undefined, abortReason, async () => 'never');
    await expect(refused).rejects.toEqual(new SlotRefusedError('overloaded'));
    for (const t of tasks) t.release();
    await Promise.all(runs);
  });

  it('a waiter that gives up (time or abort) leaves the queue at once and never runs', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxConcurrentPerPartition: 1 });
    const log: string[] = [];
    const first = held(log, 'first');
    const running = pool.run('a', 10_000, undefined, abortReason, first.task);
    const timedOut = pool.run('b', 1, undefined, abortReason, async () => 'never');
    const controller = new AbortController();
    const aborted = pool.run('c', 10_000, controller.signal, abortReason, async () => 'never');
    await expect(timedOut).rejects.toEqual(new SlotRefusedError('queue-timeout'));
    controller.abort(new Error('caller left'));
    await expect(aborted).rejects.toThrow('caller left');
    expect([pool.queued, pool.partitions]).toEqual([0, 1]);
    first.release();
    await running;
    expect(log).toEqual(['first']);
    expect([pool.inFlight, pool.partitions]).toEqual([0, 0]);
  });
});
