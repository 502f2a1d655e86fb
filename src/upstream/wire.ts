/**
 * The Featurebase webhooks API on the wire (API version `2026-01-01.nova` and later), written
 * once. The client, the simulator and the schema all speak these shapes; see
 * `docs/featurebase-webhooks-api.md` for the sources behind each rule.
 */

/** Every topic of `featurebase-node@0.14.1` (28). Featurebase may add more at any time. */
export const WEBHOOK_TOPICS = [
  'post.created',
  'post.updated',
  'post.deleted',
  'post.voted',
  'ticket.created',
  'ticket.updated',
  'ticket.deleted',
  'changelog.published',
  'comment.created',
  'comment.updated',
  'comment.deleted',
  'conversation.user.created',
  'conversation.user.replied',
  'conversation.admin.replied',
  'conversation.admin.noted',
  'conversation.admin.closed',
  'conversation.admin.opened',
  'conversation.admin.snoozed',
  'conversation.admin.unsnoozed',
  'conversation.admin.assigned',
  'conversation.priority.updated',
  'conversation.handover_requested',
  'conversation.deleted',
  'conversation.contact.attached',
  'conversation.contact.detached',
  'conversation.read',
  'conversation_part.redacted',
  'audit_log.created',
] as const;

export type KnownWebhookTopic = (typeof WEBHOOK_TOPICS)[number];

export const WEBHOOK_STATUSES = ['active', 'paused', 'suspended'] as const;
export type KnownWebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** `suspended` is set by Featurebase only; a client may set these two. */
export const SETTABLE_WEBHOOK_STATUSES = ['active', 'paused'] as const;
export type SettableWebhookStatus = (typeof SETTABLE_WEBHOOK_STATUSES)[number];

/** The first API version that has the webhooks endpoints. */
export const MINIMUM_API_VERSION = '2026-01-01.nova';

/** Documented limits of the API, enforced by the simulator and checked early by the gateway. */
export const LIMITS = {
  webhooksPerWorkspace: 10,
  /** The prose says 100, the generated schema 255: we hold to the smaller. */
  nameMaxLength: 100,
  descriptionMaxLength: 500,
  headersMax: 10,
  timeoutMsMin: 1000,
  timeoutMsMax: 30000,
  listLimitMin: 1,
  listLimitMax: 100,
  listLimitDefault: 10,
  cursorMaxLength: 512,
} as const;

/** A webhook id is a 24-character hexadecimal ObjectId. */
export const WEBHOOK_ID_PATTERN = /^[0-9a-f]{24}$/i;

export interface WireRequestConfig {
  timeoutMs: number;
  headers?: Record<string, string>;
}

export interface WireLastStatus {
  /** HTTP status of the last delivery attempt. */
  code: number;
  message: string;
  timestamp: string;
}

export interface WireHealth {
  avgResponseTime: number;
  lastResponseTime: number;
  lastSuccessAt: string | null;
  errorsSinceLastSuccess: number;
  consecutiveFailures: number;
}

/**
 * `topics` and `status` are plain strings on purpose: Featurebase may send a value newer than
 * this code, and such a webhook must stay readable.
 */
export interface WireWebhook {
  object: 'webhook';
  id: string;
  name: string;
  url: string;
  description: string | null;
  topics: string[];
  status: string;
  secret: string;
  version: string;
  requestConfig: WireRequestConfig;
  lastStatus: WireLastStatus | null;
  health: WireHealth;
  createdAt: string;
  updatedAt: string;
}

export interface WireWebhookList {
  object: 'list';
  data: WireWebhook[];
  nextCursor: string | null;
}

export interface WireDeletedWebhook {
  id: string;
  object: 'webhook';
  deleted: true;
}

export interface WireListParams {
  limit?: number;
  cursor?: string;
  status?: KnownWebhookStatus;
}

export interface WireCreateParams {
  name: string;
  url: string;
  topics: KnownWebhookTopic[];
  description?: string;
  requestConfig?: { headers?: Record<string, string>; timeoutMs?: number };
}

/** A partial update: absent fields are left alone, `description: null` clears it. */
export interface WireUpdateParams {
  name?: string;
  url?: string;
  description?: string | null;
  topics?: KnownWebhookTopic[];
  status?: SettableWebhookStatus;
  requestConfig?: { headers?: Record<string, string>; timeoutMs?: number };
}

export type WireErrorType =
  | 'authentication_error'
  | 'authorization_error'
  | 'invalid_request_error'
  | 'rate_limit_error'
  | 'api_error';

export interface WireErrorBody {
  error: {
    type: WireErrorType | string;
    code?: string;
    message: string;
    param?: string;
    status: number;
  };
}

export const RATE_LIMIT_HEADERS = {
  limit: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  reset: 'x-ratelimit-reset',
} as const;
