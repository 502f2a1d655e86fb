/**
 * Reading the runs: medians over rounds, the gateway/baseline ratio, and notes on what may have
 * limited a run (the upstream, autocannon, the two cores, other processes on the machine).
 */

import { type LoadResult, round } from './load.ts';
import type { GatewayRatio, ScenarioResult } from './report.ts';
import type { ScenarioName } from './scenarios.ts';

/** The run with the median req/s (the lower middle one for an even count): a real run, whole. */
export function medianRun(runs: readonly LoadResult[]): LoadResult | undefined {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/**
 * The ratio, and notes on what may have limited a run: the upstream, autocannon, or simply the
 * two cores (the measured server, the upstream and autocannon share them).
 */
export function judge(
  result: ScenarioResult,
  pinned: boolean,
  note: (message: string) => void,
): void {
  const upstream = result.targets.upstream?.load;
  const baseline = result.targets.baseline?.load;
  const gateway = result.targets.gateway?.load;
  const ratios = result.rounds.flatMap(({ baseline: b, gateway: g }) =>
    b && g && b.requestsPerSecond > 0 ? [g.requestsPerSecond / b.requestsPerSecond] : [],
  );
  const ratio = median(ratios);
  if (ratio !== undefined) result.ratio = round(ratio, 3);
  if (ratios.length > 1) {
    note(
      `${`(${result.scenario})`} ratio per round: ${ratios.map((value) => value.toFixed(2)).join(', ')} (median shown).`,
    );
  }
  const label = `(${result.scenario})`;
  if (upstream && (upstream.cpuPercent['loadgen'] ?? 0) > 80) {
    note(
      `${label} upstream direct: autocannon used ${upstream.cpuPercent['loadgen']}% of a core, so ${upstream.requestsPerSecond} req/s is a lower bound of the upstream's capacity.`,
    );
  }
  for (const [name, measured] of [
    ['baseline', baseline],
    ['gateway', gateway],
  ] as const) {
    if (!measured) continue;
    const cpu = measured.cpuPercent;
    const server = cpu[name] ?? 0;
    const upstreamCpu = cpu['upstream'] ?? 0;
    const loadgen = cpu['loadgen'] ?? 0;
    if (upstream && measured.requestsPerSecond > 0.8 * upstream.requestsPerSecond) {
      note(
        `${label} ${name}: ${measured.requestsPerSecond} req/s is over 80% of the upstream's own ${upstream.requestsPerSecond}: the upstream may limit it.`,
      );
    }
    const other = cpu['other'] ?? 0;
    if (other + (cpu['steal'] ?? 0) > 15) {
      note(
        `${label} ${name}: other processes on the machine used ${other}% CPU (steal ${cpu['steal'] ?? 0}%) during the run: a disturbed measurement.`,
      );
    }
    if (pinned && upstreamCpu + loadgen > 90) {
      note(
        `${label} ${name}: core 1 (upstream ${upstreamCpu}% + autocannon ${loadgen}%) was saturated: it, not ${name}, may be the limit.`,
      );
    } else if (!pinned && server + upstreamCpu + loadgen > 180) {
      note(
        `${label} ${name}: the machine was saturated (${name} ${server}% + upstream ${upstreamCpu}% + autocannon ${loadgen}% of 200%).`,
      );
    }
  }
}

/**
 * One scenario's gateway req/s over another's, both measured in this run: (f) ÷ (a) is what
 * writing the id into the query text costs against passing it as a variable. The ratio of the
 * two median runs, round by round (round i of one over round i of the other), and the same
 * comparison by the gateway's CPU per request.
 */
export function gatewayRatio(
  results: readonly ScenarioResult[],
  numerator: ScenarioName,
  denominator: ScenarioName,
): GatewayRatio | undefined {
  const top = results.find((result) => result.scenario === numerator);
  const bottom = results.find((result) => result.scenario === denominator);
  const topLoad = top?.targets.gateway?.load;
  const bottomLoad = bottom?.targets.gateway?.load;
  if (!top || !bottom || !topLoad || !bottomLoad?.requestsPerSecond) return undefined;
  const rounds = top.rounds.flatMap((round, index) => {
    const over = round.gateway?.requestsPerSecond;
    const under = bottom.rounds[index]?.gateway?.requestsPerSecond;
    return over !== undefined && under ? [round3(over / under)] : [];
  });
  const ratio = round3(topLoad.requestsPerSecond / bottomLoad.requestsPerSecond);
  const cpu = { [numerator]: cpuPerRequest(top), [denominator]: cpuPerRequest(bottom) };
  const topCpu = cpu[numerator];
  const bottomCpu = cpu[denominator];
  return {
    numerator,
    denominator,
    ratio,
    rounds,
    cpuMicrosPerRequest: cpu,
    ...(topCpu && bottomCpu ? { cpuRatio: round3(bottomCpu / topCpu) } : {}),
  };
}

/**
 * The gateway's CPU time per request (all its threads, GC included), in µs: the median over
 * the rounds. Other processes taking the cores move it much less than req/s: they mostly make
 * the gateway's requests wait, not cost more.
 */
function cpuPerRequest(result: ScenarioResult): number | undefined {
  const values = result.rounds.flatMap(({ gateway }) => {
    const percent = gateway?.cpuPercent['gateway'];
    return gateway && percent !== undefined && gateway.requestsPerSecond > 0
      ? [(percent / 100 / gateway.requestsPerSecond) * 1e6]
      : [];
  });
  const value = median(values);
  return value === undefined ? undefined : Math.round(value);
}

function round3(value: number): number {
  return round(value, 3);
}
