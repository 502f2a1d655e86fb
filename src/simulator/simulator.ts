/**
 * An in-memory Featurebase webhooks API, honest to the documented behaviour
 * (`docs/featurebase-webhooks-api.md`), behind a `node:http` request handler. Request
 * order: record → fault switch → body size → auth → rate limit → route → version → id → handler.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  LIMITS,
  RATE_LIMIT_HEADERS,
  type WireDeletedWebhook,
  type WireWebhook,
} from '../upstream/wire.ts';
import { ApiError } from './api-error.ts';
import { API_MINIMUM_VERSION } from './api-facts.ts';
import { ERROR_CODES } from './error-codes.ts';
import { applyFault, type FaultHandle, type FaultSpec, FaultSwitch } from './faults.ts';
import { payloadTooLarge, readJsonObject, sendJson } from './http.ts';
import { createIdFactory, createSecret, defaultRandomBytes, type RandomBytes } from './ids.ts';
import { FixedWindowRateLimiter } from './rate-limiter.ts';
import {
  collectHeaders,
  defineValue,
  type RecordedRequest,
  type RequestFilter,
  RequestLog,
} from './request-log.ts';
import { matchRoute, type Route, requireWebhookId } from './routes.ts';
import { DEMO_API_KEY, DEMO_WORKSPACE, SAMPLE_WEBHOOKS } from './seed.ts';
import { parseListQuery, validateCreate, validateUpdate } from './validation.ts';
import { resolveApiVersion } from './version.ts';
import { Workspace } from './workspace.ts';

export interface SimulatorApiKey {
  key: string;
  /** Keys naming the same workspace share its webhooks. */
  workspace: string;
}

export interface SimulatorOptions {
  /** Accepted API keys. Default: `DEMO_API_KEY` for the workspace `demo`. */
  apiKeys?: readonly SimulatorApiKey[];
  /**
   * Webhooks every workspace starts with: `true` for `SAMPLE_WEBHOOKS`, `false` for none, or a
   * list. Default: `true`, as the demo upstream of `npm start` wants something to show.
   */
  seed?: boolean | readonly WireWebhook[];
  /**
   * Webhooks per workspace. Default: `LIMITS.webhooksPerWorkspace` (10), Featurebase's default.
   * A seed larger than the limit is refused: raise it with the seed (tests of large workspaces).
   */
  webhookLimit?: number;
  /** Requests per API key per fixed one-minute window. Default: 2000. */
  rateLimitPerMinute?: number;
  /** The workspace default `Featurebase-Version`, used when a request sends none. Default: Nova. */
  defaultVersion?: string;
  /**
   * Status of a successful create. UNCONFIRMED upstream (the SDK takes any 2xx). Default: 201,
   * so a client that only accepts 200 fails against the simulator rather than in production.
   */
  createStatus?: 200 | 201;
  /** Largest request body accepted, in bytes. Default: 1,000,000 (larger gets 413). */
  maxBodyBytes?: number;
  /** Latest requests kept in the request log. Default: 10,000; 0 turns the log off. */
  requestLogLimit?: number;
  /** Clock in epoch ms. Default: `Date.now`. */
  now?: () => number;
  /** Source of randomness for ids and secrets. Default: `crypto.randomBytes`. */
  randomBytes?: RandomBytes;
}

const DEFAULT_RATE_LIMIT_PER_MINUTE = 2000;
const DEFAULT_MAX_BODY_BYTES = 1_000_000;
const DEFAULT_REQUEST_LOG_LIMIT = 10_000;
// Constants rather than literals, as the strict index-signature rule wants bracket access.
const AUTHORIZATION = 'authorization';
const VERSION_HEADER = 'featurebase-version';
const CONTENT_LENGTH = 'content-length';
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

export class FeaturebaseSimulator {
  private readonly options: SimulatorOptions;
  private readonly now: () => number;
  private readonly workspaceOfKey = new Map<string, string>();
  private workspaces = new Map<string, Workspace>();
  private readonly rateLimiter: FixedWindowRateLimiter;
  private readonly log: RequestLog;
  private readonly faults = new FaultSwitch();
  private readonly newId: (nowMs: number) => string;
  private readonly newSecret: () => string;
  private readonly maxBodyBytes: number;
  private readonly createStatus: number;

  constructor(options: SimulatorOptions = {}) {
    this.options = options;
    this.now = options.now ?? Date.now;
    const random = options.randomBytes ?? defaultRandomBytes;
    this.newId = createIdFactory(random);
    this.newSecret = () => createSecret(random);
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.createStatus = options.createStatus ?? 201;
    this.rateLimiter = new FixedWindowRateLimiter(
      options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
      this.now,
    );
    this.log = new RequestLog(options.requestLogLimit ?? DEFAULT_REQUEST_LOG_LIMIT);
    for (const { key, workspace } of options.apiKeys ?? [
      { key: DEMO_API_KEY, workspace: DEMO_WORKSPACE },
    ]) {
      this.workspaceOfKey.set(key, workspace);
    }
    this.workspaces = this.freshWorkspaces();
  }

  /** A `node:http` request listener; bound, so it can be passed around as is. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const entry: RecordedRequest = {
      method: req.method ?? 'GET',
      path: queryStart === -1 ? url : url.slice(0, queryStart),
      query: {},
      headers: collectHeaders(req.rawHeaders),
      status: 0,
      at: this.now(),
    };
    const params = new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1));
    for (const [name, value] of params) {
      if (!Object.hasOwn(entry.query, name)) defineValue(entry.query, name, value);
    }
    this.log.add(entry);

    const fault = this.faults.take(entry.method, entry.path);
    if (fault === undefined) this.start(req, res, entry, params);
    else applyFault(fault, req, res, entry, () => this.start(req, res, entry, params));
  };

  /** Every request received (the latest `requestLogLimit`), oldest first. A copy. */
  get requests(): RecordedRequest[] {
    return this.log.all();
  }

  countRequests(filter?: RequestFilter): number {
    return this.log.count(filter);
  }

  clearRequests(): void {
    this.log.clear();
  }

  injectFault(spec: FaultSpec): FaultHandle {
    return this.faults.inject(spec);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** The webhook as Featurebase holds it for this key's workspace (a copy), e.g. its secret. */
  peekWebhook(apiKey: string, id: string): WireWebhook | undefined {
    const webhook = this.workspaceFor(apiKey).get(id);
    return webhook === undefined ? undefined : structuredClone(webhook);
  }

  peekWebhooks(apiKey: string): WireWebhook[] {
    return structuredClone(this.workspaceFor(apiKey).all());
  }

  /**
   * Changes a stored webhook the way Featurebase itself would (deliveries, suspension), which no
   * endpoint allows. Returns a copy of the result.
   */
  patchWebhook(
    apiKey: string,
    id: string,
    changes: Partial<Omit<WireWebhook, 'id' | 'object'>>,
  ): WireWebhook {
    return structuredClone(this.workspaceFor(apiKey).patchStored(id, changes));
  }

  /** Back to the initial state: seeded workspaces, empty log, fresh rate windows, no faults. */
  reset(): void {
    this.workspaces = this.freshWorkspaces();
    this.log.clear();
    this.rateLimiter.reset();
    this.faults.clear();
  }

  private start(
    req: IncomingMessage,
    res: ServerResponse,
    entry: RecordedRequest,
    params: URLSearchParams,
  ): void {
    // `process` answers every error itself; this only catches a failure to write the answer.
    this.process(req, res, entry, params).catch(() => res.destroy());
  }

  private async process(
    req: IncomingMessage,
    res: ServerResponse,
    entry: RecordedRequest,
    params: URLSearchParams,
  ): Promise<void> {
    let rateHeaders: Record<string, string> | undefined;
    try {
      const declaredLength = Number(req.headers[CONTENT_LENGTH] ?? 0);
      if (declaredLength > this.maxBodyBytes) throw payloadTooLarge(this.maxBodyBytes);

      const key = this.authenticate(entry.headers[AUTHORIZATION]);
      const decision = this.rateLimiter.take(key);
      // Every answer to an authenticated request carries these [S18]. The meaning of Reset is
      // UNCONFIRMED: we send the seconds until the window resets (the same unit as Retry-After).
      rateHeaders = {
        [RATE_LIMIT_HEADERS.limit]: String(decision.limit),
        [RATE_LIMIT_HEADERS.remaining]: String(decision.remaining),
        [RATE_LIMIT_HEADERS.reset]: String(decision.resetSeconds),
      };
      if (!decision.allowed) {
        // Whether Featurebase sends Retry-After is UNCONFIRMED; we do, in seconds.
        throw new ApiError(
          429,
          'rate_limit_error',
          ERROR_CODES.rateLimitExceeded,
          `Rate limit of ${decision.limit} requests per minute per API key reached`,
          undefined,
          { 'retry-after': String(decision.resetSeconds) },
        );
      }

      const route = matchRoute(entry.method, entry.path);
      const version = resolveApiVersion(entry.headers[VERSION_HEADER], this.defaultVersion);
      const workspace = this.workspaceFor(key);
      const [status, body] = await this.dispatch(route, workspace, version, req, entry, params);
      this.respond(res, entry, status, body, rateHeaders);
    } catch (error) {
      const apiError =
        error instanceof ApiError
          ? error
          : new ApiError(500, 'api_error', ERROR_CODES.internal, 'Internal simulator error');
      this.respond(res, entry, apiError.status, apiError.toBody(), {
        ...rateHeaders,
        ...apiError.headers,
      });
    }
  }

  private async dispatch(
    route: Route,
    workspace: Workspace,
    version: string,
    req: IncomingMessage,
    entry: RecordedRequest,
    params: URLSearchParams,
  ): Promise<[number, unknown]> {
    switch (route.kind) {
      case 'list':
        return [200, workspace.list(parseListQuery(params))];
      case 'create': {
        const body = await readJsonObject(req, this.maxBodyBytes);
        entry.body = body;
        return [this.createStatus, workspace.create(validateCreate(body), version)];
      }
      case 'retrieve':
        return [200, workspace.getOrThrow(requireWebhookId(route.id))];
      case 'update': {
        const id = requireWebhookId(route.id);
        const body = await readJsonObject(req, this.maxBodyBytes);
        entry.body = body;
        // The path names the resource before the body is judged: an unknown id is a 404.
        workspace.getOrThrow(id);
        return [200, workspace.update(id, validateUpdate(body))];
      }
      case 'delete': {
        const deleted = workspace.delete(requireWebhookId(route.id));
        const answer: WireDeletedWebhook = { id: deleted.id, object: 'webhook', deleted: true };
        return [200, answer];
      }
      case 'refreshSecret':
        // Documented as taking no body; one sent anyway is ignored, not parsed.
        return [200, workspace.rotateSecret(requireWebhookId(route.id))];
    }
  }

  /** The workspace of a key, or the documented 401. */
  private authenticate(header: string | undefined): string {
    if (header === undefined || header === '') {
      throw new ApiError(
        401,
        'authentication_error',
        ERROR_CODES.apiKeyMissing,
        'Send your API key as Authorization: Bearer <api key>',
        undefined,
        { 'www-authenticate': 'Bearer' },
      );
    }
    // Two Authorization headers arrive joined by `, ` and so never match: refused, not guessed.
    const key = BEARER.exec(header)?.[1];
    if (key === undefined || !this.workspaceOfKey.has(key)) {
      throw new ApiError(
        401,
        'authentication_error',
        ERROR_CODES.apiKeyInvalid,
        'Invalid API key',
        undefined,
        { 'www-authenticate': 'Bearer' },
      );
    }
    return key;
  }

  private get defaultVersion(): string {
    return this.options.defaultVersion ?? API_MINIMUM_VERSION;
  }

  private workspaceFor(apiKey: string): Workspace {
    const name = this.workspaceOfKey.get(apiKey);
    const workspace = name === undefined ? undefined : this.workspaces.get(name);
    if (workspace === undefined) throw new Error('Unknown API key for this simulator');
    return workspace;
  }

  private freshWorkspaces(): Map<string, Workspace> {
    const { seed = true } = this.options;
    const webhooks = seed === true ? SAMPLE_WEBHOOKS : seed === false ? [] : seed;
    const clock = {
      now: this.now,
      newId: this.newId,
      newSecret: this.newSecret,
    };
    const workspaces = new Map<string, Workspace>();
    for (const name of new Set(this.workspaceOfKey.values())) {
      workspaces.set(
        name,
        new Workspace(
          name,
          this.options.webhookLimit ?? LIMITS.webhooksPerWorkspace,
          clock,
          webhooks,
        ),
      );
    }
    return workspaces;
  }

  private respond(
    res: ServerResponse,
    entry: RecordedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> | undefined,
  ): void {
    entry.status = status;
    if (res.headersSent || res.destroyed) return;
    sendJson(res, status, body, headers);
  }
}

export function createSimulator(options?: SimulatorOptions): FeaturebaseSimulator {
  return new FeaturebaseSimulator(options);
}
