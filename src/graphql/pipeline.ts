/**
 * Yoga's request lifecycle, run over the gateway's own installed plugins, for requests the
 * server in front has already read (src/http/fast-path.ts).
 *
 * Why not call Yoga: its orchestration passes every step through promise adapters
 * (`@whatwg-node/promise-helpers`: an object with closures per step, even when nothing is
 * asynchronous) and builds a Fetch `Request` with a body stream. Measured on the bench's
 * rotation, that plumbing took a third of the gateway's throughput. Why not skip plugins (as the
 * fast path once did for texts Yoga had accepted): a plugin added the usual way (metrics,
 * tracing) would then silently miss most requests.
 *
 * So this runs the very hooks Yoga runs, of the very plugin list Yoga built (its internal plugins
 * included: request parsing, result processing, CORS, masking), in Yoga's order, with Yoga's
 * arguments, and goes on synchronously whenever a hook returns a plain value:
 *
 *   onRequest → onRequestParse (+ done) → onParams → parse/validate/context/execute
 *   (envelop's own `getEnveloped`, so every envelop hook runs as in Yoga) → onExecutionResult
 *   → onResultProcess → the result processor's Response → onResponse
 *
 * A plugin with a hook kind this does not run (`instrumentation`, today) makes
 * `createPluginPipeline` return `undefined`: the server then hands every request to Yoga whole,
 * slower but never skipping a plugin (src/http/fast-path.ts logs it at start-up). The hook kinds
 * that run once per server (onPluginInit, onYogaInit, onSchemaChange, disposal) are Yoga's
 * business and have run when the gateway was built. A test counts each hook on every path
 * (test/graphql/plugin-pipeline.test.ts) and a differential test compares answers with Yoga's
 * (test/graphql/fast-path.test.ts).
 */

import {
  type DocumentNode,
  type ExecutionArgs,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
} from 'graphql';
import { createGraphQLError, type GraphQLParams, type YogaLogger } from 'graphql-yoga';
import type { Gateway } from './gateway.ts';

/** What the pipeline hands the server back: a Fetch response, as Yoga's would be. */
export type PipelineResponse = Response;

/** The server context Yoga's Node handler gives: Node's request and response, and `waitUntil`. */
export type ServerContext = Record<string, unknown>;

export interface PluginPipeline {
  /**
   * Serves one request through every plugin. `request` needs only what Yoga's plugins read: the
   * method, URL, headers, signal, and `json()` (the body, already parsed by the server).
   */
  handle(
    request: Request,
    serverContext: ServerContext,
  ): PipelineResponse | Promise<PipelineResponse>;
}

/** The per-request hook kinds this runs; any other kind on a plugin disables the pipeline. */
export const PIPELINE_HOOKS = [
  'onRequest',
  'onRequestParse',
  'onParams',
  'onEnveloped',
  'onParse',
  'onValidate',
  'onContextBuilding',
  'onExecute',
  'onSubscribe',
  'onExecutionResult',
  'onResultProcess',
  'onResponse',
] as const;

/** Run once when Yoga is built, not per request: nothing to run here. */
const SERVER_LIFETIME_HOOKS = new Set([
  'onPluginInit',
  'onYogaInit',
  'onSchemaChange',
  'onDispose',
  'contextErrorHandler',
]);

const RUN_HERE = new Set<string>(PIPELINE_HOOKS);

type Hook = (payload: Record<string, unknown>) => unknown;

interface EnvelopedSteps {
  parse(source: string): DocumentNode;
  validate(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[];
  contextFactory(): unknown;
  execute(args: ExecutionArgs): unknown;
  subscribe(args: ExecutionArgs): unknown;
  schema: GraphQLSchema;
}

/** What this reads of the Yoga server behind the gateway (public members, typed loosely by Yoga). */
interface YogaInternals {
  plugins: readonly Record<string, unknown>[];
  getEnveloped(context: Record<string, unknown>): EnvelopedSteps;
  fetchAPI: { Response: typeof Response; URL: typeof URL };
  logger: YogaLogger;
  maskedErrorsOpts: {
    maskError(error: unknown, message: string, isDev?: boolean): Error;
    errorMessage: string;
    isDev?: boolean;
  } | null;
  waitUntil?: (promise: Promise<unknown>) => void;
}

type ResultProcessor = (
  result: unknown,
  fetchAPI: YogaInternals['fetchAPI'],
  acceptedMediaType: string,
) => PipelineResponse | Promise<PipelineResponse>;

/**
 * The pipeline over this gateway's plugins, or `undefined` when one of them has a per-request
 * hook kind it does not run (the caller then serves everything through Yoga). `unsupported`
 * names that hook kind.
 */
export function createPluginPipeline(
  gateway: Gateway,
):
  | { pipeline: PluginPipeline; unsupported?: undefined }
  | { pipeline?: undefined; unsupported: string } {
  const yoga = gateway as unknown as YogaInternals;
  const unsupported = unsupportedHook(yoga.plugins);
  if (unsupported) return { unsupported };
  return { pipeline: new Pipeline(yoga) };
}

function unsupportedHook(plugins: readonly Record<string, unknown>[]): string | undefined {
  for (const plugin of plugins) {
    if (!plugin) continue;
    for (const [name, value] of Object.entries(plugin)) {
      if (value === undefined || RUN_HERE.has(name) || SERVER_LIFETIME_HOOKS.has(name)) continue;
      if (name === 'instrumentation' || /^on[A-Z]/.test(name)) return name;
    }
  }
  return undefined;
}

function hooksOf(plugins: readonly Record<string, unknown>[], name: string): Hook[] {
  const hooks: Hook[] = [];
  for (const plugin of plugins) {
    const hook = plugin?.[name];
    // Unbound, as Yoga and the server adapter call them.
    if (typeof hook === 'function') hooks.push(hook as Hook);
  }
  return hooks;
}

/** As Yoga tells them: anything with an `errors` property is an aggregate. */
function isAggregate(value: unknown): value is { errors: readonly unknown[] } {
  return typeof value === 'object' && value !== null && 'errors' in value;
}

/** As Yoga tells them: a DOMException named AbortError or TimeoutError. */
function isAbortError(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    value.constructor?.name === 'DOMException' &&
    ((value as DOMException).name === 'AbortError' ||
      (value as DOMException).name === 'TimeoutError')
  );
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/**
 * Calls `hooks` in order with `payload`, waiting only for those that return a promise; stops
 * after the hook during which `stopped()` became true. `onDone` receives each hook's return value
 * (for the hooks that return an after-hook). One payload object serves every hook of a stage:
 * what a hook may change is read through getters, so each hook sees the current value, as it
 * does in Yoga, without an object and its closures per hook call.
 */
function runHooks(
  hooks: readonly Hook[],
  payload: Record<string, unknown>,
  stopped?: () => boolean,
  onDone?: (returned: unknown) => void,
  from = 0,
): undefined | Promise<void> {
  for (let index = from; index < hooks.length; index++) {
    const returned = (hooks[index] as Hook)(payload);
    if (isPromise(returned)) {
      return returned.then((value) => {
        onDone?.(value);
        if (stopped?.()) return;
        return runHooks(hooks, payload, stopped, onDone, index + 1);
      });
    }
    onDone?.(returned);
    if (stopped?.()) return undefined;
  }
  return undefined;
}

/** `then` without a promise for a plain value: the pipeline stays synchronous when it can. */
function andThen<T, U>(value: T | Promise<T>, next: (value: T) => U | Promise<U>): U | Promise<U> {
  return isPromise(value) ? (value as Promise<T>).then(next) : next(value as T);
}

/** As `andThen`, with errors (thrown or rejected) handed to `recover`. */
function attempt<U>(
  run: () => U | Promise<U>,
  recover: (error: unknown) => U | Promise<U>,
): U | Promise<U> {
  let value: U | Promise<U>;
  try {
    value = run();
  } catch (error) {
    return recover(error);
  }
  return isPromise(value) ? (value as Promise<U>).then(undefined, recover) : value;
}

/** A URL parsed only if some hook reads it, as Yoga's and the server adapter's lazy URL. */
function lazyUrl(request: Request, fetchAPI: YogaInternals['fetchAPI']): () => URL {
  let url: URL | undefined;
  return () => {
    url ??= new fetchAPI.URL(request.url, 'http://localhost');
    return url;
  };
}

class Pipeline implements PluginPipeline {
  readonly #yoga: YogaInternals;
  readonly #onRequest: Hook[];
  readonly #onResponse: Hook[];
  readonly #onRequestParse: Hook[];
  readonly #onParams: Hook[];
  readonly #onExecutionResult: Hook[];
  readonly #onResultProcess: Hook[];

  constructor(yoga: YogaInternals) {
    this.#yoga = yoga;
    this.#onRequest = hooksOf(yoga.plugins, 'onRequest');
    this.#onResponse = hooksOf(yoga.plugins, 'onResponse');
    this.#onRequestParse = hooksOf(yoga.plugins, 'onRequestParse');
    this.#onParams = hooksOf(yoga.plugins, 'onParams');
    this.#onExecutionResult = hooksOf(yoga.plugins, 'onExecutionResult');
    this.#onResultProcess = hooksOf(yoga.plugins, 'onResultProcess');
  }

  handle(
    request: Request,
    serverContext: ServerContext,
  ): PipelineResponse | Promise<PipelineResponse> {
    const { fetchAPI } = this.#yoga;
    if (!serverContext['waitUntil'] && this.#yoga.waitUntil) {
      serverContext['waitUntil'] = this.#yoga.waitUntil;
    }
    // The server adapter's stage: onRequest may answer, swap the request or the handler.
    let current = request;
    let early: PipelineResponse | undefined;
    let handler: (request: Request, context: ServerContext) => unknown = (req, context) =>
      this.#yogaHandle(req, context);
    const url = lazyUrl(request, fetchAPI);
    const requestHooks = runHooks(
      this.#onRequest,
      {
        get request() {
          return current;
        },
        setRequest: (next: Request) => {
          current = next;
        },
        serverContext,
        fetchAPI,
        get url() {
          return url();
        },
        get requestHandler() {
          return handler;
        },
        setRequestHandler: (next: typeof handler) => {
          handler = next;
        },
        endResponse: (response: PipelineResponse | undefined) => {
          early = response;
        },
      },
      () => early !== undefined,
    );
    const answer = andThen(
      requestHooks,
      () =>
        early ?? (handler(current, serverContext) as PipelineResponse | Promise<PipelineResponse>),
    );
    return andThen(answer, (response) => this.#respond(current, response, serverContext));
  }

  #respond(request: Request, response: PipelineResponse, serverContext: ServerContext) {
    let final = response;
    const done = runHooks(this.#onResponse, {
      request,
      get response() {
        return final;
      },
      serverContext,
      setResponse: (next: PipelineResponse) => {
        final = next;
      },
      fetchAPI: this.#yoga.fetchAPI,
    });
    return andThen(done, () => final);
  }

  /** Yoga's `handle`: parse the request, run the operation(s), process the result. */
  #yogaHandle(request: Request, serverContext: ServerContext) {
    return attempt(
      () =>
        andThen(this.#parseRequest(request, serverContext), (parsed) => {
          if ('response' in parsed) return parsed.response;
          const { params } = parsed;
          const result = Array.isArray(params)
            ? Promise.all(
                params.map((one: GraphQLParams) =>
                  Promise.resolve()
                    .then(() => this.#resultForParams(one, request, Object.create(serverContext)))
                    .catch((error: unknown) => ({ errors: this.#handleError(error) })),
                ),
              )
            : this.#resultForParams(params as GraphQLParams, request, serverContext);
          return andThen(result, (value) => this.#processResult(request, value, serverContext));
        }),
      (error) => this.#processResult(request, { errors: this.#handleError(error) }, serverContext),
    );
  }

  #parseRequest(
    request: Request,
    serverContext: ServerContext,
  ):
    | { response: PipelineResponse }
    | { params: unknown }
    | Promise<{ response: PipelineResponse } | { params: unknown }> {
    const { fetchAPI } = this.#yoga;
    const url = lazyUrl(request, fetchAPI);
    let parser: ((request: Request) => unknown) | undefined;
    let early: PipelineResponse | undefined;
    const doneHooks: Hook[] = [];
    const hooks = runHooks(
      this.#onRequestParse,
      {
        request,
        get url() {
          return url();
        },
        get requestParser() {
          return parser;
        },
        serverContext,
        setRequestParser: (next: typeof parser) => {
          parser = next;
        },
        endResponse: (response: PipelineResponse) => {
          early = response;
        },
        fetchAPI,
      },
      () => early !== undefined,
      (returned) => {
        const done = (returned as { onRequestParseDone?: Hook } | undefined)?.onRequestParseDone;
        if (done) doneHooks.push(done);
      },
    );
    return andThen(hooks, () => {
      if (early) return { response: early };
      if (!parser) {
        return {
          response: new fetchAPI.Response(null, {
            status: 415,
            statusText: 'Unsupported Media Type',
          }),
        };
      }
      return andThen(parser(request), (parsed) => {
        if (parsed instanceof fetchAPI.Response) return { response: parsed };
        let params = parsed;
        const done = runHooks(doneHooks, {
          get requestParserResult() {
            return params;
          },
          setRequestParserResult: (next: unknown) => {
            params = next;
          },
        });
        return andThen(done, () => ({ params }));
      });
    });
  }

  /** Yoga's `getResultForParams`: onParams, the operation, onExecutionResult. */
  #resultForParams(initial: GraphQLParams, request: Request, context: ServerContext): unknown {
    let params = initial;
    let result: unknown;
    let paramsHandler = (payload: {
      request: Request;
      params: GraphQLParams;
      context: ServerContext;
    }) => this.#handleParams(payload.request, payload.params, payload.context);
    const hooks = runHooks(this.#onParams, {
      get params() {
        return params;
      },
      request,
      setParams: (next: GraphQLParams) => {
        params = next;
      },
      get paramsHandler() {
        return paramsHandler;
      },
      setParamsHandler: (next: typeof paramsHandler) => {
        paramsHandler = next;
      },
      setResult: (next: unknown) => {
        result = next;
      },
      fetchAPI: this.#yoga.fetchAPI,
      context,
    });
    return andThen(hooks, () =>
      andThen(result ?? paramsHandler({ request, params, context }), (executed) => {
        let final = executed;
        const done = runHooks(this.#onExecutionResult, {
          get result() {
            return final;
          },
          setResult: (next: unknown) => {
            final = next;
          },
          request,
          context,
        });
        return andThen(done, () => final);
      }),
    );
  }

  /** Yoga's `handleParams` and `processRequest`: envelop's parse, validate, context, execute. */
  #handleParams(request: Request, params: GraphQLParams, context: ServerContext): unknown {
    if (context['request'] === request) context['params'] = params;
    else Object.assign(context, { request, params });
    return attempt(
      () => {
        const enveloped = this.#yoga.getEnveloped(context);
        const document = enveloped.parse(params.query as string);
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return { errors };
        return andThen(enveloped.contextFactory(), (contextValue) => {
          const args: ExecutionArgs = {
            schema: enveloped.schema,
            document,
            contextValue,
            variableValues: params.variables,
            operationName: params.operationName,
          };
          const operation = getOperationAST(document, params.operationName);
          return operation?.operation === 'subscription'
            ? enveloped.subscribe(args)
            : enveloped.execute(args);
        });
      },
      (error) => ({ errors: this.#handleError(error) }),
    );
  }

  #processResult(request: Request, result: unknown, serverContext: ServerContext) {
    let current = result;
    let processor: ResultProcessor | undefined;
    let mediaType = '*/*';
    const acceptable: string[] = [];
    const hooks = runHooks(this.#onResultProcess, {
      request,
      acceptableMediaTypes: acceptable,
      get result() {
        return current;
      },
      setResult: (next: unknown) => {
        current = next;
      },
      get resultProcessor() {
        return processor;
      },
      setResultProcessor: (next: ResultProcessor, accepted: string) => {
        processor = next;
        mediaType = accepted;
      },
      serverContext,
    });
    return andThen(hooks, () => {
      if (!processor) {
        return new this.#yoga.fetchAPI.Response(null, {
          status: 406,
          statusText: 'Not Acceptable',
          headers: { accept: acceptable.join('; charset=utf-8, ') },
        });
      }
      return processor(current, this.#yoga.fetchAPI, mediaType);
    });
  }

  /**
   * Yoga's `handleError` for this gateway, which always masks (maskedErrors is set in
   * gateway.ts): each error of an aggregate on its own, aborts dropped, anything else masked and
   * logged when masking hid it. A Set, as Yoga's, so one error reported twice is answered once.
   */
  #handleError(error: unknown): GraphQLError[] {
    const { maskedErrorsOpts: masking, logger } = this.#yoga;
    const errors = new Set<GraphQLError>();
    const visit = (one: unknown) => {
      if (isAggregate(one)) {
        for (const inner of one.errors) visit(inner);
      } else if (isAbortError(one)) {
        logger.debug('Request aborted');
      } else if (masking) {
        const masked = masking.maskError(one, masking.errorMessage, masking.isDev);
        if (masked !== one) logger.error(one);
        errors.add(
          masked instanceof GraphQLError
            ? masked
            : createGraphQLError(masked.message, { originalError: masked }),
        );
      } else {
        // Not reached: the gateway always masks. Kept safe rather than faithful to the letter.
        errors.add(createGraphQLError('Unexpected error.', { extensions: { unexpected: true } }));
      }
    };
    visit(error);
    return [...errors];
  }
}
