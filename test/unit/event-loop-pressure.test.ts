/**
 * The CPU-shortage signal (src/http/event-loop-pressure.ts): an event loop kept busy is seen as such,
 * one stall is not, and a threshold of 0 turns the signal off.
 */

import { describe, expect, it } from 'vitest';
import { watchEventLoop } from '../../src/http/event-loop-pressure.ts';

/** Keeps the event loop busy, as a flood of expensive requests would. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

/** Lets due timers run (the watch's tick among them). */
const breathe = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('watchEventLoop', () => {
  it('one stall is not pressure', async () => {
    const pressure = watchEventLoop(100);
    try {
      busyFor(400);
      await breathe();
      expect(pressure.high).toBe(false);
    } finally {
      pressure.stop();
    }
  });

  it('an event loop kept busy is: ticks late again and again', async () => {
    const pressure = watchEventLoop(100);
    try {
      // Each round leaves the next tick ≥ 150 ms late. Three in a row make pressure; a round
      // that lets an extra tick in on time only starts the count again, so allow a few.
      let rounds = 0;
      while (!pressure.high && rounds < 12) {
        busyFor(250);
        await breathe();
        rounds++;
      }
      expect(pressure.high, `after ${rounds} busy rounds`).toBe(true);
    } finally {
      pressure.stop();
    }
  });

  it('with a threshold of 0, never reports pressure', async () => {
    const pressure = watchEventLoop(0);
    for (let round = 0; round < 4; round++) {
      busyFor(250);
      await breathe();
    }
    expect(pressure.high).toBe(false);
    pressure.stop();
  });
});
