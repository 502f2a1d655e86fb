/**
 * What the schema can do with webhooks, for one GraphQL request: the caller's credentials are
 * checked here (once, before any call), reads (and federation references) go through a
 * per-request DataLoader, and list and mutation results prime it so a later selection in the
 * same operation costs no extra call.
 *
 * The loader's memo lives only as long as the request; it is the only place a webhook (and so
 * its secret) is held, and it is never shared between callers.
 *
 * Every upstream call is counted against the operation's budget (list pages read to find
 * webhooks by id against a budget of their own, see `#loadBatch`), and a rotation is done at most
 * once per webhook per operation and shared with concurrent rotations of other requests.
 */

import DataLoader from 'dataloader';
import type { CallTrace } from '../upstream/call-trace.ts';
import type { Caller } from '../upstream/caller.ts';
import type { FeaturebaseClient } from '../upstream/client.ts';
import { AuthenticationError, NotFoundError, PermissionDeniedError } from '../upstream/errors.ts';
import { webhookPath } from '../upstream/path.ts';
import { LIMITS, type WireDeletedWebhook, type WireWebhook } from '../upstream/wire.ts';
import type { CredentialsResult } from './credentials.ts';
import { BadUserInputError, EntityBatchTooLargeError } from './errors.ts';
import { checkIdempotencyKey, type IdempotencyKeys } from './idempotency.ts';
import {
  type CreateWebhookInput,
  toCreateParams,
  toUpdateParams,
  type UpdateWebhookInput,
} from './input.ts';
import { type PageRequest, planPage, toPage, type WebhookPage } from './pages.ts';
import { credentialFingerprint, type RotationFlight } from './rotation-flight.ts';

export interface WebhookOperationsOptions {
  client: FeaturebaseClient;
  credentials: CredentialsResult;
  requestId: string;
  /** The client's network address (fair shares for keys Featurebase has not accepted). */
  clientAddress?: string | undefined;
  /** The operation's trace, when tracing is on: each upstream attempt gets a span under it. */
  trace?: CallTrace | undefined;
  /**
   * Aborted when the client goes away: in-flight upstream calls stop with it. Asked for only
   * when a call that should stop with the client is made (making one per request is not free).
   */
  signal?: (() => AbortSignal | undefined) | undefined;
  /** Featurebase calls this operation may make. Default: unlimited. */
  upstreamCallBudget?: number;
  /**
   * List pages this operation may read to find webhooks by id, apart from the calls above (see
   * `#loadBatch`). Default: unlimited.
   */
  entityPageBudget?: number;
  /**
   * Rotations shared by every caller, across instances when the state is shared
   * (src/webhooks/rotation-flight.ts). Default: none shared beyond this operation.
   */
  rotations?: RotationFlight;
  /**
   * The request's `Idempotency-Key` (as sent; checked at the first mutation) and the records it
   * names (src/webhooks/idempotency.ts). Default: none, every mutation is sent.
   */
  idempotency?: { keys: IdempotencyKeys; key: string | undefined } | undefined;
}

export class WebhookOperations {
  readonly #client: FeaturebaseClient;
  readonly #credentials: CredentialsResult;
  readonly #requestId: string;
  readonly #clientAddress: string | undefined;
  readonly #trace: CallTrace | undefined;
  readonly #signal: (() => AbortSignal | undefined) | undefined;
  readonly #byId: DataLoader<string, WireWebhook | null>;
  readonly #budget: number;
  #calls = 0;
  readonly #pageBudget: number;
  #pages = 0;
  /** Featurebase refused the key (401, 403): the rest of the operation fails the same way. */
  #keyRefusal: Error | undefined;
  readonly #sharedRotations: RotationFlight | undefined;
  readonly #idempotency: WebhookOperationsOptions['idempotency'];
  /** This operation's rotations: a second alias rotating the same webhook gets the first result. */
  readonly #rotated = new Map<string, Promise<WireWebhook>>();

  constructor(options: WebhookOperationsOptions) {
    this.#client = options.client;
    this.#credentials = options.credentials;
    this.#requestId = options.requestId;
    this.#clientAddress = options.clientAddress;
    this.#trace = options.trace;
    this.#signal = options.signal;
    this.#budget = options.upstreamCallBudget ?? Number.POSITIVE_INFINITY;
    this.#pageBudget = options.entityPageBudget ?? Number.POSITIVE_INFINITY;
    this.#sharedRotations = options.rotations;
    this.#idempotency = options.idempotency;
    this.#byId = new DataLoader((ids) => this.#loadBatch(ids), { cacheKeyFn: normalizeId });
  }

  /** The webhook, or null when Featurebase has none with this id. */
  get(id: string): Promise<WireWebhook | null> {
    const key = checkedId(id);
    this.#caller();
    return this.#byId.load(key);
  }

  /** A federation reference (`{ __typename: "Webhook", id }`) from a router: `id` is untrusted. */
  getReference(id: unknown): Promise<WireWebhook | null> {
    if (typeof id !== 'string') {
      throw new BadUserInputError(
        'A Webhook reference needs an id of 24 hexadecimal characters.',
        'id',
      );
    }
    return this.get(id);
  }

  async list(request: PageRequest): Promise<WebhookPage> {
    const { first, resume, query } = planPage(request);
    const list = await this.#client.webhooks.list(query, this.#spend()).catch(this.#noteKeyRefusal);
    for (const webhook of list.data) this.#remember(webhook);
    return toPage(first, resume, list);
  }

  create(input: CreateWebhookInput): Promise<WireWebhook> {
    const params = toCreateParams(input);
    return this.#onceForKey('createWebhook', { input }, async () => {
      const created = this.#client.webhooks.create(params, this.#spend());
      return this.#remember(await created.catch(this.#noteKeyRefusal));
    });
  }

  update(id: string, input: UpdateWebhookInput): Promise<WireWebhook> {
    const key = checkedId(id);
    const params = toUpdateParams(input);
    return this.#onceForKey('updateWebhook', { id: key, input }, async () => {
      const updated = this.#client.webhooks.update(key, params, this.#spend());
      return this.#remember(await updated.catch(this.#noteKeyRefusal));
    });
  }

  async delete(id: string): Promise<WireDeletedWebhook> {
    const key = checkedId(id);
    const idempotency = this.#idempotency;
    const perform = async () => {
      const deleted = await this.#client.webhooks
        .delete(key, this.#spend())
        .catch(this.#noteKeyRefusal);
      this.#byId.clear(key).prime(key, null);
      return deleted;
    };
    const checked =
      idempotency?.key === undefined ? undefined : checkIdempotencyKey(idempotency.key);
    if (!idempotency || checked === undefined) return perform();
    return idempotency.keys.run(
      { apiKey: this.#caller().apiKey, key: checked, mutation: 'deleteWebhook', args: { id: key } },
      perform,
      (deleted) => deleted.id,
      // The deletion's answer again: the webhook is gone, there is nothing to read.
      async (webhookId) => ({ id: webhookId, object: 'webhook', deleted: true }),
    );
  }

  /**
   * Rotates the secret once per webhook per operation, and at most once at a time per webhook
   * for every caller (src/webhooks/rotation-flight.ts): a caller whose rotation was shared gets
   * the webhook as the rotation left it, read with its own credentials unless they are the
   * rotating caller's. The rotation is not tied to this request's signal: one caller leaving must
   * not cancel the rotation others wait for (nor leave it half-known).
   */
  async refreshSecret(id: string): Promise<WireWebhook> {
    const key = checkedId(id);
    let rotation = this.#rotated.get(key);
    if (!rotation) {
      rotation = this.#onceForKey('refreshWebhookSecret', { id: key }, () => this.#rotate(key));
      this.#rotated.set(key, rotation);
    }
    return rotation;
  }

  #rotate(key: string): Promise<WireWebhook> {
    const caller = this.#spend({ withSignal: false });
    const rotate = () => this.#client.webhooks.refreshSecret(key, caller);
    const shared = this.#sharedRotations?.rotate({
      id: key,
      credentials: credentialFingerprint(caller.apiKey, caller.apiVersion),
      rotate,
      // A read spends nothing more: it stands for the rotation this caller did not send.
      read: () => this.#client.webhooks.retrieve(key, caller),
    });
    return (shared ?? rotate()).then((webhook) => this.#remember(webhook), this.#noteKeyRefusal);
  }

  /**
   * `perform` at most once for the request's Idempotency-Key, when it has one: a repeat gets
   * the webhook as Featurebase has it now, read with this caller's credentials.
   */
  #onceForKey(
    mutation: string,
    args: unknown,
    perform: () => Promise<WireWebhook>,
  ): Promise<WireWebhook> {
    const idempotency = this.#idempotency;
    if (!idempotency || idempotency.key === undefined) return perform();
    const key = checkIdempotencyKey(idempotency.key);
    return idempotency.keys.run(
      { apiKey: this.#caller().apiKey, key, mutation, args },
      perform,
      (webhook) => webhook.id,
      async (webhookId) =>
        this.#remember(
          await this.#client.webhooks
            .retrieve(webhookId, this.#spend())
            .catch(this.#noteKeyRefusal),
        ),
    );
  }

  /**
   * Featurebase has no batch get. One id costs one retrieve. Several are looked for in the list,
   * 100 a page, following `nextCursor` one page at a time, and paging stops as soon as every id
   * is found; an id absent from a complete listing (`nextCursor` null) does not exist: null,
   * without another call. When a single id is left to find, a retrieve settles it for no more
   * than a page would cost. Ids still missing when the pages run out are retrieved one by one.
   *
   * Budget (the decision of issue 12): list pages read here are counted apart from the
   * operation's calls, against `entityPageBudget` (`ENTITY_PAGES_PER_OPERATION`, 10: a router's
   * batch of 100 references resolves in a workspace of 1,000 webhooks); the retrieves draw on
   * `upstreamCallBudget` as every other call does. So one operation makes at most pages + calls
   * Featurebase calls (20 by default), however large the workspace and whoever the caller is (a
   * request without usable credentials makes none; ids are checked before the loader sees them).
   * Time: pages are sequential, so a batch takes up to `entityPageBudget` list calls in a row
   * (Featurebase's latency each; at worst its total timeout each, but they carry the request's
   * signal: a router that gives up stops them). Memory: one page is read at a time, and besides
   * the ids asked for (found ones only) only the first page's other webhooks are kept, to prime
   * the loader as before; later pages' others are let go once scanned, so a batch holds at most
   * ~300 webhooks (~1 KB each parsed) whatever the workspace size, where priming every page
   * would hold all of them (1,000 webhooks, ~1 MB per request).
   *
   * An id the budget leaves unresolved fails alone with `ENTITY_BATCH_TOO_LARGE` (a smaller batch
   * helps; nothing is wrong with it), and every other id of the batch still resolves.
   */
  async #loadBatch(ids: readonly string[]): Promise<(WireWebhook | null | Error)[]> {
    if (ids.length === 1) return [await this.#retrieveOrNull(ids[0] ?? '').catch(asError)];
    const found = new Map<string, WireWebhook>();
    const missing = new Set(ids);
    let cursor: string | undefined;
    let complete = false;
    try {
      for (let page = 0; missing.size > 0; page += 1) {
        // One id left: its retrieve costs one call and settles it; the next page might not.
        if (page > 0 && missing.size === 1 && this.#budget - this.#calls > 0) break;
        const caller = this.#spendPage();
        if (caller === undefined) break;
        const query = { limit: LIMITS.listLimitMax, ...(cursor === undefined ? {} : { cursor }) };
        const list = await this.#client.webhooks.list(query, caller).catch(this.#noteKeyRefusal);
        for (const webhook of list.data) {
          const id = normalizeId(webhook.id);
          if (missing.delete(id)) found.set(id, webhook);
          // The rest of the first page is as fresh as the ids asked for: later loads need no call.
          else if (page === 0) this.#byId.prime(id, webhook);
        }
        if (list.nextCursor === null) {
          complete = true;
          break;
        }
        cursor = list.nextCursor;
      }
    } catch (error) {
      // A page failed: what earlier pages found still resolves, the rest fails with its error.
      return ids.map((id) => found.get(id) ?? asError(error));
    }
    const overBudget = () => new EntityBatchTooLargeError(this.#pageBudget, this.#budget);
    return Promise.all(
      ids.map((id) => {
        const webhook = found.get(id);
        if (webhook) return webhook;
        return complete ? null : this.#retrieveOrNull(id, overBudget).catch(asError);
      }),
    );
  }

  /** `overBudget`: what to fail with when the operation's calls are spent (none is made then). */
  async #retrieveOrNull(id: string, overBudget?: () => Error): Promise<WireWebhook | null> {
    try {
      const caller = this.#spend({ withSignal: true, overBudget });
      return await this.#client.webhooks.retrieve(id, caller).catch(this.#noteKeyRefusal);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  /** The newest copy wins: a rotated secret must replace the old one in this request's memo. */
  #remember(webhook: WireWebhook): WireWebhook {
    const key = normalizeId(webhook.id);
    this.#byId.clear(key).prime(key, webhook);
    return webhook;
  }

  /** The caller for one more upstream call, within this operation's budget. */
  #spend(
    options: { withSignal: boolean; overBudget?: (() => Error) | undefined } = { withSignal: true },
  ): Caller {
    if (this.#keyRefusal) throw this.#keyRefusal;
    const caller = this.#caller(options.withSignal);
    this.#calls += 1;
    if (this.#calls > this.#budget) {
      if (options.overBudget) throw options.overBudget();
      throw new BadUserInputError(
        `This operation needs more than ${this.#budget} Featurebase calls; split it into smaller ones.`,
      );
    }
    return caller;
  }

  /** The caller for one more list page of a lookup by id, or undefined when the pages are spent. */
  #spendPage(): Caller | undefined {
    if (this.#keyRefusal) throw this.#keyRefusal;
    const caller = this.#caller(true);
    if (this.#pages >= this.#pageBudget) return undefined;
    this.#pages += 1;
    return caller;
  }

  #caller(withSignal = false): Caller {
    if (!this.#credentials.ok) throw this.#credentials.error;
    const caller: Caller = { ...this.#credentials.credentials, requestId: this.#requestId };
    const signal = withSignal ? this.#signal?.() : undefined;
    if (signal) caller.signal = signal;
    if (this.#clientAddress !== undefined) caller.clientAddress = this.#clientAddress;
    if (this.#trace !== undefined) caller.trace = this.#trace;
    return caller;
  }

  /**
   * Notes a refusal of the key, so no further call of this operation uses it. (The upstream
   * client also remembers refused keys across requests, and makes concurrent calls with an
   * unknown key wait for the first one's verdict; this holds even with that memory off.)
   */
  #noteKeyRefusal = (error: unknown): never => {
    if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
      this.#keyRefusal ??= error;
    }
    throw error;
  };
}

/** DataLoader takes an Error in the result array as that key's failure. */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error('non-error thrown');
}

/** ObjectIds are case-insensitive hex; one spelling keeps the loader from fetching twice. */
function normalizeId(id: string): string {
  return id.toLowerCase();
}

/** Refuses a malformed id before anything else happens (the client checks again). */
function checkedId(id: string): string {
  webhookPath(id);
  return normalizeId(id);
}
