/**
 * Builds the gateway: a Yoga server over the Pothos schema, wired to an upstream client. It
 * never listens (main.ts does), so tests drive it through `yoga.fetch` with no socket at all.
 */

import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import type { DocumentNode, GraphQLError } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { schema } from '../../schema/index.ts';
import { KeyedHash } from '../state/keyed-hash.ts';
import { MemoryState } from '../state/memory-state.ts';
import type { SharedState } from '../state/shared-state.ts';
import type { OperationTracer } from '../telemetry/trace-spans.ts';
import type { CallTrace } from '../upstream/call-trace.ts';
import type { FeaturebaseClient } from '../upstream/client.ts';
import { type CredentialDefaults, resolveCredentials } from '../webhooks/credentials.ts';
import { IdempotencyKeys } from '../webhooks/idempotency.ts';
import { RotationFlight } from '../webhooks/rotation-flight.ts';
import { type ContextDependencies, createContext, type GatewayContext } from './context.ts';
import { maskError, useLeakFreeErrors } from './errors.ts';
import { useGraphiQLAssets } from './graphiql/assets.ts';
import { type GraphiQLSetup, graphiqlOptions, renderGraphiQLPage } from './graphiql/page.ts';
import { useBodyLimit } from './plugins/body-limit.ts';
import { browserSafetyPlugins, corsOptions } from './plugins/browser-safety.ts';
import { type Readiness, useHealth } from './plugins/health.ts';
import { useLiteralTemplates } from './plugins/literal-templates.ts';
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
  /**
   * What instances share (src/state/): rotations in flight, rotations just done. Default: this
   * process's memory.
   */
  sharedState?: SharedState;
  /**
   * How API keys (and mutation arguments) are hashed before they name anything in the shared
   * state: the same secret on every instance sharing it (`SHARED_STATE_SECRET`). Default: a
   * secret of this process.
   */
  stateHash?: KeyedHash;
  /**
   * A rotation asked for this soon after one of the same webhook completed gets that one's
   * secret instead of rotating again (`ROTATION_SHARE_WINDOW_MS`). Default 2,000; `0`: off.
   */
  rotationShareWindowMs?: number;
  /**
   * How long a rotating instance holds the lease other instances wait on: longer than a
   * rotation can take with its retries (main.ts derives it from the upstream timeouts). Default
   * 30 s.
   */
  rotationLeaseMs?: number;
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
   * Texts with string literals run as their layout's template, the literals as variables
   * (src/graphql/plugins/literal-templates.ts). Default `true`; `false` for tests of what is
   * underneath (the shape validation cache).
   */
  literalTemplates?: boolean;
  /**
   * A span per operation and per Featurebase attempt (src/telemetry/tracing.ts), when tracing is
   * on. Default: none, and no tracing work at all.
   */
  tracer?: OperationTracer;
}

export type Gateway = YogaServerInstance<Record<string, unknown>, GatewayContext>;

export const GRAPHQL_PATH = '/graphql';

export const DEFAULT_ROTATION_SHARE_WINDOW_MS = 2000;
const DEFAULT_ROTATION_LEASE_MS = 30_000;

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
  /**
   * Whether the server in front may run Yoga's GraphQL stage itself for ordinary requests
   * (src/http/fast-path.ts, the direct path): every GraphQL-level hook of every plugin runs there
   * (Yoga's `getResultForParams`), while the HTTP-level work of the gateway's own plugins (see
   * `HTTP_LEVEL_HOOKS`) is done by the front itself. `false` as soon as a plugin
   * beyond those has an HTTP-level hook (`onRequest`, `onRequestParse`, `onResultProcess`,
   * `onResponse`) or Yoga `instrumentation`: every request then goes through Yoga's own handler,
   * so that no plugin is ever skipped.
   */
  directGraphQLStage: boolean;
  /** Yoga's handling of an error thrown out of its GraphQL stage: masked, and logged if masked. */
  handleError(error: unknown): GraphQLError[];
}

/**
 * Hooks of the HTTP stage, which the direct path does not run. For the gateway's own plugins and
 * Yoga's, the server in front does their work itself (a differential test holds it to Yoga's
 * answers, test/graphql/fast-path.test.ts): request ids, access log and Cache-Control (request
 * tracking), the body limit (read by the front), CSRF and CORS (only JSON requests without an
 * Origin take the direct path), /health and GraphiQL's assets (other routes), the last scrub of
 * errors (`scrubLeakyErrors`), Yoga's JSON request parser (`paramsOf`), its content negotiation
 * (`negotiateResponseType`) and its regular result processor (called as it is). How many of these
 * hooks the gateway installs is pinned by test/graphql/plugin-pipeline.test.ts, so that a new one
 * is mirrored in the front, deliberately, or is not there.
 */
export const HTTP_LEVEL_HOOKS = [
  'onRequest',
  'onRequestParse',
  'onResultProcess',
  'onResponse',
] as const;

/** Whether a plugin has a hook the direct path would not run (see `directGraphQLStage`). */
function hasHttpStage(plugin: Plugin): boolean {
  const hooks = plugin as Record<string, unknown>;
  return HTTP_LEVEL_HOOKS.some((hook) => hooks[hook] !== undefined) || 'instrumentation' in plugin;
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
  const state = options.sharedState ?? new MemoryState();
  const leaseMs = options.rotationLeaseMs ?? DEFAULT_ROTATION_LEASE_MS;
  const dependencies: ContextDependencies = {
    client: options.client,
    credentialDefaults: options.credentialDefaults,
    limits,
    rotations: new RotationFlight({
      state,
      shareWindowMs: options.rotationShareWindowMs ?? DEFAULT_ROTATION_SHARE_WINDOW_MS,
      leaseMs,
      ...(options.onSharedRotation ? { onShared: options.onSharedRotation } : {}),
    }),
    idempotency: new IdempotencyKeys({
      state,
      hash: options.stateHash ?? KeyedHash.ofThisProcess(),
      // A first attempt is in flight at most as long as a rotation may be.
      pendingMs: leaseMs,
    }),
  };
  const spans = options.tracer ? operationSpans(options.tracer) : undefined;
  // Plugins beyond the gateway's own fixed set: any HTTP-level hook among them turns the direct
  // path off (see `directGraphQLStage`).
  const added: Plugin[] = [
    ...(options.onOperation ? [useOperationReport(options.onOperation)] : []),
    ...(spans ? [spans.plugin] : []),
    ...(options.plugins ?? []),
  ];
  const yogaLog = yogaLogger(logger);
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
    logging: yogaLog,
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
      // After the gateway's own: the operation's span starts once every other plugin has
      // accepted the parameters.
      ...added,
      // Last: every other plugin's onParams sees the request as the client sent it.
      ...(options.literalTemplates === false ? [] : [useLiteralTemplates(limits.maxTokens)]),
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
    directGraphQLStage: !added.some(hasHttpStage),
    handleError: (error) => handleErrorAsYoga(error, yogaLog),
  });
  return gateway;
}

/**
 * Yoga's `handleError` (not exported) for this gateway, which always masks: each error of an
 * aggregate on its own, aborts dropped, anything else masked, and logged when masking hid it.
 */
function handleErrorAsYoga(error: unknown, log: ReturnType<typeof yogaLogger>): GraphQLError[] {
  const errors = new Set<GraphQLError>();
  const visit = (one: unknown) => {
    if (typeof one === 'object' && one !== null && 'errors' in one && Array.isArray(one.errors)) {
      for (const inner of one.errors) visit(inner);
    } else if (isAbortError(one)) {
      log.debug('Request aborted');
    } else {
      const masked = maskError(one);
      if (masked !== one) log.error(one);
      errors.add(masked);
    }
  };
  visit(error);
  return [...errors];
}

/** As Yoga tells them: a DOMException named AbortError or TimeoutError. */
function isAbortError(value: unknown): boolean {
  return (
    value instanceof Error &&
    value.constructor.name === 'DOMException' &&
    (value.name === 'AbortError' || value.name === 'TimeoutError')
  );
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
