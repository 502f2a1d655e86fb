/**
 * `npm run bench -- --scale-out`: rotations (scenario (a), `refreshWebhookSecret` over every
 * tenant's webhooks) through ONE gateway without Redis, then through THREE gateways sharing one
 * Redis (a real `redis-server` on a free loopback port), the load split evenly over them. It
 * prints, for each: requests/s, p50/p99, errors, how many rotations Featurebase actually
 * received per rotation asked for (concurrent rotations of one webhook, and those within
 * ROTATION_SHARE_WINDOW_MS of one, share it: on one instance by its memory, on three through
 * Redis), and Featurebase calls of any kind per rotation (a caller whose rotation was shared
 * reads the webhook with its own credentials).
 *
 * On a 2-core machine three gateways, Redis, the upstream and autocannon share two cores: the
 * three-instance rate says what coordination costs per request there, not how far more machines
 * scale. JSON in bench-results/scale-out-*.json.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type autocannon from 'autocannon';
import { slots as allSlots } from './fixtures.ts';
import { resetUpstreamStats, round, run, settleUpstream, upstreamStats } from './load.ts';
import type { BenchOptions } from './options.ts';
import { productionNodeFlags } from './production-flags.ts';
import { machine, RESULTS_DIR, source } from './report.ts';
import { SCENARIOS } from './scenarios.ts';
import { type StartedGateway, startGateway, startUpstream } from './targets.ts';

interface PhaseResult {
  instances: number;
  redis: boolean;
  requestsPerSecond: number;
  requests: number;
  latencyMs: { p50: number; p99: number };
  errors: number;
  /** Every Featurebase call (rotations, and the reads of callers whose rotation was shared). */
  upstreamCalls: number;
  /** Rotations Featurebase received per rotation asked for. */
  rotationsPerRequest: number;
  /** Featurebase calls of any kind per rotation asked for. */
  upstreamCallsPerRequest: number;
}

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

export async function scaleOutBench(
  options: BenchOptions,
  buildGateway: () => void,
): Promise<number> {
  const redisBinary = findRedisServer();
  if (!redisBinary) {
    log('scale-out: no redis-server on this machine (apt-get install redis-server): skipped.');
    return 1;
  }
  const built = options.gatewayBuild === 'built';
  if (built) buildGateway();
  const startedAt = new Date().toISOString();
  const upstream = await startUpstream(
    { tenants: options.tenants },
    undefined,
    options.startTimeoutMs,
  );
  const slots = allSlots(options.tenants);
  const requests = slots.map((slot) => SCENARIOS.a.request('gateway', slot));
  const verify = SCENARIOS.a.verify('gateway');
  const gatewayOptions = {
    upstreamUrl: upstream.url,
    logLevel: options.logLevel,
    cpu: undefined,
    timeoutMs: options.startTimeoutMs,
    built,
    nodeEnv: built ? 'production' : process.env['NODE_ENV'],
    nodeFlags: options.gatewayNodeFlags ?? (built ? productionNodeFlags() : []),
  };
  log(
    `scale-out bench: (a) refreshWebhookSecret, ${options.connections} connections, ${options.warmupSeconds} s warm-up, ${options.durationSeconds} s measured, ${options.tenants} tenants`,
  );

  const phases: PhaseResult[] = [];
  const single = await startGateway(gatewayOptions);
  try {
    phases.push(await measure([single], false, requests, verify, options, upstream.url));
  } finally {
    await single.child.stop();
  }

  const redis = await startRedis(redisBinary);
  try {
    const env = {
      REDIS_URL: redis.url,
      SHARED_STATE_SECRET: 'scale-out bench secret, the same on every instance',
    };
    const three = await Promise.all([0, 1, 2].map(() => startGateway({ ...gatewayOptions, env })));
    try {
      phases.push(await measure(three, true, requests, verify, options, upstream.url));
    } finally {
      await Promise.all(three.map((gateway) => gateway.child.stop()));
    }
  } finally {
    redis.child.kill('SIGKILL');
    await upstream.child.stop();
  }

  log('');
  log(
    'instances  Redis  req/s   p50 ms  p99 ms  errors  rotations sent per rotation  calls per rotation',
  );
  for (const phase of phases) {
    log(
      `${String(phase.instances).padEnd(9)}  ${(phase.redis ? 'yes' : 'no').padEnd(5)}  ${String(phase.requestsPerSecond).padStart(5)}  ${String(phase.latencyMs.p50).padStart(6)}  ${String(phase.latencyMs.p99).padStart(6)}  ${String(phase.errors).padStart(6)}  ${String(phase.rotationsPerRequest).padStart(27)}  ${phase.upstreamCallsPerRequest}`,
    );
  }
  log(
    "(a rotation shared with another caller's costs that caller a read of the webhook with its own credentials, so calls per rotation stay near 1; rotations sent is what the sharing saves)",
  );
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `scale-out-${startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ startedAt, source: source(), machine: machine(), options, phases }, null, 2)}\n`,
  );
  log(`\nResults: ${file}`);
  return phases.some((phase) => phase.errors > 0) ? 1 : 0;
}

/** The same load split evenly over the gateways, at the same time; upstream calls counted. */
async function measure(
  gateways: readonly StartedGateway[],
  redis: boolean,
  requests: Parameters<typeof run>[1],
  verify: (body: string) => boolean,
  options: BenchOptions,
  upstreamUrl: string,
): Promise<PhaseResult> {
  const connectionsEach = Math.max(1, Math.round(options.connections / gateways.length));
  const load = {
    connections: connectionsEach,
    durationSeconds: options.durationSeconds,
    warmupSeconds: 0,
  };
  const all = (seconds: number) =>
    Promise.all(gateways.map((gateway) => run(gateway.url, requests, verify, load, seconds)));
  await settleUpstream(upstreamUrl);
  if (options.warmupSeconds > 0) await all(options.warmupSeconds);
  await settleUpstream(upstreamUrl);
  await resetUpstreamStats(upstreamUrl);
  const results = await all(options.durationSeconds);
  await settleUpstream(upstreamUrl);
  const upstream = await upstreamStats(upstreamUrl);
  const total = results.reduce((sum, result) => sum + result.requests.total, 0);
  const errors = results.reduce(
    (sum, result: autocannon.Result) => sum + result.errors + result.non2xx + result.mismatches,
    0,
  );
  return {
    instances: gateways.length,
    redis,
    requestsPerSecond: round(
      results.reduce((sum, result) => sum + result.requests.average, 0),
      0,
    ),
    requests: total,
    latencyMs: {
      p50: Math.max(...results.map((result) => result.latency.p50)),
      p99: Math.max(...results.map((result) => result.latency.p99)),
    },
    errors,
    upstreamCalls: upstream.requests,
    rotationsPerRequest: total > 0 ? round(rotationCalls(upstream.byRoute) / total, 3) : 0,
    upstreamCallsPerRequest: total > 0 ? round(upstream.requests / total, 3) : 0,
  };
}

/** Rotation calls among the upstream's routes (`POST /v2/webhooks/:id/secret`). */
function rotationCalls(byRoute: Readonly<Record<string, number>>): number {
  let calls = 0;
  for (const [route, count] of Object.entries(byRoute)) {
    if (route.startsWith('POST ') && route.endsWith('/secret')) calls += count;
  }
  return calls;
}

function findRedisServer(): string | undefined {
  for (const candidate of [process.env['REDIS_SERVER_PATH'], '/usr/bin/redis-server']) {
    if (candidate) {
      try {
        execFileSync(candidate, ['--version'], { stdio: 'ignore' });
        return candidate;
      } catch {
        // Not there: the next candidate.
      }
    }
  }
  return undefined;
}

async function startRedis(binary: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start: ${text}`)),
      10_000,
    );
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`redis-server exited: ${text}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, child };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
