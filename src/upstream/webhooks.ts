/**
 * The six webhooks endpoints, one short method each over the shared request function. Each
 * method says only method, path, query and body; ids are checked (and encoded) by `path.ts`
 * before anything is sent. Whether a call may be retried follows from its method alone (see
 * `request/retry.ts`): POST and PATCH are never repeated once they may have reached Featurebase.
 */

import type { Caller } from './caller.ts';
import { decodeDeleted, decodeWebhook, decodeWebhookList } from './decode.ts';
import { InvalidArgumentError, UpstreamProtocolError } from './errors.ts';
import { WEBHOOKS_PATH, webhookPath } from './path.ts';
import type { RequestFunction } from './request/request.ts';
import {
  LIMITS,
  WEBHOOK_STATUSES,
  type WireCreateParams,
  type WireDeletedWebhook,
  type WireListParams,
  type WireUpdateParams,
  type WireWebhook,
  type WireWebhookList,
} from './wire.ts';

export class WebhooksResource {
  readonly #request: RequestFunction;

  constructor(request: RequestFunction) {
    this.#request = request;
  }

  /** `GET /v2/webhooks`: one page; only the parameters given are sent. */
  async list(params: WireListParams, caller: Caller): Promise<WireWebhookList> {
    const query = listQuery(params);
    const response = await this.#request({ method: 'GET', path: WEBHOOKS_PATH, query, caller });
    return decodeWebhookList(response.body, response.status);
  }

  /** `GET /v2/webhooks/{id}`. */
  async retrieve(id: string, caller: Caller): Promise<WireWebhook> {
    const response = await this.#request({ method: 'GET', path: webhookPath(id), caller });
    return aboutWebhook(id, decodeWebhook(response.body, response.status), response.status);
  }

  /** `POST /v2/webhooks`. Not idempotent: a lost answer is not retried. */
  async create(params: WireCreateParams, caller: Caller): Promise<WireWebhook> {
    const response = await this.#request({
      method: 'POST',
      path: WEBHOOKS_PATH,
      body: params,
      caller,
    });
    return decodeWebhook(response.body, response.status);
  }

  /**
   * `PATCH /v2/webhooks/{id}`: only the given keys are sent (JSON drops `undefined`), and
   * `description: null` is sent as `null`, which clears it.
   */
  async update(id: string, params: WireUpdateParams, caller: Caller): Promise<WireWebhook> {
    const path = webhookPath(id);
    const response = await this.#request({ method: 'PATCH', path, body: params, caller });
    return aboutWebhook(id, decodeWebhook(response.body, response.status), response.status);
  }

  /** `DELETE /v2/webhooks/{id}`. Idempotent, so retried like a read. */
  async delete(id: string, caller: Caller): Promise<WireDeletedWebhook> {
    const path = webhookPath(id);
    const response = await this.#request({ method: 'DELETE', path, caller });
    // The documented answer is the deletion object; a bare 204 says the same thing.
    if (response.status === 204 && response.body === undefined) {
      return { id, object: 'webhook', deleted: true };
    }
    return aboutWebhook(id, decodeDeleted(response.body, response.status), response.status);
  }

  /**
   * `POST /v2/webhooks/{id}/secret`, no body. The old secret stops working at once, so this is
   * never retried once it may have reached Featurebase: a second rotation would silently kill
   * the secret the first one returned.
   */
  async refreshSecret(id: string, caller: Caller): Promise<WireWebhook> {
    const response = await this.#request({
      method: 'POST',
      path: webhookPath(id, 'secret'),
      caller,
    });
    return aboutWebhook(id, decodeWebhook(response.body, response.status), response.status);
  }
}

/**
 * An answer about another webhook than the one asked for (a misrouted request, a cache or a
 * proxy mixing answers up, a bug upstream) is not an answer to this call: passed on, it would
 * show the caller another webhook, and its secret, as the one they asked for. ObjectIds are
 * case-insensitive hex. The message names neither id: it is logged.
 */
function aboutWebhook<T extends { id: string }>(id: string, answer: T, status: number): T {
  if (answer.id.toLowerCase() === id.toLowerCase()) return answer;
  throw new UpstreamProtocolError(
    `Featurebase answered ${status} about another webhook than the one asked for.`,
    status,
  );
}

/** Checked before sending, so a bad value costs no call. */
function listQuery(params: WireListParams): URLSearchParams {
  const query = new URLSearchParams();
  if (params.limit !== undefined) {
    const { limit } = params;
    if (!Number.isInteger(limit) || limit < LIMITS.listLimitMin || limit > LIMITS.listLimitMax) {
      throw new InvalidArgumentError(
        'limit',
        `limit must be a whole number from ${LIMITS.listLimitMin} to ${LIMITS.listLimitMax}.`,
      );
    }
    query.set('limit', String(limit));
  }
  if (params.cursor !== undefined) {
    const { cursor } = params;
    if (typeof cursor !== 'string' || cursor === '' || cursor.length > LIMITS.cursorMaxLength) {
      throw new InvalidArgumentError(
        'cursor',
        `cursor must be a non-empty string of at most ${LIMITS.cursorMaxLength} characters.`,
      );
    }
    query.set('cursor', cursor);
  }
  if (params.status !== undefined) {
    const { status } = params;
    if (!WEBHOOK_STATUSES.includes(status)) {
      throw new InvalidArgumentError(
        'status',
        `status must be one of ${WEBHOOK_STATUSES.join(', ')}.`,
      );
    }
    query.set('status', status);
  }
  return query;
}
