/**
 * What the bench reads about a child from Linux's /proc: resident memory (now and peak) and CPU
 * time. Read from outside, so measuring costs the measured process nothing. Elsewhere than
 * Linux every reader returns `undefined` and the report says "n/a".
 */

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

export interface MemoryStatus {
  /** VmRSS, in bytes. */
  rssBytes: number;
  /** VmHWM: the peak RSS since start or since the last `resetPeak`, in bytes. */
  peakBytes: number;
}

export function readMemory(pid: number): MemoryStatus | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const rss = kilobytes(text, 'VmRSS');
  const peak = kilobytes(text, 'VmHWM');
  if (rss === undefined || peak === undefined) return undefined;
  return { rssBytes: rss * 1024, peakBytes: peak * 1024 };
}

function kilobytes(status: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Resets VmHWM to the current RSS (`echo 5 > /proc/PID/clear_refs`, Linux 4.0+), so the peak of
 * one scenario is not the peak of an earlier one. Returns false where that is not allowed; the
 * bench then relies on its own RSS samples.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

let ticksPerSecond: number | undefined;

/** User + system CPU time of a process, in seconds. */
export function readCpuSeconds(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, so 11 and 12 after the name.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  ticksPerSecond ??= clockTicks();
  return (utime + stime) / ticksPerSecond;
}

function clockTicks(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return value > 0 ? value : 100;
  } catch {
    return 100;
  }
}

/** Samples a process's RSS at a fixed interval until stopped. */
export class RssSampler {
  readonly samples: { atMs: number; rssBytes: number }[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #started = performance.now();

  constructor(
    private readonly pid: number,
    intervalMs: number,
  ) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#sample();
  }

  get peakBytes(): number | undefined {
    return this.samples.length === 0
      ? undefined
      : Math.max(...this.samples.map((sample) => sample.rssBytes));
  }

  #sample(): void {
    const memory = readMemory(this.pid);
    if (memory) {
      this.samples.push({ atMs: performance.now() - this.#started, rssBytes: memory.rssBytes });
    }
  }
}

export interface MachineCpu {
  /** CPU seconds spent busy, summed over every core (steal excluded). */
  busySeconds: number;
  /** CPU seconds the hypervisor gave to other machines. */
  stealSeconds: number;
}

/** Machine-wide CPU time from the first line of /proc/stat. */
export function readMachineCpu(): MachineCpu | undefined {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return undefined;
  }
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (in clock ticks)
  const [user, nice, system, , , irq, softirq, steal] = (line ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  if (user === undefined || system === undefined) return undefined;
  ticksPerSecond ??= clockTicks();
  const busy = user + (nice ?? 0) + system + (irq ?? 0) + (softirq ?? 0);
  return { busySeconds: busy / ticksPerSecond, stealSeconds: (steal ?? 0) / ticksPerSecond };
}
