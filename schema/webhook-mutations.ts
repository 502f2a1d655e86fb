/**
 * Mutations on webhooks and their inputs. Checking and converting the inputs is the job of
 * `src/webhooks/input.ts` (called through the context), so this file only declares shapes.
 */

import { builder } from './builder.ts';
import { WebhookRef, webhookIdArgs } from './webhook.ts';
import { SettableWebhookStatusEnum, WebhookTopicEnum } from './webhook-enums.ts';

const HeaderInput = builder.inputType('WebhookHeaderInput', {
  description: 'One custom HTTP header to send with every delivery.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'An HTTP header name (a token, no spaces).' }),
    value: t.string({ required: true, description: 'No line breaks or control characters.' }),
  }),
});

const RequestConfigInput = builder.inputType('WebhookRequestConfigInput', {
  fields: (t) => ({
    timeoutMs: t.int({
      description:
        'Delivery timeout in milliseconds, 1000–30000. Featurebase documents it in its example ' +
        'request but not in its SDK: read `requestConfig.timeoutMs` of the result to see what it kept.',
    }),
    headers: t.field({
      type: [HeaderInput],
      description: 'At most 10. On update, replaces the whole set.',
    }),
  }),
});

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '1–100 characters.' }),
    url: t.string({ required: true, description: 'A public https URL.' }),
    topics: t.field({
      type: [WebhookTopicEnum],
      required: true,
      description: 'At least one; `UNKNOWN` is refused.',
    }),
    description: t.string({ description: 'At most 500 characters.' }),
    requestConfig: t.field({ type: RequestConfigInput }),
  }),
});

const UpdateWebhookInput = builder.inputType('UpdateWebhookInput', {
  description:
    'A partial update: only the fields you give are sent to Featurebase. `description: null` clears the description.',
  fields: (t) => ({
    name: t.string({ description: '1–100 characters.' }),
    url: t.string({ description: 'A public https URL.' }),
    description: t.string({ description: 'At most 500 characters; null clears it.' }),
    topics: t.field({ type: [WebhookTopicEnum], description: 'Replaces the whole list.' }),
    status: t.field({
      type: SettableWebhookStatusEnum,
      description:
        '`ACTIVE` restarts a paused or suspended webhook and resets its health counters.',
    }),
    requestConfig: t.field({ type: RequestConfigInput }),
  }),
});

const DeletedWebhookRef = builder.objectRef<{ id: string; deleted: boolean }>('DeletedWebhook');

DeletedWebhookRef.implement({
  description: 'What is left of a deleted webhook. Deletion is permanent.',
  fields: (t) => ({
    id: t.exposeID('id'),
    deleted: t.exposeBoolean('deleted'),
  }),
});

builder.mutationFields((t) => ({
  createWebhook: t.field({
    type: WebhookRef,
    description:
      'Creates a webhook (at most 10 per workspace by default). The result carries its signing secret.',
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    resolve: (_root, args, context) => context.webhooks.create(args.input),
  }),
  updateWebhook: t.field({
    type: WebhookRef,
    args: { ...webhookIdArgs, input: t.arg({ type: UpdateWebhookInput, required: true }) },
    resolve: (_root, args, context) => context.webhooks.update(args.id, args.input),
  }),
  deleteWebhook: t.field({
    type: DeletedWebhookRef,
    description: 'Deletes a webhook for good.',
    args: webhookIdArgs,
    resolve: (_root, args, context) => context.webhooks.delete(args.id),
  }),
  refreshWebhookSecret: t.field({
    type: WebhookRef,
    description:
      'Replaces the signing secret. The old secret stops working at once (no overlap): update ' +
      'your receiver with the `secret` of the result. Never retried by the gateway once sent.',
    args: webhookIdArgs,
    resolve: (_root, args, context) => context.webhooks.refreshSecret(args.id),
  }),
}));
