/**
 * Builds the gateway: a Yoga server over the Pothos schema, wired to an upstream client. It
 * never listens (main.ts does), so tests drive it through `yoga.fetch` with no socket at all.
 */

import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import type { DocumentNode } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { schema } from '../../schema/index.ts';
import type { OperationTracer } from '../telemetry/trace-spans.ts';
import type { CallTrace } from '../upstream/call-trace.ts';
import type { FeaturebaseClient } from '../upstream/client.ts';
import { type CredentialDefaults, resolveCredentials } from '../webhooks/credentials.ts';
import { SingleFlight } from '../webhooks/single-flight.ts';
import { type ContextDependencies, createContext, type GatewayContext } from './context.ts';
import { maskError, useLeakFreeErrors } from './errors.ts';
import { useGraphiQLAssets } from './graphiql/assets.ts';
import { type GraphiQLSetup, graphiqlOptions, renderGraphiQLPage } from './graphiql/page.ts';
import { useBodyLimit } from './plugins/body-limit.ts';
import { browserSafetyPlugins, corsOptions } from './plugins/browser-safety.ts';
import { type Readiness, useHealth } from './plugins/health.ts';
import { useNoIntrospection } from './plugins/no-introspection.ts';
import { type OperationReport, useOperationReport } from './plugins/operation-report.ts';
import { operationSpans } from './plugins/operation-spans.ts';
import { requestIdOf, useRequestTracking } from './plugins/request-tracking.ts';
import { useShapeValidationCache } from './plugins/shape-validation-cache.ts';
import { type BoundedTextCache, documentCache, parseErrorCache } from './query-text-cache.ts';
import { DEFAULT_LIMITS, type RequestLimits, requestLimitPlugins } from './request-limits.ts';
import { yogaLogger } from './yoga-logger.ts';

export interface GatewayOptions {
  client: FeaturebaseClient;
  credentialDefaults: CredentialDefaults;
  logger: Logger;
  /** Request limits; each one left out keeps its default (`DEFAULT_LIMITS`). */
  limits?: Partial<RequestLimits>;
  /** Browser origins allowed by CORS. Default: none. */
  corsOrigins?: readonly string[];
  /** Also allow `http://localhost:*` and `http://127.0.0.1:*` (demo mode only). Default `false`. */
  corsAllowLocalhost?: boolean;
  /** GraphiQL at `/graphql` for browsers; `false` turns it off. Default: on, with the examples. */
  graphiql?: false | GraphiQLSetup;
  /** `__schema`/`__type` for clients. Default `true`; `_service { sdl }` works either way. */
  introspection?: boolean;
  /** What `GET /ready` says (main.ts: ready once listening, draining once stopping). Default: ready. */
  readiness?: () => Readiness;
  /** Told each time a rotation is served by one already in flight (metrics). */
  onSharedRotation?: () => void;
  /** Told of each GraphQL operation when it ends, whichever path served it (metrics). */
  onOperation?: (report: OperationReport) => void;
  /**
   * More Yoga plugins, after the gateway's own. They run for every request on every path, like
   * the gateway's own (src/http/fast-path.ts runs Yoga's own handler). Default: none.
   */
  plugins?: readonly Plugin[];
  /**
   * A span per operation and per Featurebase attempt (src/telemetry/tracing.ts), when tracing is
   * on. Default: none, and no tracing work at all.
   */
  tracer?: OperationTracer;
}

export type Gateway = YogaServerInstance<Record<string, unknown>, GatewayContext>;

export const GRAPHQL_PATH = '/graphql';

/** What the Node server in front of Yoga reads of the gateway it fronts (src/http/fast-path.ts). */
export interface GatewayInternals {
  /** The access log: one log, whichever path answered. */
  logger: Logger;
  /** The limits the gateway was built with, so the server in front cannot apply others. */
  limits: RequestLimits;
  /** Yoga's parse cache: what it keeps is checked by tests (never a text with a literal). */
  documents: BoundedTextCache<DocumentNode>;
  /**
   * Whether the request's credentials are a key Featurebase accepted lately: such tenants are
   * served first when the gateway is short of CPU (src/http/event-loop-pressure.ts).
   */
  knownTenant(headers: Pick<Headers, 'get'>): boolean;
}

const internals = new WeakMap<Gateway, GatewayInternals>();

export function internalsOf(gateway: Gateway): GatewayInternals {
  const found = internals.get(gateway);
  if (!found) throw new Error('internalsOf: this gateway was not made by createGateway');
  return found;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { logger } = options;
  const limits: RequestLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const dependencies: ContextDependencies = {
    client: options.client,
    credentialDefaults: options.credentialDefaults,
    limits,
    rotations: new SingleFlight(options.onSharedRotation),
  };
  const spans = options.tracer ? operationSpans(options.tracer) : undefined;
  const contextFor = (request: Request, nodeRequest?: unknown, trace?: CallTrace) =>
    createContext(dependencies, request, requestIdOf(request), clientAddressOf(nodeRequest), trace);
  const documents = documentCache();
  const gateway = createYoga<Record<string, unknown>, GatewayContext>({
    schema,
    // Enforced by `useBodyLimit`, which skips Yoga's per-request counting stream when the
    // Content-Length already says how long the body is.
    maxRequestBodySize: false,
    // Yoga's parse caches, bounded in bytes, minus texts with a string literal
    // (src/graphql/query-text-cache.ts).
    parserAndValidationCache: { documentCache: documents, errorCache: parseErrorCache() },
    batching: limits.batchLimit > 0 ? { limit: limits.batchLimit } : false,
    // No file uploads here: a multipart body would only be one more thing to parse.
    multipart: false,
    cors: corsOptions(options.corsOrigins ?? [], options.corsAllowLocalhost ?? false),
    graphqlEndpoint: GRAPHQL_PATH,
    // Yoga's bare liveness answer; `/health` (below) also reports the upstream's state.
    healthCheckEndpoint: '/health/live',
    landingPage: false,
    graphiql: options.graphiql === false ? false : graphiqlOptions(options.graphiql ?? {}),
    renderGraphiQL: renderGraphiQLPage,
    maskedErrors: { maskError },
    logging: yogaLogger(logger),
    // Every request runs every hook of these plugins, whichever path serves it: Yoga's own
    // Node handler, or its request handler behind the server's fast path (src/http/fast-path.ts).
    plugins: [
      useHealth(options.client, options.readiness ?? (() => 'ready')),
      ...(options.graphiql === false ? [] : [useGraphiQLAssets()]),
      useRequestTracking(logger),
      useBodyLimit(limits.maxRequestBodyBytes),
      useLeakFreeErrors(),
      ...browserSafetyPlugins(),
      ...requestLimitPlugins(limits),
      // "Did you mean …?" would rebuild the schema for anyone, introspection or not.
      blockFieldSuggestionsPlugin(),
      ...(options.introspection === false ? [useNoIntrospection()] : []),
      // Texts with a string literal are kept in no cache: their validation verdicts are kept by
      // shape, never with the literals (src/graphql/plugins/shape-validation-cache.ts).
      useShapeValidationCache(),
      ...(options.onOperation ? [useOperationReport(options.onOperation)] : []),
      // After the gateway's own: its span starts once every other plugin has accepted the
      // parameters.
      ...(spans ? [spans.plugin] : []),
      ...(options.plugins ?? []),
    ],
    // `req`: Node's request, in the server context of the Node handler and of the front. The
    // initial context is the object the operation's span is kept under.
    // The fast path gives no server context: its request view carries Node's socket instead.
    context: (initial) =>
      contextFor(initial.request, initial['req'] ?? initial.request, spans?.traceOf(initial)),
  });
  internals.set(gateway, {
    logger,
    limits,
    documents,
    knownTenant: (headers) => {
      const caller = resolveCredentials(headers, options.credentialDefaults);
      return caller.ok && options.client.isAcceptedKey(caller.credentials.apiKey);
    },
  });
  return gateway;
}

/**
 * The client's network address, for requests whose API key Featurebase has not accepted yet:
 * they share the upstream by address (src/upstream/resilience/fair-bulkhead.ts). `undefined` without a
 * socket (`yoga.fetch`).
 */
function clientAddressOf(nodeRequest: unknown): string | undefined {
  if (typeof nodeRequest !== 'object' || nodeRequest === null || !('socket' in nodeRequest)) {
    return undefined;
  }
  const { socket } = nodeRequest;
  if (typeof socket !== 'object' || socket === null || !('remoteAddress' in socket)) {
    return undefined;
  }
  return typeof socket.remoteAddress === 'string' ? socket.remoteAddress : undefined;
}
