/**
 * Memory over time: scenario (a) at saturation for a while, the gateway's RSS sampled every
 * second. Growth is judged on the last 60 s only (least-squares slope), once the heap has
 * settled: the first seconds always grow while V8 sizes its heap and the JIT compiles.
 */

import { type DriveOptions, drive, type LoadResult, round } from './load.ts';

export interface SoakResult {
  seconds: number;
  load: Omit<LoadResult, 'rssSamples'>;
  /** Least-squares slope of RSS over the last `windowSeconds`, in MB per minute. */
  slopeMbPerMinute: number | undefined;
  windowSeconds: number;
  peakRssMb: number | undefined;
  /** RSS at the start of the window and at the end, in MB. */
  windowStartRssMb: number | undefined;
  endRssMb: number | undefined;
  /** One sample per second: seconds since the start, RSS in MB. */
  samples: [number, number][];
}

const WINDOW_SECONDS = 60;
const MB = 1024 * 1024;

export async function soak(
  options: Omit<DriveOptions, 'sampleEveryMs' | 'keepRssSamples'>,
): Promise<SoakResult> {
  const { rssSamples = [], ...load } = await drive({
    ...options,
    sampleEveryMs: 1000,
    keepRssSamples: true,
  });
  const samples = rssSamples.map(
    ({ atMs, rssBytes }) => [round(atMs / 1000, 1), round(rssBytes / MB, 1)] as [number, number],
  );
  const end = samples.at(-1)?.[0] ?? 0;
  const windowSeconds = Math.min(WINDOW_SECONDS, end);
  const window = samples.filter(([at]) => at >= end - windowSeconds);
  return {
    seconds: options.durationSeconds,
    load,
    slopeMbPerMinute: window.length >= 3 ? round(slope(window) * 60, 2) : undefined,
    windowSeconds,
    peakRssMb: load.peakRssBytes === undefined ? undefined : round(load.peakRssBytes / MB, 1),
    windowStartRssMb: window[0]?.[1],
    endRssMb: window.at(-1)?.[1],
    samples,
  };
}

/** Least-squares slope of y over x (here MB per second). */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}
