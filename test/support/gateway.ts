/**
 * A gateway under test: the real simulator on a loopback port 0, the real upstream client with a
 * real undici Agent, and the Yoga app driven through `yoga.fetch` (no gateway socket needed).
 * Logs are captured in memory, at debug level, so tests can check what was (not) written.
 */

import { Writable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, print } from 'graphql';
import type { Agent } from 'undici';
import type { LogLevel } from '../../src/config.ts';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/graphql/gateway.ts';
import {
  DEMO_API_KEY,
  type FeaturebaseSimulator,
  type StartSimulatorOptions,
  startSimulator,
} from '../../src/simulator/index.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import {
  createFeaturebaseClient,
  createUpstreamAgent,
  type FeaturebaseClientOptions,
} from '../../src/upstream/index.ts';

export const API_KEY = DEMO_API_KEY;

export interface GraphQLResponse<TData> {
  status: number;
  headers: Headers;
  body: {
    data?: TData | null;
    errors?: {
      message: string;
      path?: (string | number)[];
      extensions?: Record<string, unknown> & { code?: string };
    }[];
  };
  /** The raw response text, for leak checks. */
  text: string;
}

export interface TestGatewayOptions {
  simulator?: StartSimulatorOptions;
  client?: Partial<Omit<FeaturebaseClientOptions, 'baseUrl' | 'dispatcher'>>;
  fallbackApiKey?: string;
  defaultApiVersion?: string;
  introspection?: boolean;
  graphiql?: GatewayOptions['graphiql'];
  /** More Yoga plugins, after the gateway's own. */
  plugins?: GatewayOptions['plugins'];
  /** Spans per operation and upstream attempt (test/graphql/tracing.test.ts). Default: off. */
  tracer?: GatewayOptions['tracer'];
  /** Literal templates on (default) or off: off for tests of the shape validation cache. */
  literalTemplates?: boolean;
  /** ROTATION_SHARE_WINDOW_MS; default 0 here (the gateway's own default is 2,000). */
  rotationShareWindowMs?: number;
  /** Request limits other than the defaults (`DEFAULT_LIMITS`). */
  limits?: GatewayOptions['limits'];
}

export interface TestGateway {
  gateway: Gateway;
  simulator: FeaturebaseSimulator;
  upstreamUrl: string;
  /** Everything the gateway logged, one JSON line per entry. */
  logs(): string;
  /** Sends a GraphQL operation with the demo key (override or remove headers with `headers`). */
  graphql<TData = Record<string, unknown>, TVariables = Record<string, unknown>>(
    document: string | DocumentNode | TypedDocumentNode<TData, TVariables>,
    variables?: TVariables,
    headers?: Record<string, string | null>,
  ): Promise<GraphQLResponse<TData>>;
  close(): Promise<void>;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const running = await startSimulator({ host: '127.0.0.1', port: 0, ...options.simulator });
  const agent: Agent = createUpstreamAgent();
  const { logger, captured } = captureLogger();
  const client = createFeaturebaseClient({
    baseUrl: running.url,
    dispatcher: agent,
    timeoutMs: 2000,
    // The fault switch makes Featurebase answer 401/403 for a key it accepts the rest of the
    // time: remembering that refusal would carry one test's fault into the next. The suites of
    // that memory turn it on (test/hostile/fairness.test.ts).
    rejectedKeyTtlMs: 0,
    onAttempt: (event) => logger.debug({ upstream: event }, 'upstream attempt'),
    ...options.client,
  });
  const gateway = createGateway({
    client,
    logger,
    credentialDefaults: {
      apiVersion: options.defaultApiVersion ?? '2026-01-01.nova',
      fallbackApiKey: options.fallbackApiKey,
    },
    ...(options.introspection === undefined ? {} : { introspection: options.introspection }),
    ...(options.graphiql === undefined ? {} : { graphiql: options.graphiql }),
    ...(options.plugins === undefined ? {} : { plugins: options.plugins }),
    ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.literalTemplates === undefined
      ? {}
      : { literalTemplates: options.literalTemplates }),
    // Suites reset the simulator between tests (secrets back to their seeds): a rotation shared
    // from an earlier test's would read a seeded secret, or not, by how fast the tests ran. So
    // each rotation is its own unless a test asks for a window.
    rotationShareWindowMs: options.rotationShareWindowMs ?? 0,
  });

  return {
    gateway,
    simulator: running.simulator,
    upstreamUrl: running.url,
    logs: () => captured.join(''),
    graphql: (document, variables, headers) =>
      sendGraphQL(
        gateway,
        typeof document === 'string' ? document : print(document),
        variables as Record<string, unknown> | undefined,
        headers,
      ),
    async close() {
      await agent.close();
      await running.close();
    },
  };
}

/**
 * A GraphQL POST through `gateway.fetch` (no socket), with the demo key: override or remove
 * headers with `headers` (a `null` value removes one).
 */
export async function sendGraphQL<TData = Record<string, unknown>>(
  gateway: Gateway,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string | null> = {},
): Promise<GraphQLResponse<TData>> {
  const requestHeaders: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json',
    authorization: `Bearer ${API_KEY}`,
  };
  for (const [name, value] of Object.entries(headers)) {
    if (value === null) delete requestHeaders[name.toLowerCase()];
    else requestHeaders[name.toLowerCase()] = value;
  }
  const response = await gateway.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: requestHeaders,
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text), text };
}

/** A logger that writes into memory (debug level by default), for checks of what was (not) logged. */
export function captureLogger(level: LogLevel = 'debug') {
  const captured: string[] = [];
  const logger = createLogger(
    level,
    new Writable({
      write(chunk, _encoding, done) {
        captured.push(String(chunk));
        done();
      },
    }),
  );
  return { logger, captured };
}

/** The `extensions.code` of every error, in order. */
export function errorCodes(response: GraphQLResponse<unknown>): (string | undefined)[] {
  return (response.body.errors ?? []).map((error) => error.extensions?.code);
}
