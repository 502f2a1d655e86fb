import { execFileSync } from 'node:child_process';
/**
 * `npm run bench`: the gateway side by side with a raw pass-through proxy, on loopback, against
 * the same fast upstream (issue 5). See `USAGE` in options.ts for the flags.
 *
 * Processes (each its own event loop):
 *   upstream   scripts/bench/upstream.ts        the Featurebase simulator, rate limit out of reach,
 *                                               request log off, a request counter around it
 *   baseline   scripts/bench/baseline-proxy.ts  node:http + undici keep-alive Agent, nothing else
 *   gateway    src/main.ts                      as in production: default limits, breaker,
 *                                               bulkhead, retry budget, rate-limit gate; LOG_LEVEL=warn
 *   bench      this process                     autocannon, /proc sampling, the report
 *
 * Pinning (`--pin`, Linux with taskset): the measured server (gateway or baseline; only one is
 * loaded at a time) gets core 0 to itself; the upstream and autocannon share core 1. By hand:
 * `taskset -c 0 node --import tsx src/main.ts` and `taskset -a -pc 1 <pid>`.
 *
 * `--hostile` is another mode: attackers beside one tenant, in scripts/bench/hostile.ts.
 *
 * For each scenario: the upstream's own capacity for the REST call behind it, then the
 * baseline, then the gateway; each first checked with one full answer, then warmed up, then
 * measured for the same time with the same connections.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { slots as allSlots } from './fixtures.ts';
import { hostileBench } from './hostile.ts';
import { gatewayRatio, judge, median, medianRun } from './judge.ts';
import {
  checkOnce,
  drive,
  type LoadOptions,
  type LoadResult,
  round,
  upstreamCallsPerRequest,
  type Watched,
} from './load.ts';
import { type BenchOptions, parseOptions, USAGE, UsageError } from './options.ts';
import {
  installCleanupHandlers,
  pinSelf,
  REPO_ROOT,
  stopAll,
  tasksetAvailable,
} from './processes.ts';
import { productionNodeFlags } from './production-flags.ts';
import { summariseProfile } from './profile.ts';
import {
  type BenchReport,
  formatRow,
  formatSummary,
  machine,
  RESULTS_DIR,
  type ScenarioResult,
  type ScenarioRound,
  source,
  writeReport,
} from './report.ts';
import { scaleOutBench } from './scale-out.ts';
import { SCENARIOS, type Target } from './scenarios.ts';
import { soak } from './soak.ts';
import { type StartedGateway, startBaseline, startGateway, startUpstream } from './targets.ts';

/** Upstream pool of the baseline: the gateway's default (`UPSTREAM_MAX_CONCURRENCY`). */
const BASELINE_UPSTREAM_CONNECTIONS = 32;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
      log(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options === 'help') {
    log(USAGE);
    return 0;
  }
  installCleanupHandlers();
  if (options.hostile) return hostileBench(options, buildGateway);
  if (options.scaleOut) return scaleOutBench(options, buildGateway);

  const startedAt = new Date().toISOString();
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    log(`\n!!! ${message}\n`);
  };
  const notes: string[] = [];
  const note = (message: string) => {
    notes.push(message);
  };

  // Core layout: see the header comment.
  let cpuFor: { target: number | undefined; upstream: number | undefined } = {
    target: undefined,
    upstream: undefined,
  };
  let pinLayout = 'not pinned (the OS scheduler places every process)';
  if (options.pin) {
    if (!tasksetAvailable()) warn('--pin asked, but taskset is not available: not pinned.');
    else if (machine().cpuCount < 2) warn('--pin needs at least 2 cores: not pinned.');
    else {
      pinSelf(1);
      cpuFor = { target: 0, upstream: 1 };
      pinLayout = 'gateway/baseline on core 0; upstream and autocannon (this process) on core 1';
    }
  }

  const built = options.gatewayBuild === 'built';
  // As `npm run start:prod` runs it (NODE_ENV=production: graphql-js without its development
  // checks), or as `npm start` does (NODE_ENV inherited from the shell).
  const nodeEnv = built ? 'production' : process.env['NODE_ENV'];
  const gatewayNodeFlags = options.gatewayNodeFlags ?? (built ? productionNodeFlags() : []);
  const flagText = gatewayNodeFlags.map((flag) => `${flag} `).join('');
  const gatewayCommand = built
    ? `NODE_ENV=production node ${flagText}dist/main.mjs (npm run build; npm run start:prod)`
    : `node ${flagText}--import tsx src/main.ts (npm start)`;
  if (built) buildGateway();
  const gatewayEnv = {
    FEATUREBASE_API_URL: '(the upstream child)',
    LOG_LEVEL: options.logLevel,
    HOST: '127.0.0.1',
    PORT: '0',
    METRICS_PORT: '0',
    NODE_ENV: nodeEnv ?? '(unset)',
  };
  const report: BenchReport = {
    startedAt,
    source: source(),
    machine: machine(),
    config: { ...options, pinLayout, gatewayEnv },
    scenarios: [],
    warnings,
    notes,
  };
  const { machine: host } = report;
  log(
    [
      `Featurebase gateway bench: ${host.node}, ${host.cpuModel} × ${host.cpuCount}, ${host.platform}, code ${report.source.commit}${report.source.dirty ? ' + uncommitted changes in src/ or schema/' : ''}`,
      `  ${options.connections} connections, ${options.warmupSeconds} s warm-up, ${options.durationSeconds} s measured, ${options.tenants} tenants`,
      `  pinning: ${pinLayout}${options.pin ? '' : ' (--pin: gateway on core 0, upstream + autocannon on core 1)'}`,
      `  gateway: ${gatewayCommand}, LOG_LEVEL=${options.logLevel}, NODE_ENV=${nodeEnv ?? '(unset)'}, every limit and protection at its default`,
      '',
    ].join('\n'),
  );

  const upstream = await startUpstream(
    { tenants: options.tenants },
    cpuFor.upstream,
    options.startTimeoutMs,
  );
  log(`upstream  ${upstream.url} (pid ${upstream.child.pid})`);
  const baseline = await startBaseline(
    { upstreamUrl: upstream.url, connections: BASELINE_UPSTREAM_CONNECTIONS },
    cpuFor.target,
    options.startTimeoutMs,
  );
  log(`baseline  ${baseline.url} (pid ${baseline.child.pid})`);

  // Start-up: fresh processes, each timed from spawn to its first correct GraphQL answer.
  const gatewayOptions = {
    nodeFlags: gatewayNodeFlags,
    upstreamUrl: upstream.url,
    logLevel: options.logLevel,
    cpu: cpuFor.target,
    timeoutMs: options.startTimeoutMs,
    built,
    nodeEnv,
  };
  const startups: StartedGateway[] = [];
  for (let run = 0; run < options.startupRuns; run++) {
    const started = await startGateway(gatewayOptions);
    startups.push(started);
    await started.child.stop();
  }
  const profileDir = join(RESULTS_DIR, 'profiles', startedAt.replace(/[:.]/g, '-'));
  if (options.cpuProf) mkdirSync(profileDir, { recursive: true });
  const gateway = await startGateway({
    ...gatewayOptions,
    nodeFlags: [
      ...gatewayNodeFlags,
      ...(options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ],
  });
  if (!options.cpuProf) startups.push(gateway);
  const firstAnswerMs = startups.map((started) => round(started.firstAnswerMs, 0));
  report.startup = {
    command: gatewayCommand,
    firstAnswerMs,
    listeningMs: startups.map((started) => round(started.listeningMs, 0)),
    medianFirstAnswerMs: median(firstAnswerMs),
  };
  log(
    `gateway   ${gateway.url} (pid ${gateway.child.pid}); start-up to first answer: ${firstAnswerMs.join(', ')} ms\n`,
  );

  const slots = allSlots(options.tenants);
  const firstSlot = slots[0];
  if (!firstSlot) throw new Error('no slots');
  const load: LoadOptions = {
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
  };
  const upstreamProcess: Watched = { name: 'upstream', pid: upstream.child.pid };
  const urls: Record<Target, string> = {
    upstream: upstream.url,
    baseline: baseline.url,
    gateway: gateway.url,
  };
  const processes: Record<Target, Watched> = {
    upstream: upstreamProcess,
    baseline: { name: 'baseline', pid: baseline.child.pid },
    gateway: { name: 'gateway', pid: gateway.child.pid },
  };

  if (options.soakSeconds > 0) {
    log(`soak: scenario (a) on the gateway for ${options.soakSeconds} s, RSS every second…`);
    const problem = await checkOnce(gateway.url, SCENARIOS.a, 'gateway', firstSlot);
    if (problem) throw new Error(`The gateway's answer to (a) is wrong: ${problem}`);
    report.soak = await soak({
      ...load,
      durationSeconds: options.soakSeconds,
      scenario: SCENARIOS.a,
      target: 'gateway',
      url: gateway.url,
      slots,
      targetProcess: processes.gateway,
      others: [upstreamProcess],
      upstreamUrl: upstream.url,
    });
    const { soak: result } = report;
    if (result.load.errors.total > 0) {
      warn(
        `THE SOAK HAD ${result.load.errors.total} ERRORS (${JSON.stringify(result.load.errors)}).`,
      );
    }
    log(
      `soak: ${result.load.requestsPerSecond} req/s, peak RSS ${result.peakRssMb} MB, ` +
        `last ${result.windowSeconds} s: ${result.windowStartRssMb} → ${result.endRssMb} MB, ` +
        `slope ${result.slopeMbPerMinute} MB/min`,
    );
  } else {
    for (const name of options.scenarios) {
      const scenario = SCENARIOS[name];
      const result: ScenarioResult = {
        scenario: name,
        title: scenario.title,
        targets: {},
        rounds: [],
      };
      report.scenarios.push(result);

      // Each target answers once in full before anything is measured: a fast wrong answer is
      // not a result. The upstream calls per request are counted on the side, exactly.
      const valid: Target[] = [];
      for (const target of ['upstream', 'baseline', 'gateway'] as const) {
        if (target === 'upstream' && options.skipUpstream) continue;
        const problem = await checkOnce(urls[target], scenario, target, firstSlot);
        if (problem) {
          result.targets[target] = { invalid: problem };
          warn(`(${name}) ${target}: WRONG ANSWER, NOT MEASURED: ${problem}`);
          continue;
        }
        valid.push(target);
        if (target !== 'upstream') {
          const calls = await upstreamCallsPerRequest(
            urls[target],
            upstream.url,
            scenario,
            target,
            slots,
            options.callProbeRequests,
          );
          result.upstreamCallsPerRequest = { ...result.upstreamCallsPerRequest, [target]: calls };
        }
      }

      const measure = async (target: Target): Promise<LoadResult> => {
        const measured = await drive({
          ...load,
          scenario,
          target,
          url: urls[target],
          slots,
          targetProcess: processes[target],
          others: target === 'upstream' ? [] : [upstreamProcess],
          upstreamUrl: upstream.url,
        });
        if (measured.errors.total > 0) {
          warn(
            `(${name}) ${target}: THE RUN HAD ${measured.errors.total} ERRORS ${JSON.stringify(measured.errors)}: its numbers are not a result.`,
          );
        }
        if (measured.upstreamErrors) {
          warn(`(${name}) ${target}: the upstream answered ${measured.upstreamErrors} errors.`);
        }
        return measured;
      };

      if (valid.includes('upstream')) {
        result.targets.upstream = { load: await measure('upstream') };
        log(formatRow(result, 'upstream'));
      }
      // Rounds alternate the order (baseline first, then gateway first…), so a slow drift of
      // the machine does not always favour the same side; each round gives one paired ratio.
      const servers = (['baseline', 'gateway'] as const).filter((target) => valid.includes(target));
      for (let round = 0; round < options.rounds; round++) {
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        const measured: ScenarioRound = {};
        for (const target of order) {
          measured[target] = await measure(target);
          const label = options.rounds > 1 ? ` (round ${round + 1}/${options.rounds})` : '';
          log(
            `${formatRow({ ...result, targets: { [target]: { load: measured[target] } } }, target)}${label}`,
          );
        }
        result.rounds.push(measured);
      }
      for (const target of servers) {
        const runs = result.rounds.flatMap((round) => round[target] ?? []);
        const representative = medianRun(runs);
        if (representative) result.targets[target] = { load: representative };
      }
      judge(result, cpuFor.target !== undefined, note);
    }
    const literals = gatewayRatio(report.scenarios, 'f', 'a');
    if (literals) report.gatewayRatios = [literals];
  }

  await gateway.child.stop(15_000);
  if (options.cpuProf) {
    const summary = summariseProfile(profileDir);
    if (summary) report.profile = summary;
    else warn(`No .cpuprofile was written in ${profileDir}.`);
  }
  await stopAll();

  report.finishedAt = new Date().toISOString();
  const file = writeReport(report);
  process.stdout.write(formatSummary(report, file));
  return warnings.some((warning) => /ERRORS|WRONG ANSWER/.test(warning)) ? 1 : 0;
}

main().then(
  (code) => stopAll().finally(() => process.exit(code)),
  (error: unknown) => {
    log(`\nBench failed: ${error instanceof Error ? error.message : String(error)}`);
    stopAll().finally(() => process.exit(1));
  },
);

/** `npm run build`, so the bench measures the code as it is now. */
function buildGateway(): void {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
