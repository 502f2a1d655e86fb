/**
 * Survival under hostile load (reliability-catalogue §5, R01 and R02), scaled down to run in
 * seconds: the production bundle (as `npm run build` makes it) runs as its own process with a
 * smaller heap cap than production's (64 MB instead of 160), against the real simulator, while a
 * tenant queries every 100 ms. Each attack must leave the process alive, its peak RSS under the
 * production target, and the tenant served.
 *
 * Why a smaller cap: these attacks are scaled down ~10×, and so is the room they have. Before
 * memory was bounded by construction, R01 at this size grew the parse caches by ~150 MB (300
 * documents of ~0.5 MB) and R02 held ~13 MB per request: either would kill a 64 MB process.
 *
 * Runs in the serial pass (vitest.timing.config.ts): it starts processes and measures memory.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RSS_TARGET_BYTES } from '../../src/http/memory-budget.ts';
import { type RunningSimulator, startSimulator } from '../../src/simulator/index.ts';
import { HOSTILE_SEED, SENTINEL_ID, SENTINEL_KEY } from '../support/hostile.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
/** Inside node_modules, so the bundle finds its (external) dependencies as dist/main.mjs does. */
const BUNDLE_DIR = join(ROOT, 'node_modules', '.cache', 'gateway-survival');
const BUNDLE = join(BUNDLE_DIR, 'main.mjs');
const HEAP_CAP_MB = 64;

let simulator: RunningSimulator;
let gateway: { child: ChildProcess; endpoint: string; stderr: () => string } | undefined;

beforeAll(async () => {
  mkdirSync(BUNDLE_DIR, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'src/main.ts')],
    outfile: BUNDLE,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  simulator = await startSimulator({
    apiKeys: [{ key: SENTINEL_KEY, workspace: 'hostile' }],
    seed: HOSTILE_SEED,
    requestLogLimit: 0,
    // The tenant's polling and the attacks must not meet Featurebase's rate limit.
    rateLimitPerMinute: 1_000_000,
  });
}, 60_000);
afterEach(async () => {
  if (!gateway) return;
  const { child } = gateway;
  gateway = undefined;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
});
afterAll(() => simulator?.close());

/** The production bundle as start:prod runs it, but with a 64 MB heap. */
async function startGateway(): Promise<NonNullable<typeof gateway>> {
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, BUNDLE], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      PORT: '0',
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      FEATUREBASE_API_URL: simulator.url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout?.resume();
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${stderr}`)), 20_000);
    const look = () => {
      const match = /gateway: (http:\/\/\S+\/graphql)/.exec(stderr);
      if (!match?.[1]) return;
      clearTimeout(timer);
      child.stderr?.off('data', look);
      resolve(match[1]);
    };
    child.stderr?.on('data', look);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  gateway = { child, endpoint, stderr: () => stderr };
  return gateway;
}

/** The most resident memory the process ever had (Linux: VmHWM). */
function peakRssBytes(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kilobytes = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kilobytes) * 1024;
}

async function post(endpoint: string, body: string, key?: string): Promise<number> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body,
  });
  const text = await response.text();
  return response.status === 200 && !text.includes('"errors"') ? 200 : response.status || 0;
}

const TENANT_QUERY = JSON.stringify({
  query: `{ webhook(id: "${SENTINEL_ID}") { id name health { consecutiveFailures } } }`,
});

/**
 * Runs `attack` while a tenant queries every 100 ms until the attack is over; returns the
 * tenant's share of successful answers.
 */
async function underAttack(endpoint: string, attack: () => Promise<void>): Promise<number> {
  expect(await post(endpoint, TENANT_QUERY, SENTINEL_KEY)).toBe(200);
  let attacking = true;
  const outcomes: boolean[] = [];
  const tenant = (async () => {
    while (attacking || outcomes.length < 10) {
      const started = performance.now();
      outcomes.push((await post(endpoint, TENANT_QUERY, SENTINEL_KEY).catch(() => 0)) === 200);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, 100 - (performance.now() - started))),
      );
    }
  })();
  await attack();
  attacking = false;
  await tenant;
  return outcomes.filter(Boolean).length / outcomes.length;
}

async function expectSurvived(started: NonNullable<typeof gateway>): Promise<void> {
  expect(started.child.exitCode, `the gateway exited: ${started.stderr()}`).toBeNull();
  expect(started.stderr()).not.toMatch(/heap limit|out of memory/i);
  const health = await fetch(started.endpoint.replace(/\/graphql$/, '/health'));
  expect(health.status).toBe(200);
  await health.text();
  expect(peakRssBytes(started.child)).toBeLessThan(RSS_TARGET_BYTES);
}

describe('survival under hostile load (production bundle, 64 MB heap)', () => {
  it('R01 300 distinct ~1,000-token texts without a key: alive, bounded, the tenant served', async () => {
    const started = await startGateway();
    let sent = 0;
    const success = await underAttack(started.endpoint, async () => {
      const texts = Array.from(
        { length: 300 },
        (_, index) => `{ ${'__typename '.repeat(998)}}${' '.repeat(index)}`,
      );
      // Four connections, one text after another, as fast as they are answered.
      await Promise.all(
        [0, 1, 2, 3].map(async (lane) => {
          for (let index = lane; index < texts.length; index += 4) {
            await post(started.endpoint, JSON.stringify({ query: texts[index] })).catch(() => 0);
            sent++;
          }
        }),
      );
    });
    expect(sent).toBe(300);
    expect(success).toBeGreaterThanOrEqual(0.95);
    await expectSurvived(started);
  });

  it('R02 rounds of 8 concurrent ~1 MB bodies of padded variables: refused, alive, bounded, the tenant served', async () => {
    const started = await startGateway();
    const padded = `{"query":"query ($id: ID!) { webhook(id: $id) { id } }","variables":{"id":"${SENTINEL_ID}","pad":[${'[],'.repeat(320_000)}[]]}}`;
    const statuses: number[] = [];
    const success = await underAttack(started.endpoint, async () => {
      for (let round = 0; round < 5; round++) {
        statuses.push(
          ...(await Promise.all(
            Array.from({ length: 8 }, () =>
              post(started.endpoint, padded, 'sk_live_made_up_key_0123456789').catch(() => 0),
            ),
          )),
        );
      }
    });
    // Refused before they are parsed (or shed while the body memory is spent), never served.
    expect(new Set(statuses)).toEqual(
      new Set(statuses.filter((status) => status === 400 || status === 503)),
    );
    expect(statuses).toContain(400);
    expect(success).toBeGreaterThanOrEqual(0.95);
    await expectSurvived(started);
  });
});
