/**
 * The bench measures the gateway as `npm run start:prod` runs it: the Node flags come from
 * package.json, and the override is checked before anything starts.
 */

import { describe, expect, it } from 'vitest';
import { judgeAnswer, percentile, summariseTenant } from '../../scripts/bench/hostile.ts';
import { PHASE_NAMES } from '../../scripts/bench/hostile-attacks.ts';
import { parseOptions, UsageError } from '../../scripts/bench/options.ts';
import { productionNodeFlags } from '../../scripts/bench/production-flags.ts';

describe('bench options', () => {
  it("reads the gateway's Node flags from the start:prod script", () => {
    expect(productionNodeFlags()).toEqual(['--max-old-space-size=160']);
  });

  it('uses those flags unless --node-flags says otherwise', () => {
    expect(parseOptions([], {})).toMatchObject({ gatewayNodeFlags: undefined });
    expect(parseOptions(['--node-flags=--max-semi-space-size=4'], {})).toMatchObject({
      gatewayNodeFlags: ['--max-semi-space-size=4'],
    });
    expect(parseOptions(['--node-flags='], {})).toMatchObject({ gatewayNodeFlags: [] });
  });

  it('refuses a --node-flags word that is not a flag', () => {
    expect(() => parseOptions(['--node-flags=--x; rm -rf /'], {})).toThrow(UsageError);
  });
});

describe('bench options: --hostile', () => {
  it('is off by default, and has documented defaults when on', () => {
    expect(parseOptions([], {})).toMatchObject({ hostile: false });
    expect(parseOptions(['--hostile'], {})).toMatchObject({
      hostile: true,
      hostileSeconds: 20,
      hostileQuietSeconds: 5,
      hostileAttacks: [...PHASE_NAMES],
      hostileLatencyMs: 50,
      hostileScale: 1,
      // Still the production gateway, with start:prod's flags.
      gatewayBuild: 'built',
      gatewayNodeFlags: undefined,
    });
    expect(PHASE_NAMES).toEqual(['R01', 'R02', 'R03a', 'R03b', 'R04', 'R06', 'R07', 'all']);
  });

  it('reads every setting from a flag, else from BENCH_HOSTILE_*', () => {
    const argv = [
      '--hostile',
      '--hostile-seconds=7',
      '--hostile-quiet-seconds',
      '2',
      '--hostile-attacks',
      ' r07, R01 ,all,r07',
      '--hostile-latency=0',
      '--hostile-scale=0.25',
    ];
    expect(parseOptions(argv, {})).toMatchObject({
      hostileSeconds: 7,
      hostileQuietSeconds: 2,
      // In the order given, each once, names in any case.
      hostileAttacks: ['R07', 'R01', 'all'],
      hostileLatencyMs: 0,
      hostileScale: 0.25,
    });
    const env = {
      BENCH_HOSTILE_SECONDS: '9',
      BENCH_HOSTILE_QUIET_SECONDS: '3',
      BENCH_HOSTILE_ATTACKS: 'R03b',
      BENCH_HOSTILE_LATENCY: '10',
      BENCH_HOSTILE_SCALE: '2',
    };
    expect(parseOptions(['--hostile'], env)).toMatchObject({
      hostileSeconds: 9,
      hostileQuietSeconds: 3,
      hostileAttacks: ['R03b'],
      hostileLatencyMs: 10,
      hostileScale: 2,
    });
    expect(parseOptions(['--hostile', '--hostile-seconds=4'], env)).toMatchObject({
      hostileSeconds: 4,
    });
  });

  it('refuses bad values before anything starts', () => {
    const bad = [
      ['--hostile-seconds=0'],
      ['--hostile-seconds=1.5'],
      ['--hostile-quiet-seconds=-1'],
      ['--hostile-attacks=R05'],
      ['--hostile-attacks=R03'],
      ['--hostile-attacks=,'],
      ['--hostile-latency=fast'],
      ['--hostile-scale=0'],
      ['--hostile-scale=-1'],
      ['--hostile-scale=abc'],
      ['--hostile-scale=1000'],
      ['--hostile', '--soak=60'],
      ['--hostile', '--cpu-prof'],
    ];
    for (const argv of bad)
      expect(() => parseOptions(argv, {}), argv.join(' ')).toThrow(UsageError);
    // An unknown flag is refused by parseArgs itself.
    expect(() => parseOptions(['--hostile-time=5'], {})).toThrow();
  });
});

describe('hostile bench: the tenant', () => {
  it('succeeds only with HTTP 200, data and no errors', () => {
    const list = JSON.stringify({ data: { webhooks: { nodes: [] } } });
    expect(judgeAnswer(200, list)).toBeUndefined();
    expect(
      judgeAnswer(
        200,
        JSON.stringify({
          data: null,
          errors: [{ message: 'x', extensions: { code: 'UPSTREAM_UNAVAILABLE' } }],
        }),
      ),
    ).toBe('200, UPSTREAM_UNAVAILABLE');
    expect(judgeAnswer(200, 'not json')).toBe('200, not JSON');
    expect(judgeAnswer(200, JSON.stringify({ data: {} }))).toBe('200, no data');
    expect(judgeAnswer(503, '')).toBe('HTTP 503');
    expect(
      judgeAnswer(403, JSON.stringify({ errors: [{ message: 'x', extensions: { code: 'A' } }] })),
    ).toBe('HTTP 403 A');
  });

  it('reports the success rate, and percentiles over the successful requests', () => {
    const requests = [
      ...Array.from({ length: 98 }, (_, index) => ({ at: index / 10, ms: index + 1, ok: true })),
      { at: 9.8, ms: 5000, ok: false, failure: 'timeout (5 s)' },
      { at: 9.9, ms: 1, ok: false, failure: 'ECONNREFUSED' },
    ];
    const result = summariseTenant(requests);
    expect(result).toMatchObject({
      sent: 100,
      ok: 98,
      successPercent: 98,
      latencyMs: { p50: 49, p99: 98, max: 98 },
      allLatencyMs: { p50: 49, p99: 98 },
      failures: { 'timeout (5 s)': 1, ECONNREFUSED: 1 },
      failedBetween: [9.8, 9.9],
    });
    expect(summariseTenant([])).toMatchObject({ sent: 0, successPercent: 0, latencyMs: undefined });
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
  });
});
