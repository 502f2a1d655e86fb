/**
 * `npm run bench -- --hostile`: attackers beside one well-behaved tenant, against the gateway as
 * `npm run start:prod` runs it (issue "Survive hostile load", item 6). See BENCHMARKS.md,
 * "Hostile load", and the attack sizes in scripts/bench/hostile-attacks.ts.
 *
 * Processes:
 *   upstream   scripts/bench/upstream.ts   the simulator: every call answered after 50 ms, rate
 *                                          limit out of reach, two "faulty" keys for R07
 *   gateway    dist/main.mjs               a FRESH process per phase, so a crash or an RSS peak
 *                                          belongs to one attack
 *   attacker   scripts/bench/attacker.ts   a fresh process per phase, running that phase's attacks
 *   bench      this process                the tenant (one list query every 100 ms), /proc
 *                                          sampling of the gateway, the report
 *
 * Each phase: start the gateway, warm the tenant up with one request, start the attackers, run
 * the tenant for the phase's time, stop the attackers, then ask `GET /health` on a new connection.
 * A quiet phase (the tenant alone) comes first, as the reference.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, Client, type Dispatcher, request } from 'undici';
import { FAULTY_KEYS, tenantKey } from './fixtures.ts';
import {
  ALL_R03,
  ALL_SCALE,
  ATTACK_NAMES,
  ATTACKER_READY,
  ATTACKER_RESULT,
  type AttackerConfig,
  type AttackName,
  type AttackReport,
  attackTitle,
  type PhaseName,
  R01,
  R02,
  R03,
  R04,
  R06,
  R07,
} from './hostile-attacks.ts';
import { resetUpstreamStats, round, settleUpstream, upstreamStats } from './load.ts';
import type { BenchOptions } from './options.ts';
import { readCpuSeconds, readMachineCpu, readMemory } from './proc.ts';
import { Child, pinSelf, stopAll, tasksetAvailable } from './processes.ts';
import { productionNodeFlags } from './production-flags.ts';
import type { UpstreamStats } from './protocol.ts';
import { machine, RESULTS_DIR, source } from './report.ts';
import {
  type GatewayOptions,
  type StartedGateway,
  startGateway,
  startUpstream,
} from './targets.ts';

/** The team's targets for every phase (issue "Survive hostile load"). */
export const HOSTILE_TARGETS = {
  peakRssMb: 220,
  tenantSuccessPercent: 95,
  tenantP99Ms: 1000,
} as const;

/** The tenant's query, every `TENANT_EVERY_MS`, each given `TENANT_TIMEOUT_MS` to be answered. */
export const TENANT_QUERY =
  '{ webhooks(first: 10) { nodes { id name status health { consecutiveFailures lastSuccessAt } } } }';
export const TENANT_EVERY_MS = 100;
export const TENANT_TIMEOUT_MS = 5000;
const HEALTH_TIMEOUT_MS = 5000;
/** Fewer successful tenant requests than this: no latency is shown or judged. */
const MIN_OK_FOR_LATENCY = 10;
const SAMPLE_EVERY_MS = 100;
const MB = 1024 * 1024;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// The tenant

interface TenantRequest {
  /** Seconds from the start of the phase. */
  at: number;
  ms: number;
  ok: boolean;
  /** Why it failed: `timeout`, `HTTP 503`, `UPSTREAM_UNAVAILABLE`, `ECONNREFUSED`… */
  failure?: string;
}

export interface TenantResult {
  sent: number;
  ok: number;
  successPercent: number;
  /** Latency of the successful requests (a failure's latency says little: a refusal is fast). */
  latencyMs: { p50: number; p99: number; max: number } | undefined;
  /** Latency of every request, failures included (one unanswered in time: `TENANT_TIMEOUT_MS`). */
  allLatencyMs: { p50: number; p99: number } | undefined;
  failures: Record<string, number>;
  /** Seconds into the phase of the first and last failure. */
  failedBetween?: [number, number];
}

const tenantBody = JSON.stringify({ query: TENANT_QUERY });

async function tenantRequest(
  url: string,
  dispatcher: Dispatcher,
): Promise<{ ms: number; failure?: string }> {
  const started = performance.now();
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve('timeout (5 s)');
    }, TENANT_TIMEOUT_MS);
  });
  const attempt = (async (): Promise<string | undefined> => {
    try {
      const answer = await request(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Bearer ${tenantKey(0)}`,
        },
        body: tenantBody,
        signal: abort.signal,
        dispatcher,
      });
      const text = await answer.body.text();
      return judgeAnswer(answer.statusCode, text);
    } catch (error) {
      if (abort.signal.aborted) return 'timeout (5 s)';
      return errorCode(error);
    }
  })();
  const failure = await Promise.race([attempt, timeout]);
  clearTimeout(timer);
  const ms = performance.now() - started;
  return failure === undefined ? { ms } : { ms, failure };
}

/** Success: HTTP 200 and a body with `data` (the list) and no `errors`. Else what went wrong. */
export function judgeAnswer(status: number, text: string): string | undefined {
  let body: { data?: { webhooks?: { nodes?: unknown } } | null; errors?: unknown } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  const codes = Array.isArray(body?.errors)
    ? [
        ...new Set(
          (body.errors as { extensions?: { code?: unknown } }[]).map((error) =>
            String(error.extensions?.code ?? 'error without code'),
          ),
        ),
      ].join('+')
    : undefined;
  if (status !== 200) return `HTTP ${status}${codes ? ` ${codes}` : ''}`;
  if (body === undefined) return '200, not JSON';
  if (codes) return `200, ${codes}`;
  if (!Array.isArray(body.data?.webhooks?.nodes)) return '200, no data';
  return undefined;
}

function errorCode(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return error instanceof Error ? error.name : 'unknown error';
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

export function summariseTenant(requests: readonly TenantRequest[]): TenantResult {
  const ok = requests.filter((entry) => entry.ok);
  const good = ok.map((entry) => entry.ms).sort((a, b) => a - b);
  const all = requests.map((entry) => entry.ms).sort((a, b) => a - b);
  const failures: Record<string, number> = {};
  const failed = requests.filter((entry) => !entry.ok);
  for (const entry of failed) {
    const key = entry.failure ?? 'unknown';
    failures[key] = (failures[key] ?? 0) + 1;
  }
  const result: TenantResult = {
    sent: requests.length,
    ok: ok.length,
    successPercent: requests.length === 0 ? 0 : round((ok.length / requests.length) * 100, 1),
    latencyMs:
      good.length === 0
        ? undefined
        : {
            p50: round(percentile(good, 50), 1),
            p99: round(percentile(good, 99), 1),
            max: round(good[good.length - 1] ?? 0, 1),
          },
    allLatencyMs:
      all.length === 0
        ? undefined
        : { p50: round(percentile(all, 50), 1), p99: round(percentile(all, 99), 1) },
    failures,
  };
  const first = failed[0];
  const last = failed[failed.length - 1];
  if (first && last) result.failedBetween = [round(first.at, 1), round(last.at, 1)];
  return result;
}

/**
 * One request every `TENANT_EVERY_MS` for `seconds`, whatever the previous ones are doing (open
 * loop: a slow gateway does not slow the tenant down and so hide its own latency). Resolves
 * once the last request is answered or has timed out.
 */
async function runTenant(
  url: string,
  seconds: number,
  startedAt: number,
): Promise<TenantRequest[]> {
  // Keep-alive connections, as any real client pool: a new one only when none is free.
  const agent = new Agent({ keepAliveTimeout: 4000, connect: { timeout: TENANT_TIMEOUT_MS } });
  const results: TenantRequest[] = [];
  const pending: Promise<void>[] = [];
  const count = Math.round((seconds * 1000) / TENANT_EVERY_MS);
  await new Promise<void>((resolve) => {
    let sent = 0;
    const send = () => {
      const at = (performance.now() - startedAt) / 1000;
      pending.push(
        tenantRequest(url, agent).then(({ ms, failure }) => {
          results.push(
            failure === undefined ? { at, ms, ok: true } : { at, ms, ok: false, failure },
          );
        }),
      );
      sent++;
      if (sent >= count) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(send, TENANT_EVERY_MS);
    send();
  });
  await Promise.all(pending);
  await agent.destroy().catch(() => {});
  return results.sort((a, b) => a.at - b.at);
}

// ---------------------------------------------------------------------------------------------
// Watching the gateway

interface CpuReading {
  at: number;
  seconds: number;
}

/** Samples a process's RSS (VmRSS, and VmHWM: its peak so far) and CPU time until stopped. */
class ProcessWatch {
  readonly rss: [number, number][] = [];
  peakBytes = 0;
  lastRssBytes: number | undefined;
  #firstCpu: CpuReading | undefined;
  #lastCpu: CpuReading | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    private readonly startedAt: number,
    private readonly memory: boolean,
  ) {
    this.sample();
    this.#timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
  }

  sample(): void {
    const at = performance.now();
    const seconds = readCpuSeconds(this.pid);
    if (seconds !== undefined) {
      this.#firstCpu ??= { at, seconds };
      this.#lastCpu = { at, seconds };
    }
    if (!this.memory) return;
    const memory = readMemory(this.pid);
    if (!memory) return;
    // VmHWM is the process's own peak, even between two samples; it goes when the process dies,
    // so the last sample before a death holds the peak up to ~100 ms before it.
    this.peakBytes = Math.max(this.peakBytes, memory.peakBytes, memory.rssBytes);
    this.lastRssBytes = memory.rssBytes;
    const t = round((at - this.startedAt) / 1000, 1);
    const last = this.rss[this.rss.length - 1];
    // One point per half second is enough for the report.
    if (!last || t - last[0] >= 0.5) this.rss.push([t, round(memory.rssBytes / MB, 1)]);
  }

  /** CPU used between the first and last readings, in % of one core. */
  cpuPercent(): number | undefined {
    const first = this.#firstCpu;
    const last = this.#lastCpu;
    if (!first || !last || last.at <= first.at) return undefined;
    return round(((last.seconds - first.seconds) / ((last.at - first.at) / 1000)) * 100, 0);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.sample();
  }
}

/**
 * Counts the gateway's log lines by message (pino JSON: level, `msg`, else the error's type and
 * message; other lines as they are), keeping the first line of each kind as a sample.
 */
function countLogLines(child: Child): LogLines {
  const lines: LogLines = {};
  let partial = '';
  const onData = (chunk: string) => {
    const split = (partial + chunk).split('\n');
    partial = split.pop() ?? '';
    for (const line of split) {
      if (line.trim() === '') continue;
      let key: string;
      try {
        const parsed = JSON.parse(line) as {
          msg?: unknown;
          level?: unknown;
          err?: { type?: unknown; message?: unknown };
        };
        const what =
          typeof parsed.msg === 'string' && parsed.msg !== ''
            ? parsed.msg
            : parsed.err
              ? `${String(parsed.err.type ?? 'error')}: ${String(parsed.err.message ?? '')}`
              : '(no msg)';
        key = `${String(parsed.level ?? '?')}: ${what}`;
      } catch {
        key = line.trim();
      }
      key = key.length > 160 ? `${key.slice(0, 160)}…` : key;
      const known = lines[key];
      if (known) known.count++;
      else if (Object.keys(lines).length < 40) {
        lines[key] = { count: 1, sample: line.length > 600 ? `${line.slice(0, 600)}…` : line };
      }
    }
  };
  child.process.stdout?.on('data', onData);
  child.process.stderr?.on('data', onData);
  return lines;
}

type LogLines = Record<string, { count: number; sample: string }>;

async function health(url: string): Promise<{ status?: number; ms: number; error?: string }> {
  // A connection of its own: can a new client still get in?
  const client = new Client(new URL(url).origin, { connect: { timeout: HEALTH_TIMEOUT_MS } });
  const started = performance.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), HEALTH_TIMEOUT_MS);
  try {
    const answer = await client.request({ method: 'GET', path: '/health', signal: abort.signal });
    await answer.body.dump();
    return { status: answer.statusCode, ms: round(performance.now() - started, 1) };
  } catch (error) {
    return {
      ms: round(performance.now() - started, 1),
      error: abort.signal.aborted ? 'no answer in 5 s' : errorCode(error),
    };
  } finally {
    clearTimeout(timer);
    client.destroy().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Phases

export interface PhaseResult {
  phase: 'quiet' | PhaseName;
  title: string;
  seconds: number;
  gateway: {
    pid: number;
    startupMs: number;
    /** Alive at the end and `GET /health` answered 200. */
    survived: boolean;
    alive: boolean;
    died?: { atSeconds: number; exit: number | string | null; lastOutput: string[] };
    health: { status?: number; ms: number; error?: string };
    /** `GET /health` on a new connection half-way through the phase, attackers running. */
    midPhaseHealth?: { status?: number; ms: number; error?: string };
    peakRssMb: number;
    endRssMb: number | undefined;
    /** [seconds since the attack started, RSS MB], every half second. */
    rss: [number, number][];
    /** The gateway's log lines (LOG_LEVEL=warn) by message, with the first of each kind. */
    logLines: LogLines;
  };
  tenant: TenantResult;
  attackers?: AttackReport[];
  attackerProblem?: string;
  /** Calls the upstream received during the phase. */
  upstream?: UpstreamStats;
  /** % of one core: gateway, upstream, attacker, bench (the tenant), everything else. */
  cpuPercent: Record<string, number>;
  targets: { alive: boolean; peakRss: boolean; tenantSuccess: boolean; tenantP99: boolean };
}

export interface HostileReport {
  mode: 'hostile';
  startedAt: string;
  finishedAt?: string;
  source: { commit: string; dirty: boolean | undefined };
  machine: ReturnType<typeof machine>;
  config: {
    gatewayCommand: string;
    gatewayEnv: Record<string, string>;
    upstreamLatencyMs: number;
    seconds: number;
    quietSeconds: number;
    scale: number;
    phases: string[];
    cores: string;
    tenant: { query: string; everyMs: number; timeoutMs: number };
    sizes: Record<string, unknown>;
    targets: typeof HOSTILE_TARGETS;
  };
  phases: PhaseResult[];
  warnings: string[];
}

interface PhaseContext {
  gatewayOptions: GatewayOptions;
  upstreamUrl: string;
  upstreamPid: number;
  attackerCpu: number | undefined;
  startTimeoutMs: number;
  scale: number;
}

function attackerConfig(phase: PhaseName, url: string, seconds: number, scale: number) {
  const config: AttackerConfig = {
    gatewayUrl: url,
    attacks:
      phase === 'all'
        ? ATTACK_NAMES.filter((name) => !name.startsWith('R03') || name === ALL_R03)
        : [phase as AttackName],
    scale: phase === 'all' ? scale * ALL_SCALE : scale,
    seconds,
    faultyKeys: Object.values(FAULTY_KEYS),
  };
  return config;
}

async function runPhase(
  phase: 'quiet' | PhaseName,
  seconds: number,
  context: PhaseContext,
): Promise<PhaseResult> {
  await settleUpstream(context.upstreamUrl);
  const gateway = await startGateway(context.gatewayOptions);
  const { child } = gateway;
  let attacker: Child | undefined;
  try {
    return await measurePhase(phase, seconds, context, gateway, (started) => {
      attacker = started;
    });
  } finally {
    // Whatever happened, nothing of this phase is left running for the next one.
    await attacker?.stop(2000);
    await child.stop(5000);
  }
}

async function measurePhase(
  phase: 'quiet' | PhaseName,
  seconds: number,
  context: PhaseContext,
  gateway: StartedGateway,
  onAttacker: (attacker: Child) => void,
): Promise<PhaseResult> {
  const { child } = gateway;
  const logLines = countLogLines(child);
  let died: { at: number; exit: number | string | null } | undefined;
  let phaseStart = performance.now();
  child.process.once('exit', (code, signal) => {
    died = { at: performance.now(), exit: code ?? signal };
  });

  // The tenant's warm-up: one request, answered in full, before any attacker starts.
  const warmAgent = new Agent();
  const warmup = await tenantRequest(gateway.url, warmAgent);
  await warmAgent.destroy().catch(() => {});
  if (warmup.failure !== undefined) {
    throw new Error(`the tenant's warm-up request failed: ${warmup.failure}`);
  }

  await resetUpstreamStats(context.upstreamUrl);
  const machineBefore = readMachineCpu();
  const benchBefore = process.cpuUsage();

  let attacker: Child | undefined;
  let attackResult: Promise<AttackReport[] | string> | undefined;
  if (phase !== 'quiet') {
    attacker = new Child({
      name: `attacker (${phase})`,
      entry: 'scripts/bench/attacker.ts',
      // Until the tenant's last request is answered (SIGINT below); this is only a bound.
      args: [
        JSON.stringify(
          attackerConfig(phase, gateway.url, seconds + TENANT_TIMEOUT_MS / 1000 + 5, context.scale),
        ),
      ],
      cpu: context.attackerCpu,
    });
    onAttacker(attacker);
    // Both waits start now: a short attack may print its result right after it is ready.
    attackResult = attacker
      .waitFor(ATTACKER_RESULT, context.startTimeoutMs + seconds * 1000 + 30_000)
      .then(
        ([, json = '[]']) => JSON.parse(json) as AttackReport[],
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
    await attacker.waitFor(ATTACKER_READY, context.startTimeoutMs);
  }
  phaseStart = performance.now();
  const watches = {
    gateway: new ProcessWatch(child.pid, phaseStart, true),
    upstream: new ProcessWatch(context.upstreamPid, phaseStart, false),
    ...(attacker ? { attacker: new ProcessWatch(attacker.pid, phaseStart, false) } : {}),
  };

  let midPhaseHealth: Promise<PhaseResult['gateway']['midPhaseHealth']> =
    Promise.resolve(undefined);
  const midPhase = setTimeout(
    () => {
      midPhaseHealth = health(gateway.url);
    },
    (seconds * 1000) / 2,
  );
  const requests = await runTenant(gateway.url, seconds, phaseStart);
  clearTimeout(midPhase);
  const midPhaseAnswer = await midPhaseHealth;

  let attackers: AttackReport[] | undefined;
  let attackerProblem: string | undefined;
  if (attacker && attackResult) {
    // The attack lasts until the tenant's last request is answered or given up: every request
    // the tenant sent was sent and answered under attack.
    if (attacker.alive) attacker.process.kill('SIGINT');
    const outcome = await attackResult;
    if (typeof outcome === 'string') attackerProblem = outcome.slice(0, 2000);
    else attackers = outcome;
    await attacker.stop(2000);
  }
  for (const watch of Object.values(watches)) watch.stop();
  const machineAfter = readMachineCpu();
  const bench = process.cpuUsage(benchBefore);
  const elapsed = (performance.now() - phaseStart) / 1000;

  const alive = child.alive;
  const healthAnswer = alive ? await health(gateway.url) : { ms: 0, error: 'process exited' };
  let upstream: UpstreamStats | undefined;
  try {
    upstream = await upstreamStats(context.upstreamUrl);
  } catch {
    upstream = undefined;
  }

  const cpuPercent: Record<string, number> = {};
  for (const [name, watch] of Object.entries(watches)) {
    const percent = watch.cpuPercent();
    if (percent !== undefined) cpuPercent[name] = percent;
  }
  cpuPercent['bench'] = round(((bench.user + bench.system) / 1e6 / elapsed) * 100, 0);
  if (machineBefore && machineAfter) {
    const busy = ((machineAfter.busySeconds - machineBefore.busySeconds) / elapsed) * 100;
    const ours = Object.values(cpuPercent).reduce((sum, value) => sum + value, 0);
    cpuPercent['other'] = Math.max(0, round(busy - ours, 0));
  }

  const tenant = summariseTenant(requests);
  const peakRssMb = round(watches.gateway.peakBytes / MB, 1);
  const survived = alive && healthAnswer.status === 200;
  const result: PhaseResult = {
    phase,
    title: phase === 'quiet' ? 'the tenant alone (reference)' : attackTitle(phase, context.scale),
    seconds,
    gateway: {
      pid: child.pid,
      startupMs: round(gateway.firstAnswerMs, 0),
      survived,
      alive,
      health: healthAnswer,
      peakRssMb,
      endRssMb:
        watches.gateway.lastRssBytes === undefined
          ? undefined
          : round(watches.gateway.lastRssBytes / MB, 1),
      rss: watches.gateway.rss,
      logLines,
    },
    tenant,
    cpuPercent,
    targets: {
      alive: survived,
      peakRss: peakRssMb < HOSTILE_TARGETS.peakRssMb,
      tenantSuccess: tenant.successPercent >= HOSTILE_TARGETS.tenantSuccessPercent,
      // A percentile of a handful of answers says nothing: too few, and the target is missed.
      tenantP99:
        tenant.ok >= MIN_OK_FOR_LATENCY &&
        (tenant.latencyMs?.p99 ?? Number.POSITIVE_INFINITY) < HOSTILE_TARGETS.tenantP99Ms,
    },
  };
  if (midPhaseAnswer) result.gateway.midPhaseHealth = midPhaseAnswer;
  if (died) {
    result.gateway.died = {
      atSeconds: round(Math.max(0, died.at - phaseStart) / 1000, 1),
      exit: died.exit,
      lastOutput: child.tail.split('\n').slice(-12),
    };
  }
  if (attackers) result.attackers = attackers;
  if (attackerProblem) result.attackerProblem = attackerProblem;
  if (upstream) result.upstream = upstream;
  return result;
}

// ---------------------------------------------------------------------------------------------
// The report

const mark = (ok: boolean) => (ok ? '✓' : '✗');

function latencyCell(tenant: TenantResult, which: 'p50' | 'p99'): string {
  if (!tenant.latencyMs || tenant.ok < MIN_OK_FOR_LATENCY) return `n/a (${tenant.ok} ok)`;
  return `${tenant.latencyMs[which].toFixed(0)} ms`;
}

function cells(result: PhaseResult): string[] {
  const { gateway, tenant, targets } = result;
  const state = gateway.died
    ? `DIED at ${gateway.died.atSeconds} s`
    : gateway.survived
      ? 'alive'
      : `alive, /health ${gateway.health.status ?? gateway.health.error}`;
  const cpu = result.cpuPercent;
  return [
    result.phase,
    `${state} ${mark(targets.alive)}`,
    `${tenant.successPercent.toFixed(1)} % ${mark(targets.tenantSuccess)}`,
    latencyCell(tenant, 'p50'),
    `${latencyCell(tenant, 'p99')} ${mark(targets.tenantP99)}`,
    `${gateway.peakRssMb.toFixed(0)} MB ${mark(targets.peakRss)}`,
    `${cpu['gateway'] ?? '-'}/${cpu['upstream'] ?? '-'}/${cpu['attacker'] ?? '-'}/${cpu['bench'] ?? '-'}/${cpu['other'] ?? '-'}`,
  ];
}

export function formatHostileTable(results: readonly PhaseResult[]): string {
  const header = [
    'phase',
    'gateway (alive, /health 200)',
    `tenant ok (≥ ${HOSTILE_TARGETS.tenantSuccessPercent} %)`,
    'p50',
    `p99 (< ${HOSTILE_TARGETS.tenantP99Ms} ms)`,
    `peak RSS (< ${HOSTILE_TARGETS.peakRssMb} MB)`,
    'CPU % gw/up/atk/bench/other',
  ];
  const rows = [header, ...results.map(cells)];
  const widths = header.map((_, column) =>
    Math.max(...rows.map((row) => [...(row[column] ?? '')].length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, index) => {
        const fill = ' '.repeat(Math.max(0, (widths[index] ?? 0) - [...cell].length));
        return index === 0 ? cell + fill : fill + cell;
      })
      .join('  ');
  return [
    line(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

function spreadText(spread: { median: number; max: number } | undefined, words: string): string {
  if (!spread) return '';
  return ` ${words} ${(spread.median / 1000).toFixed(1)} s median, ${(spread.max / 1000).toFixed(1)} s max`;
}

function sizeText(bytes: number): string {
  if (bytes >= MB) return `${(bytes / MB).toFixed(1)} MB`;
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} bytes`;
}

function top(counts: Record<string, number>, limit = 6): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, count]) => `${key} × ${count}`)
    .join(', ');
}

/** What happened in each phase, in words: the attackers' side, the tenant's failures, the logs. */
export function formatHostileDetails(results: readonly PhaseResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    const { gateway, tenant } = result;
    lines.push(`${result.phase}: ${result.title} (${result.seconds} s)`);
    if (gateway.died) {
      lines.push(
        `  gateway DIED ${gateway.died.atSeconds} s into the attack (exit ${gateway.died.exit}); its last output:`,
        ...gateway.died.lastOutput
          .filter((line) => line.trim() !== '')
          .slice(-4)
          .map((line) => `    | ${line.slice(0, 200)}`),
      );
    } else {
      lines.push(
        `  gateway: /health at the end ${gateway.health.status ?? gateway.health.error} in ${gateway.health.ms} ms; RSS at the end ${gateway.endRssMb ?? 'n/a'} MB`,
      );
    }
    if (gateway.midPhaseHealth) {
      const probe = gateway.midPhaseHealth;
      lines.push(
        `  mid-phase GET /health on a new connection: ${probe.status ?? probe.error} in ${probe.ms} ms`,
      );
    }
    lines.push(
      `  tenant: ${tenant.ok}/${tenant.sent} ok` +
        (tenant.failedBetween
          ? `; failures between ${tenant.failedBetween[0]} and ${tenant.failedBetween[1]} s: ${top(tenant.failures)}`
          : '') +
        (tenant.allLatencyMs
          ? `; every request, failures included: p50 ${tenant.allLatencyMs.p50} ms, p99 ${tenant.allLatencyMs.p99} ms`
          : ''),
    );
    for (const attack of result.attackers ?? []) {
      const { connections } = attack;
      const parts = [
        `${attack.requests} requests`,
        Object.keys(attack.byStatus).length > 0 ? `answers ${top(attack.byStatus)}` : '',
        Object.keys(attack.graphqlCodes).length > 0 ? `codes ${top(attack.graphqlCodes, 4)}` : '',
        Object.keys(attack.errors).length > 0 ? `failures ${top(attack.errors, 4)}` : '',
        `${sizeText(attack.bytesSent)} sent`,
        `${connections.opened} connections opened (peak ${connections.peakOpen} open): ` +
          `${connections.closedByGateway} closed by the gateway${spreadText(connections.lifetimeMs, 'after')}, ` +
          `${connections.openAtEnd} still open at the end${spreadText(connections.openAtEndAgeMs, 'open for')}`,
      ].filter((part) => part !== '');
      lines.push(`  attacker ${attack.attack}: ${parts.join('; ')}`);
      for (const note of attack.notes.slice(0, 4)) lines.push(`    ${note}`);
    }
    if (result.attackerProblem) {
      lines.push(`  attacker problem: ${result.attackerProblem.split('\n')[0]}`);
    }
    if (result.upstream) {
      lines.push(
        `  upstream calls: ${result.upstream.requests} (${top(result.upstream.byStatus ?? {})})`,
      );
    }
    if (Object.keys(gateway.logLines).length > 0) {
      const counts = Object.fromEntries(
        Object.entries(gateway.logLines).map(([key, { count }]) => [key, count]),
      );
      lines.push(`  gateway log lines: ${top(counts, 4)}`);
    }
  }
  return lines.join('\n');
}

function writeHostileReport(report: HostileReport): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `hostile-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(join(RESULTS_DIR, 'hostile-latest.json'), text);
  return file;
}

// ---------------------------------------------------------------------------------------------

/** The whole `--hostile` run. Returns the exit code: 0 when every phase met every target. */
export async function hostileBench(
  options: BenchOptions,
  buildGateway: () => void,
): Promise<number> {
  const startedAt = new Date().toISOString();
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    log(`\n!!! ${message}\n`);
  };

  let cpu: { gateway?: number; others?: number } = {};
  let cores =
    'not pinned: the gateway, the upstream, the attacker process and the bench (tenant) share the cores as the OS schedules them';
  if (options.pin) {
    if (!tasksetAvailable()) warn('--pin asked, but taskset is not available: not pinned.');
    else if (machine().cpuCount < 2) warn('--pin needs at least 2 cores: not pinned.');
    else {
      pinSelf(1);
      cpu = { gateway: 0, others: 1 };
      cores =
        'gateway on core 0; the upstream, the attacker process and the bench (tenant) on core 1';
    }
  }

  const built = options.gatewayBuild === 'built';
  const nodeEnv = built ? 'production' : process.env['NODE_ENV'];
  const nodeFlags = options.gatewayNodeFlags ?? (built ? productionNodeFlags() : []);
  const flagText = nodeFlags.map((flag) => `${flag} `).join('');
  const gatewayCommand = built
    ? `NODE_ENV=production node ${flagText}dist/main.mjs (npm run build; npm run start:prod)`
    : `node ${flagText}--import tsx src/main.ts (npm start)`;
  if (built) buildGateway();

  const phases: ('quiet' | PhaseName)[] = ['quiet', ...options.hostileAttacks];
  const report: HostileReport = {
    mode: 'hostile',
    startedAt,
    source: source(),
    machine: machine(),
    config: {
      gatewayCommand,
      gatewayEnv: {
        FEATUREBASE_API_URL: '(the upstream child)',
        LOG_LEVEL: options.logLevel,
        HOST: '127.0.0.1',
        PORT: '0',
        METRICS_PORT: '0',
        NODE_ENV: nodeEnv ?? '(unset)',
      },
      upstreamLatencyMs: options.hostileLatencyMs,
      seconds: options.hostileSeconds,
      quietSeconds: options.hostileQuietSeconds,
      scale: options.hostileScale,
      phases,
      cores,
      tenant: { query: TENANT_QUERY, everyMs: TENANT_EVERY_MS, timeoutMs: TENANT_TIMEOUT_MS },
      sizes: { R01, R02, R03, R04, R06, R07, ALL_SCALE, ALL_R03 },
      targets: HOSTILE_TARGETS,
    },
    phases: [],
    warnings,
  };
  const host = report.machine;
  log(
    [
      `Featurebase gateway hostile bench: ${host.node}, ${host.cpuModel} × ${host.cpuCount}, code ${report.source.commit}${report.source.dirty ? ' + uncommitted changes in src/ or schema/' : ''}`,
      `  gateway: ${gatewayCommand}, LOG_LEVEL=${options.logLevel}, every limit at its default; a fresh process per phase`,
      `  upstream: the simulator, every call answered after ${options.hostileLatencyMs} ms, rate limit out of reach`,
      `  tenant: one list query every ${TENANT_EVERY_MS} ms (${TENANT_TIMEOUT_MS / 1000} s timeout), in this process; attackers: a child process per phase`,
      `  cores: ${cores}`,
      `  phases: quiet ${options.hostileQuietSeconds} s, then ${options.hostileAttacks.join(', ')} (${options.hostileSeconds} s each${options.hostileScale === 1 ? '' : `, sizes × ${options.hostileScale}`})`,
      '',
    ].join('\n'),
  );

  const upstream = await startUpstream(
    {
      tenants: 1,
      latencyMs: options.hostileLatencyMs,
      faultyKeys: [
        { key: FAULTY_KEYS.redirect, answer: 'redirect' },
        { key: FAULTY_KEYS.truncated, answer: 'truncated' },
      ],
    },
    cpu.others,
    options.startTimeoutMs,
  );
  log(`upstream  ${upstream.url} (pid ${upstream.child.pid})`);

  const context: PhaseContext = {
    gatewayOptions: {
      nodeFlags,
      upstreamUrl: upstream.url,
      logLevel: options.logLevel,
      cpu: cpu.gateway,
      timeoutMs: options.startTimeoutMs,
      built,
      nodeEnv,
    },
    upstreamUrl: upstream.url,
    upstreamPid: upstream.child.pid,
    attackerCpu: cpu.others,
    startTimeoutMs: options.startTimeoutMs,
    scale: options.hostileScale,
  };

  for (const phase of phases) {
    const seconds = phase === 'quiet' ? options.hostileQuietSeconds : options.hostileSeconds;
    log(
      `${phase}: ${phase === 'quiet' ? 'the tenant alone' : attackTitle(phase, options.hostileScale)} (${seconds} s)…`,
    );
    try {
      const result = await runPhase(phase, seconds, context);
      report.phases.push(result);
      log(`${formatHostileTable([result]).split('\n')[2]}`);
    } catch (error) {
      // A phase that could not run (the gateway did not start, the warm-up failed) is reported
      // and the next one runs: the bench never stops half-way for one attack.
      warn(`(${phase}) NOT MEASURED: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  await upstream.child.stop();
  await stopAll();

  report.finishedAt = new Date().toISOString();
  const file = writeHostileReport(report);
  const lines = [
    '',
    formatHostileTable(report.phases),
    '',
    `Targets per phase: gateway alive with GET /health 200 at the end, peak RSS < ${HOSTILE_TARGETS.peakRssMb} MB, tenant success ≥ ${HOSTILE_TARGETS.tenantSuccessPercent} %, tenant p99 < ${HOSTILE_TARGETS.tenantP99Ms} ms (✓ met, ✗ missed).`,
    `Tenant: ${TENANT_QUERY} every ${TENANT_EVERY_MS} ms with a valid key; success = HTTP 200 with data and no errors within ${TENANT_TIMEOUT_MS / 1000} s; p50/p99 over the successful requests (n/a under ${MIN_OK_FOR_LATENCY}, and then the p99 target counts as missed). The attackers run until the tenant's last request is answered.`,
    'Peak RSS: the gateway process (a fresh one per phase), VmHWM sampled every 100 ms from /proc; for a gateway that died, the peak up to its last sample.',
    `CPU % = share of one core during the phase (2 cores = 200 %): gateway / upstream / attacker process / bench (tenant) / everything else on the machine. ${cores}.`,
    '',
    formatHostileDetails(report.phases),
  ];
  if (warnings.length > 0) lines.push('', 'WARNINGS:', ...warnings.map((w) => `  !!! ${w}`));
  lines.push('', `Results: ${file}`, '');
  process.stdout.write(lines.join('\n'));
  const allMet =
    warnings.length === 0 &&
    report.phases.every((phase) => Object.values(phase.targets).every(Boolean));
  return allMet ? 0 : 1;
}
