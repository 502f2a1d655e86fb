/**
 * `npm start`: the only module with side effects. Reads the configuration, starts the embedded
 * Featurebase simulator when no upstream is configured, listens, and shuts down cleanly.
 */

import { ConfigError, type GatewayConfig, loadConfig } from './config.ts';
import { createGateway, GRAPHQL_PATH } from './graphql/gateway.ts';
import type { Readiness } from './graphql/plugins/health.ts';
import type { OperationReport } from './graphql/plugins/operation-report.ts';
import { createGatewayServer } from './http/server.ts';
import { drain } from './http/shutdown.ts';
import { DEMO_API_KEY, SEED_WEBHOOK_IDS, startSimulator } from './simulator/index.ts';
import { createSharedState } from './state/index.ts';
import { KeyedHash } from './state/keyed-hash.ts';
import { eventSummary } from './telemetry/event-summary.ts';
import { createLogger } from './telemetry/logger.ts';
import { createMetrics } from './telemetry/metrics.ts';
import { createMetricsServer } from './telemetry/metrics-server.ts';
import type { DroppedSpansReason } from './telemetry/span-queue.ts';
import { createTracing } from './telemetry/tracing.ts';
import {
  createFeaturebaseClient,
  createUpstreamAgent,
  type ResilienceEvent,
} from './upstream/index.ts';
import { SharedRateLimits } from './upstream/resilience/shared-rate-limits.ts';

type RefusalReason = Extract<ResilienceEvent, { type: 'rejected' }>['reason'];

/**
 * The hash of API keys in the shared state: `SHARED_STATE_SECRET` when set; with Redis outside
 * production, a fixed development secret (so that instances on one machine agree), said in the
 * log; in memory, a secret of this process. config.ts refuses production with Redis and no secret.
 */
function stateHash(config: GatewayConfig, logger: ReturnType<typeof createLogger>): KeyedHash {
  if (config.sharedStateSecret !== undefined) return new KeyedHash(config.sharedStateSecret);
  if (config.redisUrl === undefined) return KeyedHash.ofThisProcess();
  logger.warn(
    'SHARED_STATE_SECRET is not set: API keys are hashed for Redis with a development secret every checkout knows; set it (the same on every instance) outside development',
  );
  return new KeyedHash(DEVELOPMENT_STATE_SECRET);
}

const DEVELOPMENT_STATE_SECRET = 'featurebase-webhooks-gateway development state secret';

/** Beyond the longest a rotation call may take: the leader's marks in the shared state. */
const ROTATION_LEASE_MARGIN_MS = 5000;

async function main(): Promise<void> {
  let config: GatewayConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // What instances share: this process's memory, or Redis with REDIS_URL (it waits at most a
  // second for a first connection, then starts on memory and uses Redis once it answers).
  // Metrics are made once the upstream client exists; fallbacks before that are not counted.
  const stateEvents = { fallback: () => {} };
  const shared = await createSharedState(
    { redisUrl: config.redisUrl, onFallback: () => stateEvents.fallback() },
    logger,
  );

  const hash = stateHash(config, logger);

  const simulator = config.upstreamUrl
    ? undefined
    : await startSimulator({ host: '127.0.0.1', port: 0 });
  const upstreamUrl = config.upstreamUrl ?? simulator?.url;
  if (!upstreamUrl) throw new Error('unreachable: no upstream');

  const agent = createUpstreamAgent({ connections: config.resilience.maxConcurrentRequests });
  // Read at scrape time only, once the client below exists.
  const metrics = config.metrics
    ? createMetrics(() => client.health(), {
        maxOperationNames: config.metrics.maxOperationNames,
        stateMode: () => shared.mode(),
      })
    : undefined;
  if (metrics) stateEvents.fallback = () => metrics.sharedStateFallback();
  // Under attack these come by the thousand: one warning a second with the counts per reason.
  const refusedUpstream = eventSummary<RefusalReason>(
    logger,
    'upstream calls refused without reaching Featurebase',
  );
  const client = createFeaturebaseClient({
    baseUrl: upstreamUrl,
    dispatcher: agent,
    timeoutMs: config.upstreamTimeoutMs,
    totalTimeoutMs: config.upstreamTotalTimeoutMs,
    maxRetries: config.upstreamMaxRetries,
    ...config.resilience,
    // With Redis only: in one process the gate already knows all there is.
    ...(config.redisUrl === undefined
      ? {}
      : {
          sharedRateLimits: new SharedRateLimits({
            state: shared.state,
            hash,
            now: Date.now,
            maxKeys: 10_000,
          }),
        }),
    onAttempt: (event) => {
      metrics?.upstreamAttempt(event);
      logger.debug({ upstream: event }, 'upstream attempt');
    },
    // State changes matter to operators; each refused call only at debug (there can be many).
    onResilienceEvent: (event) => {
      metrics?.resilienceEvent(event);
      if (event.type === 'breaker') {
        logger.warn({ upstream: event }, `upstream circuit ${event.state}`);
        return;
      }
      if (event.type === 'rejected') refusedUpstream(event.reason);
      logger.debug({ upstream: event }, 'upstream protection');
    },
  });
  // Spans lost before the collector come by the thousand when it is down: one line a second.
  const droppedSpans = eventSummary<DroppedSpansReason>(
    logger,
    'trace spans dropped before reaching the collector',
  );
  const tracing = config.tracing
    ? createTracing(config.tracing, {
        onDropped: (reason, count) => {
          metrics?.traceSpansDropped(reason, count);
          droppedSpans(reason, count);
        },
      })
    : undefined;
  if (config.tracing) {
    const { endpoint, protocol, sampler, serviceName } = config.tracing;
    // The URL without its query (a collector may take a token there); never the headers.
    const { origin, pathname } = new URL(endpoint);
    logger.info(
      { endpoint: `${origin}${pathname}`, protocol, sampler, serviceName },
      'tracing on: exporting spans over OTLP/HTTP',
    );
  }
  let readiness: Readiness = 'starting';
  const gateway = createGateway({
    client,
    readiness: () => readiness,
    ...(metrics
      ? {
          onSharedRotation: () => metrics.sharedRotation(),
          onOperation: (report: OperationReport) => metrics.operation(report),
        }
      : {}),
    logger,
    credentialDefaults: {
      apiVersion: config.defaultApiVersion,
      fallbackApiKey: config.fallbackApiKey,
    },
    graphiql: simulator
      ? {
          defaultHeaders: { Authorization: `Bearer ${DEMO_API_KEY}` },
          ...(SEED_WEBHOOK_IDS[0] ? { exampleWebhookId: SEED_WEBHOOK_IDS[0] } : {}),
        }
      : {},
    introspection: config.introspection,
    limits: config.limits,
    corsOrigins: config.corsOrigins ?? [],
    // Demo mode: a frontend under development on this machine may call the demo gateway.
    corsAllowLocalhost: simulator !== undefined,
    ...(tracing ? { tracer: tracing.operations } : {}),
    sharedState: shared.state,
    stateHash: hash,
    rotationShareWindowMs: config.rotationShareWindowMs,
    // A rotation is never retried, so one attempt's time bounds it; the rest is the leader's
    // bookkeeping. A lease held longer only makes followers wait: it expires if its holder dies.
    rotationLeaseMs: config.upstreamTotalTimeoutMs + ROTATION_LEASE_MARGIN_MS,
  });

  const server = createGatewayServer(gateway, {
    limits: config.server,
    ...(metrics ? { onShed: (reason: string) => metrics.shed(reason) } : {}),
  });
  const metricsServer = metrics ? createMetricsServer(metrics.registry) : undefined;
  if (metricsServer && config.metrics) {
    const { host, port } = config.metrics;
    await new Promise<void>((resolve, reject) => {
      metricsServer.once('error', reject);
      metricsServer.listen(port, host, resolve);
    });
    const address = metricsServer.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    logger.info(
      { url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics` },
      'metrics listening',
    );
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  // Before anything says the gateway is up: a SIGTERM sent the moment the banner appears must
  // find its handler (a process preempted between the two used to die of the signal instead).
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    readiness = 'draining';
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: draining requests');
    const drained = await drain(server, config.shutdownGraceMs);
    // The spans of the requests just drained, then whatever is queued: within the export timeout.
    await tracing?.shutdown();
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    await agent.close();
    await shared.state.close();
    await simulator?.close();
    logger.info({ drained }, drained ? 'stopped' : 'stopped: requests were cut at the deadline');
    process.exit(drained ? 0 : 1);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  readiness = 'ready';
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const endpoint = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}${GRAPHQL_PATH}`;
  logger.info(
    { endpoint, upstream: simulator ? 'embedded simulator' : upstreamUrl },
    'gateway listening',
  );
  process.stderr.write(banner(endpoint, simulator ? simulator.url : undefined));
}

/** For people, on stderr, so stdout stays pure JSON logs. */
function banner(endpoint: string, simulatorUrl: string | undefined): string {
  const lines = [``, `Featurebase webhooks gateway: ${endpoint}  (GraphiQL: open it in a browser)`];
  if (simulatorUrl) {
    const id = SEED_WEBHOOK_IDS[0];
    const body = JSON.stringify({
      query: `mutation { refreshWebhookSecret(id: "${id}") { id secret updatedAt } }`,
    });
    lines.push(
      `Upstream: the embedded Featurebase simulator at ${simulatorUrl} (in memory, seeded with sample webhooks).`,
      `Demo API key: ${DEMO_API_KEY}`,
      ``,
      `Try it (rotates the signing secret of a sample webhook):`,
      `  curl -s ${endpoint} -H 'Content-Type: application/json' -H 'Authorization: Bearer ${DEMO_API_KEY}' -d '${body}'`,
    );
  }
  lines.push('', '');
  return lines.join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Failed to start: ${error instanceof Error ? error.message : 'unknown error'}\n`,
  );
  process.exit(1);
});
