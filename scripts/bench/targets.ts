/**
 * Starting the three servers of the bench, each in its own process, and the gateway's start-up
 * time: from spawn to the first correct answer to a GraphQL request.
 */

import { tenantKey, WEBHOOK_IDS } from './fixtures.ts';
import { checkOnce } from './load.ts';
import { Child } from './processes.ts';
import {
  BASELINE_READY,
  type BaselineChildConfig,
  GATEWAY_READY,
  UPSTREAM_READY,
  type UpstreamChildConfig,
} from './protocol.ts';
import { SCENARIOS } from './scenarios.ts';

export interface Started {
  child: Child;
  url: string;
}

export async function startUpstream(
  config: UpstreamChildConfig,
  cpu: number | undefined,
  timeoutMs: number,
): Promise<Started> {
  const child = new Child({
    name: 'upstream (simulator)',
    entry: 'scripts/bench/upstream.ts',
    args: [JSON.stringify(config)],
    cpu,
  });
  const [, url = ''] = await child.waitFor(UPSTREAM_READY, timeoutMs);
  return { child, url };
}

export async function startBaseline(
  config: BaselineChildConfig,
  cpu: number | undefined,
  timeoutMs: number,
): Promise<Started> {
  const child = new Child({
    name: 'baseline proxy',
    entry: 'scripts/bench/baseline-proxy.ts',
    args: [JSON.stringify(config)],
    cpu,
  });
  const [, url = ''] = await child.waitFor(BASELINE_READY, timeoutMs);
  return { child, url };
}

/** The gateway's configuration variables (src/config.ts): none is inherited from this shell. */
const GATEWAY_SETTING =
  /^(HOST|PORT|LOG_LEVEL|FEATUREBASE_|UPSTREAM_|GRAPHQL_|MAX_|MUTATIONS_PER_OPERATION|ENTITY_PAGES_PER_OPERATION|CORS_ORIGINS|SHUTDOWN_GRACE_MS|REDIS_URL|SHARED_STATE_SECRET|ROTATION_SHARE_WINDOW_MS)/;

export interface GatewayOptions {
  upstreamUrl: string;
  logLevel: string;
  cpu: number | undefined;
  timeoutMs: number;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  nodeFlags?: readonly string[];
  /** dist/main.mjs under plain node (true), or src/main.ts through tsx. */
  built: boolean;
  /** NODE_ENV for the gateway; undefined leaves it unset. */
  nodeEnv: string | undefined;
  /** More of the gateway's variables (e.g. REDIS_URL for the scale-out bench). */
  env?: Readonly<Record<string, string>>;
}

export interface StartedGateway extends Started {
  /** Spawn to the "listening" banner. */
  listeningMs: number;
  /** Spawn to the first correct answer to a GraphQL request. */
  firstAnswerMs: number;
}

/**
 * `src/main.ts` as in production: every limit and protection at its default, only the upstream
 * URL, the log level and a free port set. Its start-up is timed on the way.
 */
export async function startGateway(options: GatewayOptions): Promise<StartedGateway> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !GATEWAY_SETTING.test(name)) env[name] = value;
  }
  if (options.nodeEnv === undefined) delete env['NODE_ENV'];
  else env['NODE_ENV'] = options.nodeEnv;
  Object.assign(env, {
    FEATUREBASE_API_URL: options.upstreamUrl,
    LOG_LEVEL: options.logLevel,
    HOST: '127.0.0.1',
    PORT: '0',
    // Metrics on, as in production, on a free port (several gateways run side by side here).
    METRICS_PORT: '0',
    ...options.env,
  });
  const child = new Child({
    name: 'gateway',
    entry: options.built ? 'dist/main.mjs' : 'src/main.ts',
    typescript: !options.built,
    env,
    replaceEnv: true,
    cpu: options.cpu,
    nodeFlags: options.nodeFlags ?? [],
  });
  try {
    const [, url = ''] = await child.waitFor(GATEWAY_READY, options.timeoutMs);
    const listeningMs = performance.now() - child.spawnedAt;
    await firstAnswer(url, child, options.timeoutMs);
    const firstAnswerMs = performance.now() - child.spawnedAt;
    return { child, url, listeningMs, firstAnswerMs };
  } catch (error) {
    // A gateway that did not start is not left running beside the next one.
    await child.stop();
    throw error;
  }
}

/** Sends `webhook(id)` until it is answered correctly (it should be, at the first try). */
async function firstAnswer(url: string, child: Child, timeoutMs: number): Promise<void> {
  const slot = { apiKey: tenantKey(0), webhookId: WEBHOOK_IDS[0] ?? '' };
  const deadline = performance.now() + timeoutMs;
  let lastProblem = '';
  while (performance.now() < deadline) {
    if (!child.alive)
      throw new Error(`The gateway exited while starting. Its output:\n${child.tail}`);
    try {
      const problem = await checkOnce(url, SCENARIOS.b, 'gateway', slot);
      if (problem === undefined) return;
      lastProblem = problem;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(
    `The gateway did not answer a GraphQL request correctly within ${timeoutMs} ms: ${lastProblem}\nIts output:\n${child.tail}`,
  );
}
