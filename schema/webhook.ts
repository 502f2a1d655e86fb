/**
 * The Webhook type, its parts, and the queries that return it.
 */

import type { WireWebhook } from '../src/upstream/wire.ts';
import { builder } from './builder.ts';
import {
  statusOrUnknown,
  topicOrUnknown,
  UNKNOWN,
  WebhookStatusEnum,
  WebhookTopicEnum,
} from './webhook-enums.ts';
import {
  wireArray,
  wireDateTime,
  wireInt,
  wireNullableDateTime,
  wireNullableString,
  wireNumber,
  wireObject,
  wireString,
} from './wire-values.ts';

/** A nested JSON object of the upstream webhook, read field by field with checks. */
type WireObject = Record<string, unknown>;

export const WebhookRef = builder.objectRef<WireWebhook>('Webhook');
const RequestConfigRef = builder.objectRef<WireObject>('WebhookRequestConfig');
const HeaderRef = builder.objectRef<{ name: string; value: unknown }>('WebhookHeader');
const LastStatusRef = builder.objectRef<WireObject>('WebhookDeliveryStatus');
const HealthRef = builder.objectRef<WireObject>('WebhookHealth');

WebhookRef.implement({
  description:
    'A Featurebase webhook: where events of the chosen topics are delivered, and how that is going.',
  fields: (t) => ({
    id: t.id({ resolve: (webhook) => webhook.id }),
    name: t.string({ resolve: (webhook) => wireString(webhook.name, 'Webhook.name') }),
    url: t.string({
      description: 'The https endpoint that receives the events.',
      resolve: (webhook) => wireString(webhook.url, 'Webhook.url'),
    }),
    description: t.string({
      nullable: true,
      resolve: (webhook) => wireNullableString(webhook.description, 'Webhook.description'),
    }),
    topics: t.field({
      type: [WebhookTopicEnum],
      description:
        'The subscribed topics. A topic this gateway does not know yet reads as `UNKNOWN`.',
      resolve: (webhook) =>
        wireArray(webhook.topics, 'Webhook.topics').map((topic) =>
          topicOrUnknown(wireString(topic, 'Webhook.topics')),
        ),
    }),
    unrecognizedTopics: t.stringList({
      description:
        'The Featurebase names of the topics that read as `UNKNOWN` in `topics`; empty when all are known.',
      resolve: (webhook) =>
        wireArray(webhook.topics, 'Webhook.topics')
          .map((topic) => wireString(topic, 'Webhook.topics'))
          .filter((topic) => topicOrUnknown(topic) === UNKNOWN),
    }),
    status: t.field({
      type: WebhookStatusEnum,
      resolve: (webhook) => statusOrUnknown(wireString(webhook.status, 'Webhook.status')),
    }),
    unrecognizedStatus: t.string({
      nullable: true,
      description: 'The Featurebase name of the status when `status` is `UNKNOWN`; otherwise null.',
      resolve: (webhook) => {
        const status = wireString(webhook.status, 'Webhook.status');
        return statusOrUnknown(status) === UNKNOWN ? status : null;
      },
    }),
    secret: t.string({
      description:
        'The signing secret (`whsec_…`): the HMAC-SHA256 key of the `X-Webhook-Signature` header. ' +
        'Select it only where you need it; responses are sent with `Cache-Control: no-store`.',
      resolve: (webhook) => wireString(webhook.secret, 'Webhook.secret'),
    }),
    version: t.string({
      description:
        'The Featurebase API version that shapes the payloads delivered to this webhook.',
      resolve: (webhook) => wireString(webhook.version, 'Webhook.version'),
    }),
    requestConfig: t.field({
      type: RequestConfigRef,
      resolve: (webhook) => wireObject(webhook.requestConfig, 'Webhook.requestConfig'),
    }),
    lastStatus: t.field({
      type: LastStatusRef,
      nullable: true,
      description: 'The outcome of the last delivery attempt; null before the first.',
      resolve: (webhook) =>
        webhook.lastStatus === null || webhook.lastStatus === undefined
          ? null
          : wireObject(webhook.lastStatus, 'Webhook.lastStatus'),
    }),
    health: t.field({
      type: HealthRef,
      resolve: (webhook) => wireObject(webhook.health, 'Webhook.health'),
    }),
    createdAt: t.field({
      type: 'DateTime',
      resolve: (webhook) => wireDateTime(webhook.createdAt, 'Webhook.createdAt'),
    }),
    updatedAt: t.field({
      type: 'DateTime',
      resolve: (webhook) => wireDateTime(webhook.updatedAt, 'Webhook.updatedAt'),
    }),
  }),
});

// Other subgraphs reference a webhook by id. References go through the per-request loader, which
// looks for a batch of them in the list, a page of 100 at a time (see WebhookOperations).
builder.asEntity(WebhookRef, {
  key: builder.selection<{ id: string }>('id'),
  // Async on purpose: a bad representation must fail alone, not the whole `_entities` batch.
  resolveReference: async (reference, context) => context.webhooks.getReference(reference.id),
});

RequestConfigRef.implement({
  description: 'How Featurebase sends each delivery.',
  fields: (t) => ({
    timeoutMs: t.int({
      description: 'How long Featurebase waits for the endpoint, in milliseconds (1000–30000).',
      resolve: (config) => wireInt(config['timeoutMs'], 'WebhookRequestConfig.timeoutMs'),
    }),
    headers: t.field({
      type: [HeaderRef],
      description: 'Custom headers sent with every delivery (at most 10).',
      resolve: (config) => {
        const headers = config['headers'];
        if (headers === undefined || headers === null) return [];
        return Object.entries(wireObject(headers, 'WebhookRequestConfig.headers')).map(
          ([name, value]) => ({ name, value }),
        );
      },
    }),
  }),
});

HeaderRef.implement({
  description: 'One custom HTTP header.',
  fields: (t) => ({
    name: t.string({ resolve: (header) => header.name }),
    value: t.string({ resolve: (header) => wireString(header.value, 'WebhookHeader.value') }),
  }),
});

LastStatusRef.implement({
  description: 'The outcome of one delivery attempt.',
  fields: (t) => ({
    code: t.int({
      description: 'The HTTP status the endpoint answered.',
      resolve: (status) => wireInt(status['code'], 'WebhookDeliveryStatus.code'),
    }),
    message: t.string({
      resolve: (status) => wireString(status['message'], 'WebhookDeliveryStatus.message'),
    }),
    timestamp: t.field({
      type: 'DateTime',
      resolve: (status) => wireDateTime(status['timestamp'], 'WebhookDeliveryStatus.timestamp'),
    }),
  }),
});

HealthRef.implement({
  description: 'Delivery health, as Featurebase measures it. Reactivating a webhook resets it.',
  fields: (t) => ({
    avgResponseTime: t.float({
      description: 'Average response time of the endpoint, in milliseconds.',
      resolve: (health) => wireNumber(health['avgResponseTime'], 'WebhookHealth.avgResponseTime'),
    }),
    lastResponseTime: t.float({
      description: 'Response time of the last delivery, in milliseconds.',
      resolve: (health) => wireNumber(health['lastResponseTime'], 'WebhookHealth.lastResponseTime'),
    }),
    lastSuccessAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (health) =>
        wireNullableDateTime(health['lastSuccessAt'], 'WebhookHealth.lastSuccessAt'),
    }),
    errorsSinceLastSuccess: t.int({
      resolve: (health) =>
        wireInt(health['errorsSinceLastSuccess'], 'WebhookHealth.errorsSinceLastSuccess'),
    }),
    consecutiveFailures: t.int({
      resolve: (health) =>
        wireInt(health['consecutiveFailures'], 'WebhookHealth.consecutiveFailures'),
    }),
  }),
});

const PageInfoRef = builder.objectRef<{
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}>('PageInfo');

PageInfoRef.implement({
  description: 'Relay page information. Featurebase pages forward only.',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage', {
      description: 'Always false: Featurebase has no backward paging.',
    }),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', {
      nullable: true,
      description: 'Pass it as `after` to get the next page.',
    }),
  }),
});

const WebhookEdgeRef = builder.objectRef<{ cursor: string; node: WireWebhook }>('WebhookEdge');

WebhookEdgeRef.implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description: 'Pass it as `after` to resume after this edge.',
    }),
    node: t.field({
      type: WebhookRef,
      // Nullable so that one webhook Featurebase sent malformed does not fail the whole page.
      nullable: true,
      resolve: (edge) => edge.node,
    }),
  }),
});

const WebhookConnectionRef = builder.objectRef<{
  edges: { cursor: string; node: WireWebhook }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}>('WebhookConnection');

WebhookConnectionRef.implement({
  description: 'A page of webhooks (Relay connection).',
  fields: (t) => ({
    edges: t.field({ type: [WebhookEdgeRef], resolve: (connection) => connection.edges }),
    nodes: t.field({
      type: [WebhookRef],
      nullable: { list: false, items: true },
      description: 'The webhooks of `edges`, for clients that need no cursors.',
      resolve: (connection) => connection.edges.map((edge) => edge.node),
    }),
    pageInfo: t.field({ type: PageInfoRef, resolve: (connection) => connection.pageInfo }),
  }),
});

/** The `id` argument of every field that names one webhook. */
export const webhookIdArgs = builder.args((t) => ({
  id: t.id({ required: true, description: '24 hexadecimal characters.' }),
}));

builder.queryFields((t) => ({
  webhook: t.field({
    type: WebhookRef,
    nullable: true,
    description: 'One webhook by id; null when it does not exist.',
    args: webhookIdArgs,
    resolve: (_root, args, context) => context.webhooks.get(args.id),
  }),
  webhooks: t.field({
    type: WebhookConnectionRef,
    description:
      'The webhooks of the workspace, a page at a time, in the order Featurebase lists them.',
    args: {
      first: t.arg.int({ description: 'Page size, 1–100. Default 10.' }),
      after: t.arg.string({
        description: 'An `endCursor` (or edge `cursor`) from a previous page.',
      }),
      status: t.arg({ type: WebhookStatusEnum, description: 'Only webhooks with this status.' }),
    },
    resolve: (_root, args, context) =>
      context.webhooks.list({ first: args.first, after: args.after, status: args.status }),
  }),
}));
