/**
 * The bench's settings: command-line flags first, then `BENCH_*` environment variables, then
 * defaults. `npm run bench -- --help` prints them.
 */

import { parseArgs } from 'node:util';
import { PHASE_NAMES, type PhaseName } from './hostile-attacks.ts';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios.ts';

export interface BenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  scenarios: ScenarioName[];
  /** Baseline/gateway pairs measured per scenario; the median is reported. */
  rounds: number;
  /** Tenants (API keys) the requests rotate over; at least `connections` avoids shared rotations. */
  tenants: number;
  /** Pin the target to core 0 and the upstream and autocannon to core 1 (needs `taskset`). */
  pin: boolean;
  /** Seconds of saturated scenario (a) for the memory soak; 0: no soak, run the scenarios. */
  soakSeconds: number;
  /** The gateway's LOG_LEVEL. */
  logLevel: string;
  /** Profile the gateway with `node --cpu-prof` and summarise the top self-time functions. */
  cpuProf: boolean;
  /** Extra gateway start-ups timed before the bench (each in a fresh process). */
  startupRuns: number;
  /** Longest wait for a process to be ready, in ms. */
  startTimeoutMs: number;
  /** Skip measuring the upstream's own capacity per scenario. */
  skipUpstream: boolean;
  /** Requests sent one by one to count upstream calls per request exactly. */
  callProbeRequests: number;
  /**
   * `built`: `npm run build`'s dist/main.mjs under plain node with NODE_ENV=production, as
   * `npm run start:prod` runs it; `tsx`: src/main.ts through the TypeScript loader, as `npm start`.
   */
  gatewayBuild: 'built' | 'tsx';
  /** Node flags for the gateway; `undefined`: those of `npm run start:prod` (built) or none. */
  gatewayNodeFlags: string[] | undefined;
  /** Hostile mode (scripts/bench/hostile.ts) instead of the scenarios. */
  hostile: boolean;
  /** Scale-out mode (scripts/bench/scale-out.ts): rotations through 1 and 3 instances. */
  scaleOut: boolean;
  /** Seconds per attack phase. */
  hostileSeconds: number;
  /** Seconds of the quiet phase (the tenant alone) that comes first. */
  hostileQuietSeconds: number;
  /** The attack phases, in order, after the quiet one. */
  hostileAttacks: PhaseName[];
  /** The upstream's answer delay, in ms. */
  hostileLatencyMs: number;
  /** Multiplies every attack's connection and request counts. */
  hostileScale: number;
}

export const USAGE = `npm run bench -- [options]

  --duration <s>       measured seconds per target and scenario   (BENCH_DURATION, 10)
  --warmup <s>         warm-up seconds before each measurement     (BENCH_WARMUP, 3)
  --connections <n>    autocannon connections                      (BENCH_CONNECTIONS, 20)
  --scenarios <list>   a,b,c,d,e,f (see below)                     (BENCH_SCENARIOS, a,b,c,d,e,f)
  --rounds <n>         baseline/gateway pairs per scenario, order alternating;
                       the median is reported                      (BENCH_ROUNDS, 1)
  --tenants <n>        API keys the requests rotate over           (BENCH_TENANTS, = connections)
  --pin                gateway/baseline on core 0, upstream and autocannon on core 1
                       (taskset, Linux only)                       (BENCH_PIN=1)
  --soak <s>           memory soak instead of the scenarios: saturate (a) for <s> seconds,
                       sample RSS every second, report the slope of the last 60 s
  --log-level <level>  the gateway's LOG_LEVEL                     (BENCH_LOG_LEVEL, warn)
  --cpu-prof           run the gateway under node --cpu-prof and summarise the profile
  --startup-runs <n>   extra timed gateway start-ups               (BENCH_STARTUP_RUNS, 3)
  --start-timeout <ms> longest wait for a process to be ready      (BENCH_START_TIMEOUT, 15000)
  --skip-upstream      do not measure the upstream's own capacity
  --gateway <how>      built: dist/main.mjs, NODE_ENV=production (npm run start:prod);
                       tsx: src/main.ts through tsx (npm start)    (BENCH_GATEWAY, built)
  --node-flags="<f…>" the gateway's Node flags, e.g. heap sizes; "" for none
                       (BENCH_NODE_FLAGS, built: those of npm run start:prod)
  --help

Scale-out (BENCHMARKS.md, "Several instances"):
  --scale-out          rotations (a) through one gateway without Redis, then through three
                       sharing a redis-server on a free port (Debian's package): req/s, p50/p99
                       and upstream calls per rotation; JSON in bench-results/scale-out-*.json

Hostile load (BENCHMARKS.md, "Hostile load"; attack sizes: scripts/bench/hostile-attacks.ts):
  --hostile            attackers beside one well-behaved tenant, instead of the scenarios: a
                       quiet phase (the tenant alone), then each attack in its own phase
                       against a fresh gateway (dist/main.mjs as npm run start:prod runs it);
                       prints per phase the tenant's success rate and p50/p99, the gateway's
                       peak RSS and whether it survived, against the targets (exit code 1
                       when a phase misses one); JSON in bench-results/hostile-*.json
  --hostile-seconds <s>        seconds per attack phase     (BENCH_HOSTILE_SECONDS, 20)
  --hostile-quiet-seconds <s>  seconds of the quiet phase   (BENCH_HOSTILE_QUIET_SECONDS, 5)
  --hostile-attacks <list>     the phases after the quiet one, in this order
                               (BENCH_HOSTILE_ATTACKS, ${PHASE_NAMES.join(',')})
  --hostile-latency <ms>       the upstream answers every call after this
                               (BENCH_HOSTILE_LATENCY, 50)
  --hostile-scale <f>          multiplies every attack's connections and requests, e.g. 0.5
                               on a machine that cannot generate them all (BENCH_HOSTILE_SCALE, 1)
  Phases: R01 parse-cache flood; R02 large variables; R03a/R03b invalid keys (a new key per
  request / one per connection); R04 refused requests streaming a chunked body; R06 idle
  connections and slowloris; R07 one key whose upstream calls fail; all: every attack at once
  (R03 as R03a), each at ALL_SCALE of its size (1: full size).
  Cores: the gateway, the upstream, one attacker process per phase (all of its attacks in one
  event loop) and this process (the tenant, /proc sampling) share the cores as the OS schedules
  them (--pin: the gateway on core 0, the others on core 1). What the attackers use is taken
  from the gateway: the table shows every process's CPU share, and what else ran meanwhile.

Scenarios: (a) refreshWebhookSecret, every field; (b) webhook(id), a few fields;
(c) webhooks(first: 10) with health; (d) _entities for 10 webhooks; (e) (c) polled by every
connection with one key (a dashboard in many tabs): identical reads share upstream calls;
(f) (a) with its id written into the query text (a string literal, so the text is kept in no
cache): when (a) and (f) both run, the summary prints (f) ÷ (a), gateway req/s in the same run.
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseOptions(argv: readonly string[], env = process.env): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      scenarios: { type: 'string' },
      rounds: { type: 'string' },
      tenants: { type: 'string' },
      pin: { type: 'boolean' },
      soak: { type: 'string' },
      'log-level': { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      'startup-runs': { type: 'string' },
      'start-timeout': { type: 'string' },
      'skip-upstream': { type: 'boolean' },
      gateway: { type: 'string' },
      'node-flags': { type: 'string' },
      hostile: { type: 'boolean' },
      'scale-out': { type: 'boolean' },
      'hostile-seconds': { type: 'string' },
      'hostile-quiet-seconds': { type: 'string' },
      'hostile-attacks': { type: 'string' },
      'hostile-latency': { type: 'string' },
      'hostile-scale': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return 'help';

  const connections = whole('connections', values.connections ?? env['BENCH_CONNECTIONS'], 20, 1);
  const scenarioList = (values.scenarios ?? env['BENCH_SCENARIOS'] ?? SCENARIO_NAMES.join(','))
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const scenarios = scenarioList.map((name) => {
    const known = SCENARIO_NAMES.find((candidate) => candidate === name);
    if (!known) throw new UsageError(`Unknown scenario "${name}": use ${SCENARIO_NAMES.join(',')}`);
    return known;
  });
  const hostile = values.hostile ?? false;
  const soakSeconds = whole('soak', values.soak, 0, 0);
  const cpuProf = values['cpu-prof'] ?? false;
  if (hostile && (soakSeconds > 0 || cpuProf)) {
    throw new UsageError(
      '--hostile is a mode of its own: it cannot be combined with --soak or --cpu-prof',
    );
  }
  return {
    durationSeconds: whole('duration', values.duration ?? env['BENCH_DURATION'], 10, 1),
    warmupSeconds: whole('warmup', values.warmup ?? env['BENCH_WARMUP'], 3, 0),
    connections,
    scenarios,
    rounds: whole('rounds', values.rounds ?? env['BENCH_ROUNDS'], 1, 1),
    tenants: whole('tenants', values.tenants ?? env['BENCH_TENANTS'], connections, 1),
    pin: values.pin ?? env['BENCH_PIN'] === '1',
    soakSeconds,
    logLevel: values['log-level'] ?? env['BENCH_LOG_LEVEL'] ?? 'warn',
    cpuProf,
    startupRuns: whole('startup-runs', values['startup-runs'] ?? env['BENCH_STARTUP_RUNS'], 3, 0),
    startTimeoutMs: whole(
      'start-timeout',
      values['start-timeout'] ?? env['BENCH_START_TIMEOUT'],
      15_000,
      100,
    ),
    skipUpstream: values['skip-upstream'] ?? false,
    callProbeRequests: 20,
    gatewayBuild: gatewayBuild(values.gateway ?? env['BENCH_GATEWAY'] ?? 'built'),
    gatewayNodeFlags: nodeFlags(values['node-flags'] ?? env['BENCH_NODE_FLAGS']),
    hostile,
    scaleOut: values['scale-out'] ?? false,
    hostileSeconds: whole(
      'hostile-seconds',
      values['hostile-seconds'] ?? env['BENCH_HOSTILE_SECONDS'],
      20,
      1,
    ),
    hostileQuietSeconds: whole(
      'hostile-quiet-seconds',
      values['hostile-quiet-seconds'] ?? env['BENCH_HOSTILE_QUIET_SECONDS'],
      5,
      1,
    ),
    hostileAttacks: phaseList(values['hostile-attacks'] ?? env['BENCH_HOSTILE_ATTACKS']),
    hostileLatencyMs: whole(
      'hostile-latency',
      values['hostile-latency'] ?? env['BENCH_HOSTILE_LATENCY'],
      50,
      0,
    ),
    hostileScale: positive(
      'hostile-scale',
      values['hostile-scale'] ?? env['BENCH_HOSTILE_SCALE'],
      1,
    ),
  };
}

/** `--hostile-attacks`: phase names in any case, in the order given, each once. */
function phaseList(raw: string | undefined): PhaseName[] {
  if (raw === undefined || raw.trim() === '') return [...PHASE_NAMES];
  const phases: PhaseName[] = [];
  for (const word of raw.split(',')) {
    const name = word.trim().toLowerCase();
    if (name === '') continue;
    const known = PHASE_NAMES.find((candidate) => candidate.toLowerCase() === name);
    if (!known) {
      throw new UsageError(`Unknown attack "${word.trim()}": use ${PHASE_NAMES.join(',')}`);
    }
    if (!phases.includes(known)) phases.push(known);
  }
  if (phases.length === 0) throw new UsageError('--hostile-attacks names no attack');
  return phases;
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 100) {
    throw new UsageError(`--${name} must be a number above 0 (at most 100), got "${raw}"`);
  }
  return value;
}

function whole(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${raw}"`);
  }
  return value;
}

function nodeFlags(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const flags = raw.split(/\s+/).filter((flag) => flag.length > 0);
  const bad = flags.find((flag) => !/^--[a-z][a-z0-9-]*(=\S+)?$/.test(flag));
  if (bad) throw new UsageError(`--node-flags takes --flag or --flag=value words, got "${bad}"`);
  return flags;
}

function gatewayBuild(raw: string): 'built' | 'tsx' {
  if (raw === 'built' || raw === 'tsx') return raw;
  throw new UsageError(`--gateway must be built or tsx, got "${raw}"`);
}
