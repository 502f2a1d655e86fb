/**
 * One Featurebase workspace's webhooks, in creation order. Stored objects are already in wire
 * shape, so a response is one `JSON.stringify` away; callers outside the simulator only ever get
 * copies.
 */

import type { WireHealth, WireWebhook, WireWebhookList } from '../upstream/wire.ts';
import { invalidRequest, webhookNotFound } from './api-error.ts';
import { ERROR_CODES } from './error-codes.ts';
import type { CreateInput, ListQuery, UpdateInput } from './validation.ts';
import { encodeCursor } from './validation.ts';

export interface WorkspaceClock {
  now(): number;
  newId(nowMs: number): string;
  newSecret(): string;
}

const DEFAULT_TIMEOUT_MS = 5000;

export class Workspace {
  /** Insertion order is creation order, which is the list order (ascending; UNCONFIRMED upstream). */
  private readonly webhooks = new Map<string, WireWebhook>();
  /**
   * Position of every id ever created here, deleted ones included, so a cursor that ends on a
   * webhook deleted since keeps its place instead of restarting the list.
   */
  private readonly positions = new Map<string, number>();
  private nextPosition = 0;

  constructor(
    readonly name: string,
    private readonly webhookLimit: number,
    private readonly clock: WorkspaceClock,
    seed: readonly WireWebhook[],
  ) {
    // Featurebase never holds more than the limit: a larger workspace (1,000 webhooks for the
    // federation tests) must raise `webhookLimit` with it, as a workspace on a larger plan would.
    if (seed.length > webhookLimit) {
      throw new RangeError(
        `A seed of ${seed.length} webhooks is over the workspace limit of ${webhookLimit}; raise webhookLimit`,
      );
    }
    for (const webhook of seed) this.insert(structuredClone(webhook));
  }

  get size(): number {
    return this.webhooks.size;
  }

  get(id: string): WireWebhook | undefined {
    return this.webhooks.get(id.toLowerCase());
  }

  getOrThrow(id: string): WireWebhook {
    const webhook = this.get(id);
    if (webhook === undefined) throw webhookNotFound();
    return webhook;
  }

  all(): WireWebhook[] {
    return [...this.webhooks.values()];
  }

  list(query: ListQuery): WireWebhookList {
    let after = -1;
    if (query.afterId !== undefined) {
      const position = this.positions.get(query.afterId);
      // A well-formed cursor for an id this workspace never had is not a cursor we returned.
      if (position === undefined) {
        throw invalidRequest(
          ERROR_CODES.parameterInvalid,
          'cursor is not a cursor this API returned',
          'cursor',
        );
      }
      after = position;
    }
    const data: WireWebhook[] = [];
    let hasMore = false;
    for (const [id, webhook] of this.webhooks) {
      if ((this.positions.get(id) ?? -1) <= after) continue;
      if (query.status !== undefined && webhook.status !== query.status) continue;
      if (data.length === query.limit) {
        hasMore = true;
        break;
      }
      data.push(webhook);
    }
    const last = data.at(-1);
    return {
      object: 'list',
      data,
      nextCursor: hasMore && last !== undefined ? encodeCursor(last.id) : null,
    };
  }

  create(input: CreateInput, version: string): WireWebhook {
    // The docs: creating one more than the limit "returns HTTP 400" [S3].
    if (this.webhooks.size >= this.webhookLimit) {
      throw invalidRequest(
        ERROR_CODES.webhookLimitReached,
        `This workspace already has ${this.webhookLimit} webhooks, the most it may have`,
      );
    }
    const nowMs = this.clock.now();
    const at = new Date(nowMs).toISOString();
    const webhook: WireWebhook = {
      object: 'webhook',
      id: this.clock.newId(nowMs),
      name: input.name,
      description: input.description,
      url: input.url,
      secret: this.clock.newSecret(),
      status: 'active',
      topics: input.topics,
      version,
      requestConfig: {
        timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        headers: input.headers ?? {},
      },
      lastStatus: null,
      health: freshHealth(null),
      createdAt: at,
      updatedAt: at,
    };
    this.insert(webhook);
    return webhook;
  }

  update(id: string, input: UpdateInput): WireWebhook {
    const webhook = this.getOrThrow(id);
    if (input.name !== undefined) webhook.name = input.name;
    if (input.url !== undefined) webhook.url = input.url;
    if (input.description !== undefined) webhook.description = input.description;
    if (input.topics !== undefined) webhook.topics = input.topics;
    if (input.timeoutMs !== undefined) webhook.requestConfig.timeoutMs = input.timeoutMs;
    // A headers map replaces the old one whole, like `topics`; `{}` clears them.
    if (input.headers !== undefined) webhook.requestConfig.headers = input.headers;
    if (input.status !== undefined) {
      // Reactivating (from paused or suspended) resets the health counters [S4].
      if (input.status === 'active') webhook.health = freshHealth(webhook.health);
      webhook.status = input.status;
    }
    webhook.updatedAt = this.isoNow();
    return webhook;
  }

  delete(id: string): WireWebhook {
    const webhook = this.getOrThrow(id);
    this.webhooks.delete(webhook.id);
    return webhook;
  }

  /** The old secret stops working at once: there is no overlap [S5]. */
  rotateSecret(id: string): WireWebhook {
    const webhook = this.getOrThrow(id);
    webhook.secret = this.clock.newSecret();
    webhook.updatedAt = this.isoNow();
    return webhook;
  }

  /** Test seam for changes Featurebase makes by itself (deliveries, suspension). */
  patchStored(id: string, changes: Partial<Omit<WireWebhook, 'id' | 'object'>>): WireWebhook {
    const webhook = this.getOrThrow(id);
    Object.assign(webhook, structuredClone(changes));
    return webhook;
  }

  private insert(webhook: WireWebhook): void {
    const id = webhook.id.toLowerCase();
    this.webhooks.set(id, webhook);
    if (!this.positions.has(id)) this.positions.set(id, this.nextPosition++);
  }

  private isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

/** Counters and timings start from zero; the last success, if any, is kept as history. */
function freshHealth(previous: WireHealth | null): WireHealth {
  return {
    avgResponseTime: previous?.avgResponseTime ?? 0,
    lastResponseTime: previous?.lastResponseTime ?? 0,
    lastSuccessAt: previous?.lastSuccessAt ?? null,
    errorsSinceLastSuccess: 0,
    consecutiveFailures: 0,
  };
}
