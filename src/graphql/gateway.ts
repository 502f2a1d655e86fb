/**
 * Builds the gateway: a Yoga server over the Pothos schema, wired to an upstream client. It
 * never listens (main.ts does), so tests drive it through `yoga.fetch` with no socket at all.
 */

import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { schema } from '../../schema/index.ts';
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
import { requestIdOf, useRequestTracking } from './plugins/request-tracking.ts';
import { useShapeValidationCache } from './plugins/shape-validation-cache.ts';
import type { DirectExecution } from './prepared-operations.ts';
import { documentCache, parseErrorCache } from './query-text-cache.ts';
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
}

export type Gateway = YogaServerInstance<Record<string, unknown>, GatewayContext>;

export const GRAPHQL_PATH = '/graphql';

/** What the Node server in front of Yoga reads of the gateway it fronts (src/http/fast-path.ts). */
export interface GatewayInternals {
  /** The access log: one log, whichever path answered. */
  logger: Logger;
  /** The limits the gateway was built with, so the server in front cannot apply others. */
  limits: RequestLimits;
  /** How to run an accepted query text as this gateway's Yoga would. */
  direct: DirectExecution;
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
  const contextFor = (request: Request, nodeRequest?: unknown) =>
    createContext(dependencies, request, requestIdOf(request), clientAddressOf(nodeRequest));
  const yogaLog = yogaLogger(logger);
  const documents = documentCache();
  const gateway = createYoga<Record<string, unknown>, GatewayContext>({
    schema,
    // Enforced by `useBodyLimit`, which skips Yoga's per-request counting stream when the
    // Content-Length already says how long the body is.
    maxRequestBodySize: false,
    // Yoga's parse caches, bounded in bytes, minus texts with a string literal
    // (src/graphql/query-text-cache.ts); prepared operations read the same documents.
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
    // Texts Yoga has accepted are executed again without these plugins' execution hooks
    // (src/graphql/prepared-operations.ts): a plugin that must see every execution (onContextBuilding,
    // onExecute, onExecutionResult) has to be mirrored in `direct` below.
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
    ],
    // `req`: Node's request, in the server context of the Node handler and of the front.
    context: ({ request, req }) => contextFor(request, req),
  });
  internals.set(gateway, {
    logger,
    limits,
    knownTenant: (headers) => {
      const caller = resolveCredentials(headers, options.credentialDefaults);
      return caller.ok && options.client.isAcceptedKey(caller.credentials.apiKey);
    },
    direct: {
      schema,
      documents,
      contextFor,
      // As Yoga's own wrapper around `maskError`: what is hidden from the caller is logged.
      maskError: (error) => {
        const masked = maskError(error);
        if (masked !== error) yogaLog.error(error);
        return masked;
      },
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
