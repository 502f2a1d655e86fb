/**
 * A summary of a V8 `.cpuprofile` (written by `node --cpu-prof` when the gateway exits): where
 * the gateway spends its own time, by function and by package, so the next optimisation starts
 * from data rather than guesses.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  /** Share of the busy time, in %. */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  /** Busy time sampled on the main thread (start-up, warm-ups and runs), in ms. */
  totalMs: number;
  idleMs: number;
  topFunctions: ProfileEntry[];
  byPackage: ProfileEntry[];
}

/**
 * The main thread's profile in `directory`, summarised. Node writes one file per thread
 * (`CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`): thread 0 is the one that serves; the
 * others are tsx's module loader thread, idle after start-up.
 */
export function summariseProfile(directory: string, top = 25): ProfileSummary | undefined {
  const files = readdirSync(directory)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort();
  const main = files.findLast((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name)) ?? files.at(-1);
  if (!main) return undefined;
  const file = join(directory, main);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });

  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    // Waiting for I/O is not time spent: shares are of the busy time.
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    totalUs += us;
    const where = shortUrl(frame.url);
    const name =
      `${frame.functionName || '(anonymous)'} ${where ? `${where}:${frame.lineNumber + 1}` : ''}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + us);
    const owner = packageOf(frame.url, frame.functionName);
    packages.set(owner, (packages.get(owner) ?? 0) + us);
  }
  const entries = (map: Map<string, number>, limit: number): ProfileEntry[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({
        name,
        selfMs: Math.round(us / 1000),
        percent: totalUs === 0 ? 0 : Math.round((us / totalUs) * 1000) / 10,
      }));
  return {
    file,
    totalMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    topFunctions: entries(functions, top),
    byPackage: entries(packages, 20),
  };
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) return url.slice(modules + 'node_modules/'.length);
  const repo = url.indexOf('/src/');
  if (repo !== -1) return url.slice(repo + 1);
  const schema = url.indexOf('/schema/');
  if (schema !== -1) return url.slice(schema + 1);
  return url.replace(/^file:\/\//, '');
}

/** The npm package, `src`/`schema` (ours), `node:` internals, or V8's own pseudo-frames. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node: (core)';
  if (url.includes('/src/')) return 'gateway src/';
  if (url.includes('/schema/')) return 'gateway schema/';
  return url;
}
