/**
 * The bench's output: a table for people, and the same data as JSON under `bench-results/`
 * (`<ISO timestamp>.json` and `latest.json`) for comparisons over time.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { type LoadResult, round } from './load.ts';
import type { BenchOptions } from './options.ts';
import { REPO_ROOT } from './processes.ts';
import type { ProfileSummary } from './profile.ts';
import type { ScenarioName, Target } from './scenarios.ts';
import type { SoakResult } from './soak.ts';

export const RESULTS_DIR = join(REPO_ROOT, 'bench-results');

export interface TargetResult {
  load?: LoadResult;
  /** Why this target was not measured (its check answer was wrong). */
  invalid?: string;
}

/** One baseline run and one gateway run, back to back. */
export type ScenarioRound = Partial<Record<'baseline' | 'gateway', LoadResult>>;

export interface ScenarioResult {
  scenario: ScenarioName;
  title: string;
  /** Per target, the run with the median req/s over the rounds (upstream: measured once). */
  targets: Partial<Record<Target, TargetResult>>;
  rounds: ScenarioRound[];
  /** Gateway req/s ÷ baseline req/s: the median of the rounds' ratios. */
  ratio?: number;
  /** Upstream calls per request, counted on requests sent one at a time. */
  upstreamCallsPerRequest?: Partial<Record<'baseline' | 'gateway', number>>;
}

/** One scenario's gateway req/s over another's, in the same run (e.g. (f) ÷ (a)). */
export interface GatewayRatio {
  numerator: ScenarioName;
  denominator: ScenarioName;
  /** Of the two median runs. */
  ratio: number;
  /** Round i over round i. */
  rounds: number[];
  /** The gateway's CPU µs per request in each scenario (median over the rounds). */
  cpuMicrosPerRequest: Partial<Record<ScenarioName, number | undefined>>;
  /** The same comparison by CPU per request: the denominator's µs ÷ the numerator's. */
  cpuRatio?: number;
}

export interface StartupResult {
  command: string;
  /** Spawn → first correct GraphQL answer, for each timed start-up, in ms. */
  firstAnswerMs: number[];
  /** Spawn → "listening" banner, in ms. */
  listeningMs: number[];
  medianFirstAnswerMs: number | undefined;
}

export interface BenchReport {
  startedAt: string;
  /** The code measured: the commit, and whether src/ or schema/ had uncommitted changes. */
  source: { commit: string; dirty: boolean | undefined };
  finishedAt?: string;
  machine: { node: string; platform: string; cpuModel: string; cpuCount: number };
  config: BenchOptions & { pinLayout: string; gatewayEnv: Record<string, string> };
  startup?: StartupResult;
  scenarios: ScenarioResult[];
  /** Gateway against gateway: (f) ÷ (a) when both ran. */
  gatewayRatios?: GatewayRatio[];
  soak?: SoakResult;
  profile?: ProfileSummary;
  /** Errors and wrong answers: the numbers concerned are not results. Printed loudly. */
  warnings: string[];
  /** What may have limited a run (the upstream, autocannon, the cores). */
  notes: string[];
}

export function source(): BenchReport['source'] {
  const git = (args: string[]) =>
    execFileSync('git', args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  try {
    const commit = git(['rev-parse', '--short', 'HEAD']).trim();
    let dirty: boolean | undefined;
    try {
      dirty = git(['status', '--porcelain', '--', 'src', 'schema']).trim() !== '';
    } catch {
      dirty = undefined;
    }
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: undefined };
  }
}

export function machine(): BenchReport['machine'] {
  const list = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
  };
}

const MB = 1024 * 1024;

function mb(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / MB).toFixed(0)} MB`;
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, index) =>
      index < 2 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0),
    )
    .join('  ');
}

const HEADER = [
  'scenario',
  'target',
  'req/s',
  'p50 ms',
  'p99 ms',
  'errors',
  'peak RSS',
  'CPU % tgt/up/gen/other',
  'ratio',
];

export function tableRows(results: readonly ScenarioResult[]): string[][] {
  const rows: string[][] = [];
  for (const result of results) {
    for (const target of ['upstream', 'baseline', 'gateway'] as const) {
      const measured = result.targets[target];
      if (!measured) continue;
      const label = `(${result.scenario}) ${result.title}`;
      const name = target === 'upstream' ? 'upstream direct' : target;
      if (!measured.load) {
        rows.push([label, name, 'INVALID', '', '', '', '', '', '']);
        continue;
      }
      const { load } = measured;
      const cpu = load.cpuPercent;
      const targetCpu = target === 'upstream' ? cpu['upstream'] : cpu[target];
      const upstreamCpu = target === 'upstream' ? undefined : cpu['upstream'];
      rows.push([
        label,
        name,
        load.requestsPerSecond.toFixed(0),
        String(load.latencyMs.p50),
        String(load.latencyMs.p99),
        load.errors.total === 0 ? '0' : `${load.errors.total} !!`,
        mb(load.peakRssBytes),
        `${targetCpu ?? '-'}/${upstreamCpu ?? '-'}/${cpu['loadgen'] ?? '-'}/${cpu['other'] ?? '-'}`,
        target === 'gateway' && result.ratio !== undefined
          ? result.ratio.toFixed(2)
          : target === 'baseline'
            ? '1.00'
            : '',
      ]);
    }
  }
  return rows;
}

export function formatTable(results: readonly ScenarioResult[]): string {
  const rows = [HEADER, ...tableRows(results)];
  const widths = HEADER.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  const lines = rows.map((row) => pad(row, widths));
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  return lines.join('\n');
}

export function formatRow(scenario: ScenarioResult, target: Target): string {
  const row = tableRows([{ ...scenario, targets: { [target]: scenario.targets[target] } }])[0];
  return row ? row.filter((cell) => cell !== '').join(' | ') : '';
}

/** Writes `<timestamp>.json` and `latest.json`; returns the first path. */
export function writeReport(report: BenchReport): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const file = join(RESULTS_DIR, `${stamp}.json`);
  const text = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(join(RESULTS_DIR, 'latest.json'), text);
  return file;
}

const RATIO_MEANING: Readonly<Record<string, string>> = {
  'f/a': ': the id written into the query text against the id as a variable',
};

/** The table and everything else worth reading, as printed at the end. */
export function formatSummary(report: BenchReport, file: string): string {
  const lines: string[] = [''];
  if (report.scenarios.length > 0) {
    lines.push(formatTable(report.scenarios), '');
    lines.push(
      'ratio = gateway req/s ÷ baseline req/s, measured back to back (with --rounds: the median of the rounds). req/s, latency, RSS: the median round.',
      'CPU % = share of one core used during the run by the measured server / the upstream / autocannon / every other process (2 cores = 200%).',
    );
    for (const comparison of report.gatewayRatios ?? []) {
      const { numerator, denominator, ratio, rounds, cpuRatio, cpuMicrosPerRequest } = comparison;
      const perRound = rounds.length > 1 ? ` (per round: ${rounds.join(', ')})` : '';
      lines.push(
        `(${numerator}) ÷ (${denominator}), gateway req/s in this run: ${ratio.toFixed(2)}${perRound}${RATIO_MEANING[`${numerator}/${denominator}`] ?? ''}`,
      );
      if (cpuRatio !== undefined) {
        lines.push(
          `  by the gateway's CPU per request: ${cpuRatio.toFixed(2)} ((${denominator}) ${cpuMicrosPerRequest[denominator]} µs ÷ (${numerator}) ${cpuMicrosPerRequest[numerator]} µs; less disturbed by other processes than req/s)`,
        );
      }
    }
    for (const result of report.scenarios) {
      const calls = result.upstreamCallsPerRequest;
      const gateway = result.targets.gateway?.load;
      const underLoad =
        gateway?.upstreamCalls === undefined || gateway.requests === 0
          ? 'n/a'
          : round(gateway.upstreamCalls / gateway.requests, 3);
      if (calls) {
        lines.push(
          `(${result.scenario}) upstream calls per request: gateway ${calls.gateway ?? 'n/a'} (under load ≈ ${underLoad}), baseline ${calls.baseline ?? 'n/a'}`,
        );
      }
    }
  }
  if (report.startup && report.startup.firstAnswerMs.length > 0) {
    lines.push(
      `start-up (${report.startup.command}, spawn → first correct GraphQL answer): median ${report.startup.medianFirstAnswerMs} ms [${report.startup.firstAnswerMs.join(', ')}]`,
    );
  }
  if (report.soak) {
    const { soak: result } = report;
    lines.push(
      `soak (a) ${result.seconds} s: ${result.load.requestsPerSecond} req/s, ${result.load.errors.total} errors, peak RSS ${result.peakRssMb} MB, slope over the last ${result.windowSeconds} s: ${result.slopeMbPerMinute} MB/min (${result.windowStartRssMb} → ${result.endRssMb} MB)`,
    );
  }
  if (report.profile) {
    lines.push('', `CPU profile of the gateway (${report.profile.file}), self time:`);
    for (const entry of report.profile.topFunctions) {
      lines.push(
        `  ${entry.percent.toFixed(1).padStart(5)}%  ${entry.selfMs.toString().padStart(6)} ms  ${entry.name}`,
      );
    }
    lines.push('  by package:');
    for (const entry of report.profile.byPackage) {
      lines.push(`  ${entry.percent.toFixed(1).padStart(5)}%  ${entry.name}`);
    }
  }
  if (report.notes.length > 0) {
    lines.push('', 'What may limit these numbers:', ...report.notes.map((line) => `  - ${line}`));
  }
  if (report.warnings.length > 0) {
    lines.push('', 'WARNINGS:', ...report.warnings.map((warning) => `  !!! ${warning}`));
  }
  lines.push('', `Results: ${file}`);
  return `${lines.join('\n')}\n`;
}
