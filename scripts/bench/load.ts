/**
 * Drives one target with autocannon: a warm-up whose numbers are dropped (JIT, pools, caches),
 * then the measured run, while the bench samples, from outside, the target's memory and the CPU
 * time of every process involved. The CPU shares say what limited a run: on 2 cores, the target,
 * the upstream and autocannon together cannot use more than 200%.
 *
 * autocannon runs in this (the bench's) process, which does nothing else meanwhile; the servers
 * each run in their own process.
 */

import autocannon from 'autocannon';
import { request as httpRequest } from 'undici';
import type { Slot } from './fixtures.ts';
import { RssSampler, readCpuSeconds, readMachineCpu, readMemory, resetPeak } from './proc.ts';
import { RESET_PATH, STATS_PATH, type UpstreamStats } from './protocol.ts';
import type { HttpRequest, Scenario, Target } from './scenarios.ts';

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

export interface Watched {
  name: string;
  pid: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  requests: number;
  durationSeconds: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  errors: {
    /** Connection errors, timeouts included. */
    connection: number;
    timeouts: number;
    non2xx: number;
    /** 2xx answers that were not the expected data. */
    wrongBody: number;
    total: number;
  };
  /** Peak RSS of the target during the measured run (VmHWM after a reset, else samples). */
  peakRssBytes: number | undefined;
  rssAfterBytes: number | undefined;
  /**
   * CPU used during the measured run, in % of one core: per process ("loadgen" is autocannon),
   * "other" for every other process on the machine, "steal" for time the hypervisor took.
   */
  cpuPercent: Record<string, number>;
  /** Upstream calls during the measured run (approximate: requests in flight at the end). */
  upstreamCalls: number | undefined;
  upstreamErrors: number | undefined;
  /** The target's RSS over the measured run, when asked for (`keepRssSamples`). */
  rssSamples?: { atMs: number; rssBytes: number }[];
}

/** Round-robin over the slots' prepared requests, shared by every autocannon connection. */
function roundRobin(requests: readonly HttpRequest[]): autocannon.Request[] {
  let next = 0;
  return [
    {
      // autocannon deep-clones its options per connection but keeps functions as they are, so
      // this counter is shared: consecutive requests, from any connection, take the next slot.
      setupRequest: (request) => {
        const chosen = requests[next++ % requests.length];
        return { ...request, ...chosen } as autocannon.Request;
      },
    },
  ];
}

/** One autocannon run against `url`, the requests taken in turn by every connection. */
export function run(
  url: string,
  requests: readonly HttpRequest[],
  verify: (body: string) => boolean,
  options: LoadOptions,
  seconds: number,
): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: options.connections,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
    requests: roundRobin(requests),
    verifyBody: verify as (body: unknown) => boolean,
  });
}

export async function upstreamStats(upstreamUrl: string): Promise<UpstreamStats> {
  const { body } = await httpRequest(`${upstreamUrl}${STATS_PATH}`);
  return (await body.json()) as UpstreamStats;
}

/**
 * Waits until the upstream has received nothing for `quietMs`: when autocannon stops, the
 * server it drove may still be forwarding the requests it had in flight, and those must not be
 * counted against what comes next. Gives up (silently) after `maxMs`.
 */
export async function settleUpstream(
  upstreamUrl: string,
  quietMs = 200,
  maxMs = 5000,
): Promise<void> {
  const deadline = performance.now() + maxMs;
  let last = (await upstreamStats(upstreamUrl)).requests;
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = (await upstreamStats(upstreamUrl)).requests;
    if (now === last) return;
    last = now;
  }
}

export async function resetUpstreamStats(upstreamUrl: string): Promise<void> {
  const { body } = await httpRequest(`${upstreamUrl}${RESET_PATH}`, { method: 'POST' });
  await body.dump();
}

export interface DriveOptions extends LoadOptions {
  scenario: Scenario;
  target: Target;
  url: string;
  slots: readonly Slot[];
  /** The process that serves `url`; its memory is what we report. */
  targetProcess: Watched;
  /** Other processes whose CPU time is worth knowing (the upstream). */
  others: readonly Watched[];
  upstreamUrl: string;
  /** How often the target's RSS is sampled. Default 250 ms. */
  sampleEveryMs?: number;
  keepRssSamples?: boolean;
}

export async function drive(options: DriveOptions): Promise<LoadResult> {
  const { scenario, target, slots } = options;
  const requests = slots.map((slot) => scenario.request(target, slot));
  const verify = scenario.verify(target);

  await settleUpstream(options.upstreamUrl);
  if (options.warmupSeconds > 0) {
    await run(options.url, requests, verify, options, options.warmupSeconds);
    await settleUpstream(options.upstreamUrl);
  }

  const pid = options.targetProcess.pid;
  const peakResettable = resetPeak(pid);
  const sampler = new RssSampler(pid, options.sampleEveryMs ?? 250);
  const watched = [options.targetProcess, ...options.others];
  const cpuBefore = watched.map((process) => readCpuSeconds(process.pid));
  const loadgenBefore = process.cpuUsage();
  const machineBefore = readMachineCpu();
  await resetUpstreamStats(options.upstreamUrl);
  const started = performance.now();

  const result = await run(options.url, requests, verify, options, options.durationSeconds);

  const elapsedSeconds = (performance.now() - started) / 1000;
  const loadgen = process.cpuUsage(loadgenBefore);
  const cpuAfter = watched.map((process) => readCpuSeconds(process.pid));
  const machineAfter = readMachineCpu();
  const upstream = await upstreamStats(options.upstreamUrl);
  sampler.stop();
  const memory = readMemory(pid);

  const cpuPercent: Record<string, number> = {};
  watched.forEach((process, index) => {
    const before = cpuBefore[index];
    const after = cpuAfter[index];
    if (before !== undefined && after !== undefined) {
      cpuPercent[process.name] = round(((after - before) / elapsedSeconds) * 100, 0);
    }
  });
  cpuPercent['loadgen'] = round(((loadgen.user + loadgen.system) / 1e6 / elapsedSeconds) * 100, 0);
  if (machineBefore && machineAfter) {
    // Whatever else ran on the machine meanwhile (other jobs, the idle servers): a disturbed run.
    const machine = ((machineAfter.busySeconds - machineBefore.busySeconds) / elapsedSeconds) * 100;
    const ours = Object.values(cpuPercent).reduce((sum, value) => sum + value, 0);
    cpuPercent['other'] = Math.max(0, round(machine - ours, 0));
    cpuPercent['steal'] = round(
      ((machineAfter.stealSeconds - machineBefore.stealSeconds) / elapsedSeconds) * 100,
      0,
    );
  }

  const errors = {
    connection: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    wrongBody: result.mismatches,
    total: result.errors + result.non2xx + result.mismatches,
  };
  const sampledPeak = sampler.peakBytes;
  const measured: LoadResult = {
    requestsPerSecond: round(result.requests.average, 0),
    requests: result.requests.total,
    durationSeconds: result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: round(result.latency.mean, 2),
    },
    errors,
    peakRssBytes:
      peakResettable && memory
        ? Math.max(memory.peakBytes, sampledPeak ?? 0)
        : (sampledPeak ?? memory?.peakBytes),
    rssAfterBytes: memory?.rssBytes,
    cpuPercent,
    upstreamCalls: upstream.requests,
    upstreamErrors: upstream.errors,
  };
  if (options.keepRssSamples) measured.rssSamples = sampler.samples;
  return measured;
}

/** Sends one request (outside any load) and returns the status and the parsed body. */
export async function sendOnce(
  baseUrl: string,
  request: HttpRequest,
): Promise<{ status: number; answer: unknown; text: string }> {
  const response = await httpRequest(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body ?? null,
  });
  const text = await response.body.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  return { status: response.statusCode, answer, text };
}

/**
 * Checks one answer of `target` in full before anything is measured. Returns what is wrong, or
 * undefined when the answer is the expected data.
 */
export async function checkOnce(
  baseUrl: string,
  scenario: Scenario,
  target: Target,
  slot: Slot,
): Promise<string | undefined> {
  const request = scenario.request(target, slot);
  const { status, answer, text } = await sendOnce(baseUrl, request);
  const problem =
    status === 200
      ? (scenario.check(target, answer, slot) ??
        (scenario.verify(target)(text) ? undefined : 'the per-response check refuses it'))
      : `HTTP ${status}`;
  return problem === undefined ? undefined : `${problem}; body: ${text.slice(0, 400)}`;
}

/**
 * Upstream calls per request, counted exactly: `count` requests one after another, nothing else
 * running, and the upstream's counter read before and after.
 */
export async function upstreamCallsPerRequest(
  baseUrl: string,
  upstreamUrl: string,
  scenario: Scenario,
  target: Target,
  slots: readonly Slot[],
  count: number,
): Promise<number> {
  await settleUpstream(upstreamUrl);
  await resetUpstreamStats(upstreamUrl);
  for (let index = 0; index < count; index++) {
    const slot = slots[index % slots.length];
    if (slot) await sendOnce(baseUrl, scenario.request(target, slot));
  }
  const stats = await upstreamStats(upstreamUrl);
  return stats.requests / count;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
