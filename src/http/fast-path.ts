/**
 * The common case without Yoga's HTTP layer, and without skipping any plugin.
 *
 * Nearly every request a frontend, a tool or a router sends is the same shape: a POST of a JSON
 * body to /graphql, without CORS. Yoga's Node handler would build a Fetch `Request` over Node's
 * request (headers copied, body wrapped in a stream), run a dozen HTTP-level hooks through
 * promise adapters, and stream a Fetch `Response` back: the profiles put that above the GraphQL
 * work itself. Two paths here, both running every plugin the gateway installs:
 *
 * - **direct**: the body, already read and bounded by the front (src/http/graphql-front.ts), is
 *   parsed here and handed to Yoga's GraphQL stage (`getResultForParams`: every onParams,
 *   onParse, onValidate, onContextBuilding, onExecute and onExecutionResult hook of every
 *   plugin, Yoga's caches, masking); the result is turned into a response by Yoga's own regular
 *   result processor and written with one `end()`. The HTTP-level work of the gateway's own
 *   plugins is done here instead (src/graphql/gateway.ts, HTTP_LEVEL_HOOKS), and
 *   the path is off as soon as any other plugin has an HTTP-level hook (`directGraphQLStage`).
 * - **fast**: anything else JSON (an Origin, an unusual Accept or body, or the direct path off)
 *   goes to Yoga's own request handler behind a light view of Node's request: Yoga's whole
 *   lifecycle, every hook, without the Fetch `Request` copy; the answer is written with one
 *   `end()`.
 *
 * Another content type goes to Yoga's Node handler with the body already read (`replay`). A
 * differential test holds every path to Yoga's answers (test/graphql/fast-path.test.ts), and
 * another counts each plugin's hooks on each path (test/graphql/plugin-pipeline.test.ts). An
 * earlier design ran texts Yoga had accepted straight through graphql-js and skipped every
 * plugin's execution hooks; what not skipping costs is in BENCHMARKS.md ("Every plugin on every
 * path").
 *
 * The body is let go as soon as it is parsed, before any upstream call: only the parsed params
 * live on while the operation runs.
 */

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ExecutionResult } from 'graphql';
import { type GraphQLParams, processRegularResult } from 'graphql-yoga';
import type { Logger } from 'pino';
import { scrubLeakyErrors } from '../graphql/errors.ts';
import {
  type Gateway,
  type GatewayInternals,
  GRAPHQL_PATH,
  internalsOf,
} from '../graphql/gateway.ts';
import { finishTracking } from '../graphql/plugins/request-tracking.ts';

export interface FastPathOptions {
  /**
   * Told which path answered each request (for tests): `direct` through Yoga's GraphQL stage,
   * `fast` by Yoga's handler behind the light view, `yoga` by Yoga's Node handler, `refused` by
   * the front itself (413, 503, bounds on variables). Default: none.
   */
  onServed?: (path: ServedBy) => void;
}

export type ServedBy = 'direct' | 'fast' | 'yoga' | 'refused';

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

/** What the direct path uses of Yoga: its GraphQL stage, and its Fetch API for the response. */
type YogaStage = Pick<Gateway, 'getResultForParams' | 'fetchAPI'>;

/** Yoga's request handler (its server adapter's `handleRequest`), called without a context. */
type YogaHandler = (request: Request) => Response | Promise<Response>;

const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const JSON_TYPE = 'application/json';

/**
 * A Node request handler for POSTs to /graphql with their body: an ordinary JSON request takes
 * the direct path, any other JSON request Yoga's handler behind the light view, and another
 * content type Yoga's Node handler (`replay`).
 */
export function createFastPath(gateway: Gateway, options: FastPathOptions = {}): FastPath {
  const internals = internalsOf(gateway);
  const { logger: log } = internals;
  const { onServed } = options;
  // Read once: each read of a member of Yoga's server adapter goes through a Proxy that binds a
  // new function. `handleRequest` is called without a server context (see `serve`), which its
  // signature does not say but its code allows.
  const handleRequest = gateway.handleRequest as unknown as YogaHandler;
  const yoga: YogaStage = {
    getResultForParams: gateway.getResultForParams,
    fetchAPI: gateway.fetchAPI,
  };
  return async (request, response, body, release) => {
    if (!isJson(request)) {
      onServed?.('yoga');
      // Yoga reads the body from its own Request: it is let go when the answer is done.
      response.once('close', release);
      await replay(gateway, request, response, body);
      return;
    }
    const responseType = internals.directGraphQLStage ? directResponseType(request) : undefined;
    const params = responseType === undefined ? undefined : paramsOf(body);
    if (responseType !== undefined && params !== undefined) {
      // From here on only the parsed params are needed.
      release();
      onServed?.('direct');
      await serveDirect(yoga, internals, request, response, params, responseType);
      return;
    }
    onServed?.('fast');
    await serve(handleRequest, log, request, response, new ReadBody(body, release));
  };
}

/** The response type when the direct path may serve the request, else `undefined`. */
function directResponseType(request: IncomingMessage): string | undefined {
  // CORS (an Origin) is Yoga's plugins' to answer.
  if (request.headers.origin !== undefined) return undefined;
  return negotiateResponseType(request.headers.accept);
}

/**
 * Yoga's GraphQL stage for one ordinary request, then what the HTTP-level hooks would do with
 * its result: the last scrub of errors (`useLeakFreeErrors`), Yoga's regular result processor,
 * the request id, `Cache-Control` and the access log (`useRequestTracking`).
 */
async function serveDirect(
  yoga: YogaStage,
  internals: GatewayInternals,
  request: IncomingMessage,
  response: ServerResponse,
  params: ParamsWithQuery,
  responseType: string,
): Promise<void> {
  const view = new RequestView(request, response);
  let result: unknown;
  try {
    // The server context Yoga's Node handler gives: Node's request and response.
    result = await yoga.getResultForParams(
      { params, request: view.asRequest() },
      { req: request, res: response },
    );
  } catch (error) {
    // As Yoga's handler: an error out of its GraphQL stage (a plugin's onParams) is answered.
    result = { errors: internals.handleError(error) };
  }
  // A streamed result cannot happen (no subscriptions, no @defer); Yoga's processor answers 406.
  const answer = processRegularResult(
    isSingleResult(result) ? scrubLeakyErrors(result) : (result as ExecutionResult),
    yoga.fetchAPI,
    responseType,
  );
  const requestId = finishTracking(view.asRequest(), answer.status, internals.logger);
  answer.headers.set('x-request-id', requestId);
  if (!answer.headers.has('cache-control')) answer.headers.set('cache-control', 'no-store');
  await writeResponse(answer, response);
}

type ParamsWithQuery = GraphQLParams & { query: string };

/** What Yoga's JSON request parser would accept without a word; anything else goes to Yoga. */
const PARAM_NAMES = new Set(['query', 'variables', 'operationName', 'extensions']);

/** The parameters when the body is one ordinary GraphQL request, else `undefined`. */
function paramsOf(body: Buffer): ParamsWithQuery | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed)) return undefined;
  for (const key of Object.keys(parsed)) if (!PARAM_NAMES.has(key)) return undefined;
  const { query, variables, operationName, extensions } = parsed;
  // An over-long text is refused by the query-length plugin's onParams, on this path as on Yoga's.
  if (typeof query !== 'string') return undefined;
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

function isJson(request: IncomingMessage): boolean {
  return (
    request.url === GRAPHQL_PATH &&
    request.headers['content-type']?.toLowerCase().startsWith(JSON_TYPE) === true
  );
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
  handleRequest: YogaHandler,
  log: Logger,
  request: IncomingMessage,
  response: ServerResponse,
  body: ReadBody,
): Promise<void> {
  const view = new RequestView(request, response, body);
  let answer: Response;
  try {
    // No server context: given one, Yoga's adapter copies it property by property into a new
    // object for each request (measured: 7 µs, and a slower context for every plugin after).
    // What the gateway reads of Node's request, its socket's address, the view carries.
    answer = await handleRequest(view.asRequest());
  } catch (error) {
    // A plugin threw outside of what Yoga turns into a GraphQL error: as Yoga's Node handler,
    // a 500, but without the stack it would send.
    log.error({ err: error }, 'request failed outside of GraphQL');
    answer = new Response(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }), {
      status: 500,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    });
  } finally {
    body.release();
  }
  await writeResponse(answer, response);
}

/** Writes a Fetch response with one `end()`: Yoga's answers are strings, sent as they are. */
async function writeResponse(answer: Response, response: ServerResponse): Promise<void> {
  if (response.destroyed) return;
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    headers[name] = value;
  });
  // Yoga's own responses keep a string body as given (@whatwg-node/node-fetch): no copy.
  const { bodyType, bodyInit } = answer as Response & { bodyType?: string; bodyInit?: unknown };
  const payload =
    bodyType === 'String' && typeof bodyInit === 'string'
      ? bodyInit
      : Buffer.from(await answer.arrayBuffer());
  response.writeHead(answer.status, headers);
  response.end(payload);
}

/**
 * The request body, read by the front: readable once, as a Fetch body is. Reading it (Yoga's
 * JSON request parser calls `json()` before anything runs) gives its memory back.
 */
class ReadBody {
  #bytes: Buffer | undefined;
  #release: (() => void) | undefined;

  constructor(bytes: Buffer, release: () => void) {
    this.#bytes = bytes;
    this.#release = release;
  }

  take(): Buffer {
    const bytes = this.#bytes;
    if (!bytes) throw new TypeError('Body is unusable: Body has already been read');
    this.release();
    return bytes;
  }

  release(): void {
    this.#bytes = undefined;
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

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
 * The part of a Fetch `Request` Yoga's plugins read (method, URL, headers, a signal that aborts
 * when the client goes away, and the body once), over Node's request, without copying its headers.
 */
export class RequestView {
  /**
   * Node's socket, for the client's address (src/graphql/gateway.ts reads it as it reads the
   * `req` Yoga's Node handler puts in the server context).
   */
  readonly socket: IncomingMessage['socket'];
  readonly method: string;
  readonly url: string;
  readonly headers: ViewHeaders;
  readonly #response: ServerResponse;
  readonly #body: ReadBody | undefined;
  #signal: AbortSignal | undefined;
  #asRequest: Request | undefined;

  constructor(request: IncomingMessage, response: ServerResponse, body?: ReadBody) {
    this.socket = request.socket;
    this.method = request.method ?? 'POST';
    this.url = `http://localhost${request.url ?? '/'}`;
    this.headers = new ViewHeaders(request.headers);
    this.#response = response;
    this.#body = body;
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

  async json(): Promise<unknown> {
    return JSON.parse(this.#takeBody().toString('utf8'));
  }

  async text(): Promise<string> {
    return this.#takeBody().toString('utf8');
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#takeBody();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  #takeBody(): Buffer {
    if (!this.#body) throw new TypeError('Body is unusable: this request has none');
    return this.#body.take();
  }

  /**
   * Yoga's types ask for a Fetch `Request`; its plugins, and ours, read only this view's members
   * (the differential test would fail otherwise). One identity per request, for the WeakMaps
   * keyed by request.
   */
  asRequest(): Request {
    this.#asRequest ??= this as unknown as Request;
    return this.#asRequest;
  }
}

/** Fetch `Headers` reading, over Node's parsed headers (names already lower case). */
class ViewHeaders {
  readonly #raw: IncomingHttpHeaders;

  constructor(raw: IncomingHttpHeaders) {
    this.#raw = raw;
  }

  get(name: string): string | null {
    const value = this.#raw[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.#raw[name.toLowerCase()] !== undefined;
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const [name, value] of this.entries()) callback(value, name);
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.#raw)) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}
