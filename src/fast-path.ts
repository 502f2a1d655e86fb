/**
 * The common case without Yoga's HTTP layer.
 *
 * Nearly every request a frontend, a tool or a router sends is the same shape: a POST of a JSON
 * body with a Content-Length, to /graphql, without CORS. For those, building a Fetch `Request`
 * with a body stream, and later a Fetch `Response` written back through a stream, cost more CPU
 * than the GraphQL work itself (the benchmark's profiles: promise plumbing, stream teardown,
 * many small socket writes). Here such a request goes straight from Node's request to Yoga's
 * GraphQL pipeline (`getResultForParams`: the same onParams hooks, parse and validation caches
 * and limits, context, execution, error masking) and back with one write.
 *
 * Anything else, and any request the pipeline refuses before executing (a syntax or validation
 * error, bad parameters), is handed to Yoga whole, which answers it as it always does: the fast
 * path never has to know how Yoga words or codes a refusal. A differential test holds the two
 * paths to the same answers.
 */

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import type { GraphQLParams } from 'graphql-yoga';
import type { Logger } from 'pino';
import { type Gateway, GRAPHQL_PATH, internalsOf } from './gateway.ts';
import { scrubLeakyErrors } from './graphql-errors.ts';
import { PreparedOperations } from './prepared-operations.ts';
import { finishTracking, noteOperationName } from './request-tracking.ts';

export interface FastPathOptions {
  /**
   * Run texts Yoga has already accepted without its pipeline (src/prepared-operations.ts).
   * Default `true`; `false` measures or tests the fast path alone.
   */
  prepared?: boolean;
  /**
   * Told which path answered each request (for metrics and tests): `fast` through Yoga's
   * GraphQL pipeline, `prepared` directly, `yoga` by Yoga whole. Default: none.
   */
  onServed?: (path: ServedBy) => void;
}

export type ServedBy = 'prepared' | 'fast' | 'yoga';

/** The gateway's own settings, as the fast path applies them. */
interface Settings {
  maxBodyBytes: number;
  maxQueryLength: number;
  onServed: ((path: ServedBy) => void) | undefined;
}

/** What the fast path serves; everything else goes to Yoga. */
const PARAM_NAMES = new Set(['query', 'variables', 'operationName', 'extensions']);
const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const JSON_TYPE = 'application/json';
/** `__schema` or `__type(…)` (not `__typename`, which every router query asks for). */
const INTROSPECTION = /__schema|__type\s*\(/;

/**
 * A Node request handler: serves the request itself when it can, else passes it to `fallback`
 * (Yoga's own Node handler, or `replay` once the body has been read).
 */
export function createFastPath(gateway: Gateway, options: FastPathOptions = {}) {
  const { logger: log, limits, direct } = internalsOf(gateway);
  const settings: Settings = {
    maxBodyBytes: limits.maxRequestBodyBytes,
    maxQueryLength: limits.maxQueryLength,
    onServed: options.onServed,
  };
  const prepared = options.prepared === false ? undefined : new PreparedOperations(direct);
  return (request: IncomingMessage, response: ServerResponse, fallback: () => void): void => {
    const responseType = eligibleResponseType(request, settings);
    if (responseType === undefined) {
      settings.onServed?.('yoga');
      fallback();
      return;
    }
    readBody(request, settings.maxBodyBytes)
      .then((body) =>
        serve(gateway, prepared, settings, log, request, response, body, responseType),
      )
      // The client went away while sending, or writing the answer failed: nothing to answer.
      .catch(() => response.destroy());
  };
}

/** The response type when the request has the common shape, else `undefined`. */
function eligibleResponseType(request: IncomingMessage, settings: Settings): string | undefined {
  const { headers } = request;
  if (request.method !== 'POST' || request.url !== GRAPHQL_PATH) return undefined;
  // CORS (an Origin) and anything but a JSON body go through Yoga's plugins.
  if (headers.origin !== undefined) return undefined;
  if (!headers['content-type']?.toLowerCase().startsWith(JSON_TYPE)) return undefined;
  const length = headers['content-length'];
  if (length === undefined || !/^\d+$/.test(length) || Number(length) > settings.maxBodyBytes) {
    return undefined;
  }
  return negotiate(headers.accept);
}

/** As Yoga negotiates, for the Accept values clients send; anything unusual goes to Yoga. */
function negotiate(accept: string | undefined): string | undefined {
  if (accept === undefined || accept === '*/*') return JSON_TYPE;
  const types = accept.split(',').map((entry) => entry.split(';')[0]?.trim().toLowerCase());
  const first = types[0];
  if (types.every((type) => type === GRAPHQL_RESPONSE || type === JSON_TYPE || type === '*/*')) {
    return first === GRAPHQL_RESPONSE ? GRAPHQL_RESPONSE : JSON_TYPE;
  }
  return undefined;
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Node's parser holds the body to its Content-Length, checked above; this is a backstop.
      if (size > maxBytes) request.destroy();
      else chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)),
    );
    request.on('error', reject);
  });
}

async function serve(
  gateway: Gateway,
  prepared: PreparedOperations | undefined,
  settings: Settings,
  log: Logger,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  responseType: string,
): Promise<void> {
  const view = new RequestView(request, response);
  const params = paramsOf(body, settings);
  let answered: Answered | undefined;
  if (params) {
    try {
      answered = await executeParams(gateway, prepared, params, view.asRequest());
    } catch {
      answered = undefined;
    }
  }
  if (!answered) {
    settings.onServed?.('yoga');
    await replay(gateway, request, response, body);
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
): Promise<Answered | undefined> {
  const document = prepared?.lookup(params);
  if (prepared && document) {
    noteOperationName(request, params.operationName);
    const result = await prepared.execute(document, params, request);
    return 'data' in result ? { result, path: 'prepared' } : undefined;
  }
  const result = await gateway.getResultForParams({ params, request }, {});
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
  // Introspection is tooling traffic, and may be switched off per request: Yoga handles it.
  if (INTROSPECTION.test(query)) return undefined;
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
    {
      method: 'POST',
      headers: fetchHeaders(request.headers),
      body,
    },
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
class RequestView {
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
