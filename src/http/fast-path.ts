/**
 * The common case without Yoga's HTTP layer.
 *
 * Nearly every request a frontend, a tool or a router sends is the same shape: a POST of a JSON
 * body to /graphql, without CORS. For those, building a Fetch `Request` with a body stream, and
 * later a Fetch `Response` written back through a stream, cost more CPU than the GraphQL work
 * itself (the benchmark's profiles: promise plumbing, stream teardown, many small socket
 * writes). Here such a request goes straight from Node's request to Yoga's GraphQL pipeline
 * (`getResultForParams`: the same onParams hooks, parse and validation caches and limits,
 * context, execution, error masking) and back with one write.
 *
 * Anything else, and any request the pipeline refuses before executing (a syntax or validation
 * error, bad parameters), is handed to Yoga whole, which answers it as it always does: the fast
 * path never has to know how Yoga words or codes a refusal. A differential test holds the two
 * paths to the same answers.
 *
 * The body arrives read (src/http/graphql-front.ts reads and bounds it). It is let go as soon as it
 * is parsed, before any upstream call: only the parsed params live on while the operation runs.
 */

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import type { GraphQLParams } from 'graphql-yoga';
import type { Logger } from 'pino';
import { scrubLeakyErrors } from '../graphql/errors.ts';
import { type Gateway, GRAPHQL_PATH, internalsOf } from '../graphql/gateway.ts';
import { finishTracking, noteOperation } from '../graphql/plugins/request-tracking.ts';
import { PreparedOperations } from '../graphql/prepared-operations.ts';

export interface FastPathOptions {
  /**
   * Run texts Yoga has already accepted without its pipeline (src/graphql/prepared-operations.ts).
   * Default `true`; `false` measures or tests the fast path alone.
   */
  prepared?: boolean;
  /**
   * Told which path answered each request (for metrics and tests): `fast` through Yoga's
   * GraphQL pipeline, `prepared` directly, `yoga` by Yoga whole. Default: none.
   */
  onServed?: (path: ServedBy) => void;
}

/** `refused`: answered by the front itself (413, 503, bounds on variables). */
export type ServedBy = 'prepared' | 'fast' | 'yoga' | 'refused';

/** The gateway's own settings, as the fast path applies them. */
interface Settings {
  maxQueryLength: number;
  onServed: ((path: ServedBy) => void) | undefined;
}

/**
 * Serves a POST to /graphql whose body has been read. `release` gives the body's memory back:
 * called once the body is no longer needed.
 */
export type FastPath = (
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  release: () => void,
) => Promise<void>;

/** What the fast path serves; everything else goes to Yoga. */
const PARAM_NAMES = new Set(['query', 'variables', 'operationName', 'extensions']);
const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const JSON_TYPE = 'application/json';
/**
 * A Node request handler for POSTs to /graphql with their body: serves the request itself when it
 * can, else hands it to Yoga with the body (`replay`).
 */
export function createFastPath(gateway: Gateway, options: FastPathOptions = {}): FastPath {
  const { logger: log, limits, direct } = internalsOf(gateway);
  const settings: Settings = { maxQueryLength: limits.maxQueryLength, onServed: options.onServed };
  const prepared = options.prepared === false ? undefined : new PreparedOperations(direct);
  return async (request, response, body, release) => {
    const responseType = eligibleResponseType(request);
    const params = responseType === undefined ? undefined : paramsOf(body, settings);
    if (responseType === undefined || params === undefined) {
      settings.onServed?.('yoga');
      // Yoga reads the body from its own Request: it is let go when the answer is done.
      response.once('close', release);
      await replay(gateway, request, response, body);
      return;
    }
    // From here on only the parsed params are needed (a replay re-sends those).
    release();
    await serve(gateway, prepared, settings, log, request, response, params, responseType);
  };
}

/** The response type when the request has the common shape, else `undefined`. */
function eligibleResponseType(request: IncomingMessage): string | undefined {
  const { headers } = request;
  if (request.url !== GRAPHQL_PATH) return undefined;
  // CORS (an Origin) and anything but a JSON body go through Yoga's plugins.
  if (headers.origin !== undefined) return undefined;
  if (!headers['content-type']?.toLowerCase().startsWith(JSON_TYPE)) return undefined;
  return negotiateResponseType(headers.accept);
}

/** As Yoga negotiates, for the Accept values clients send; anything unusual goes to Yoga. */
export function negotiateResponseType(accept: string | undefined): string | undefined {
  if (accept === undefined || accept === '*/*') return JSON_TYPE;
  const types = accept.split(',').map((entry) => entry.split(';')[0]?.trim().toLowerCase());
  const first = types[0];
  if (types.every((type) => type === GRAPHQL_RESPONSE || type === JSON_TYPE || type === '*/*')) {
    return first === GRAPHQL_RESPONSE ? GRAPHQL_RESPONSE : JSON_TYPE;
  }
  return undefined;
}

async function serve(
  gateway: Gateway,
  prepared: PreparedOperations | undefined,
  settings: Settings,
  log: Logger,
  request: IncomingMessage,
  response: ServerResponse,
  params: ParamsWithQuery,
  responseType: string,
): Promise<void> {
  const view = new RequestView(request, response);
  let answered: Answered | undefined;
  try {
    answered = await executeParams(gateway, prepared, params, view.asRequest(), request);
  } catch {
    answered = undefined;
  }
  if (!answered) {
    // Refused before anything ran: Yoga words the refusal, from the same parameters.
    settings.onServed?.('yoga');
    await replay(gateway, request, response, Buffer.from(JSON.stringify(params)));
    return;
  }
  settings.onServed?.(answered.path);
  const { result } = answered;
  scrubLeakyErrors(result);
  const text = JSON.stringify(
    result.errors ? { ...result, errors: result.errors.map(publicErrorJson) } : result,
  );
  const requestId = finishTracking(view.asRequest(), 200, log);
  response.writeHead(200, {
    'content-type': `${responseType}; charset=utf-8`,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-request-id': requestId,
  });
  response.end(text);
}

interface Answered {
  result: ExecutionResult;
  path: 'fast' | 'prepared';
}

/**
 * Executes the request if it gets that far. A text Yoga already accepted runs directly; any other
 * goes through Yoga's pipeline, and is remembered once Yoga has executed it. An answer without
 * `data` was refused before execution: Yoga words and codes those (`undefined` here).
 */
async function executeParams(
  gateway: Gateway,
  prepared: PreparedOperations | undefined,
  params: ParamsWithQuery,
  request: Request,
  nodeRequest: IncomingMessage,
): Promise<Answered | undefined> {
  const document = prepared?.lookup(params);
  if (prepared && document) {
    noteOperation(request, document, params.operationName);
    const result = await prepared.execute(document, params, request, nodeRequest);
    return 'data' in result ? { result, path: 'prepared' } : undefined;
  }
  // The server context, as Yoga's Node handler would give it: Node's request.
  const result = await gateway.getResultForParams({ params, request }, { req: nodeRequest });
  if (!isSingleResult(result) || !('data' in result)) return undefined;
  try {
    prepared?.remember(params);
  } catch {
    // Only a speed-up, and the operation has run: it must not be handed to Yoga to run again.
  }
  return { result, path: 'fast' };
}

type ParamsWithQuery = GraphQLParams & { query: string };

/** The parameters when the body is one ordinary GraphQL request, else `undefined`. */
function paramsOf(body: Buffer, settings: Settings): ParamsWithQuery | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  for (const key of Object.keys(parsed)) if (!PARAM_NAMES.has(key)) return undefined;
  const { query, variables, operationName, extensions } = parsed as Record<string, unknown>;
  if (typeof query !== 'string' || query.length > settings.maxQueryLength) return undefined;
  if (variables !== undefined && variables !== null && !isPlainObject(variables)) return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    return undefined;
  }
  if (extensions !== undefined && !isPlainObject(extensions)) return undefined;
  const params: ParamsWithQuery = { query };
  if (isPlainObject(variables)) params.variables = variables;
  if (typeof operationName === 'string') params.operationName = operationName;
  if (isPlainObject(extensions)) params.extensions = extensions;
  return params;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSingleResult(value: unknown): value is ExecutionResult {
  return isPlainObject(value) && !(Symbol.asyncIterator in value);
}

/** As Yoga serialises an error: its internal extensions (`http`, `unexpected`) stay inside. */
function publicErrorJson(error: GraphQLFormattedErrorSource): GraphQLFormattedError {
  const json = error.toJSON();
  if (!json.extensions || !('http' in json.extensions || 'unexpected' in json.extensions)) {
    return json;
  }
  const { http: _http, unexpected: _unexpected, ...extensions } = json.extensions;
  const { extensions: _all, ...rest } = json;
  return Object.keys(extensions).length > 0 ? { ...rest, extensions } : rest;
}

type GraphQLFormattedErrorSource = { toJSON(): GraphQLFormattedError };

/** Hands the request, body already read, to Yoga as a Fetch request, and writes its answer. */
async function replay(
  gateway: Gateway,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
): Promise<void> {
  const answer = await gateway.fetch(
    `http://${request.headers.host ?? 'localhost'}${request.url}`,
    { method: 'POST', headers: fetchHeaders(request.headers), body },
    { req: request },
  );
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    headers[name] = value;
  });
  response.writeHead(answer.status, headers);
  response.end(Buffer.from(await answer.arrayBuffer()));
}

function fetchHeaders(headers: IncomingHttpHeaders): [string, string][] {
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') entries.push([name, value]);
    else if (Array.isArray(value)) for (const item of value) entries.push([name, item]);
  }
  return entries;
}

/**
 * The part of a Fetch `Request` the GraphQL pipeline reads (headers, method, URL, and a signal
 * that aborts when the client goes away), over Node's request, without copying its headers.
 */
export class RequestView {
  readonly method = 'POST';
  readonly url: string;
  readonly headers: { get(name: string): string | null; has(name: string): boolean };
  readonly #response: ServerResponse;
  #signal: AbortSignal | undefined;
  #asRequest: Request | undefined;

  constructor(request: IncomingMessage, response: ServerResponse) {
    this.url = `http://localhost${request.url ?? '/'}`;
    const raw = request.headers;
    this.headers = {
      get: (name) => {
        const value = raw[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
      has: (name) => raw[name.toLowerCase()] !== undefined,
    };
    this.#response = response;
  }

  /** Made when first asked for: an AbortController per request is not free. */
  get signal(): AbortSignal {
    if (!this.#signal) {
      const controller = new AbortController();
      const response = this.#response;
      // The client left before its answer: in-flight upstream calls stop with it.
      response.once('close', () => {
        if (!response.writableFinished) controller.abort();
      });
      this.#signal = controller.signal;
    }
    return this.#signal;
  }

  /**
   * Yoga's types ask for a Fetch `Request`; the pipeline, and our context and plugins, read only
   * this view's members (the differential test would fail otherwise). One identity per request,
   * for the WeakMaps keyed by request.
   */
  asRequest(): Request {
    this.#asRequest ??= this as unknown as Request;
    return this.#asRequest;
  }
}
