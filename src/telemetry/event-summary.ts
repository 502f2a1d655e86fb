/**
 * One log line per interval for events that come by the thousand under attack (requests shed,
 * keys held back): a line per event would flood the log exactly when an operator reads it. The
 * first event of a quiet period is logged at once; the following ones are counted, and the
 * counts are logged when the interval is over (if there were any). Memory: one counter per
 * reason, and reasons are a fixed set chosen by the code, never client input.
 */

import type { Logger } from 'pino';

/** Counts `count` events (default 1) of `reason`. */
export type EventSummary<Reason extends string> = (reason: Reason, count?: number) => void;

export function eventSummary<Reason extends string>(
  logger: Logger,
  message: string,
  intervalMs = 1000,
): EventSummary<Reason> {
  let counts = new Map<Reason, number>();
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    if (counts.size === 0) return;
    logger.warn({ counts: Object.fromEntries(counts), intervalMs }, message);
    counts = new Map();
    timer = setTimeout(flush, intervalMs);
    timer.unref();
  };
  return (reason, count = 1) => {
    counts.set(reason, (counts.get(reason) ?? 0) + count);
    // Quiet until now: say so at once, then summarise the rest of the interval.
    if (timer === undefined) flush();
  };
}
