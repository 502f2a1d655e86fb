/**
 * Topic and status enums. Featurebase may start sending a topic or status this gateway does not
 * know yet; such a value must neither make the webhook unreadable nor vanish silently, so it
 * reads as `UNKNOWN` in the enum and its exact name stays available in a string field
 * (`Webhook.unrecognizedTopics`, `Webhook.unrecognizedStatus`).
 */

import {
  SETTABLE_WEBHOOK_STATUSES,
  WEBHOOK_STATUSES,
  WEBHOOK_TOPICS,
} from '../src/upstream/wire.ts';
import { builder } from './builder.ts';

/** The internal value of `UNKNOWN`; no Featurebase name looks like it (theirs are lower case). */
export const UNKNOWN = 'UNKNOWN';

/** `conversation.admin.replied` → `CONVERSATION_ADMIN_REPLIED` */
function enumName(wireName: string): string {
  return wireName.replace(/\./g, '_').toUpperCase();
}

function enumValues(wireNames: readonly string[], describe: (wireName: string) => string) {
  return Object.fromEntries(
    wireNames.map((wireName) => [
      enumName(wireName),
      { value: wireName, description: describe(wireName) },
    ]),
  );
}

const unknownValue = (what: string) => ({
  [UNKNOWN]: {
    value: UNKNOWN,
    description: `Output only: a ${what} Featurebase sent that this gateway does not know yet. Never accepted as input.`,
  },
});

const STATUS_DESCRIPTIONS: Record<string, string> = {
  active:
    'Events are delivered. Setting it restarts a paused or suspended webhook and resets its health counters.',
  paused: 'Deliveries are stopped (by a user, or by Featurebase after failures).',
  suspended: 'Deliveries were stopped by Featurebase after repeated failures.',
};

export const WebhookTopicEnum = builder.enumType('WebhookTopic', {
  description:
    'An event a webhook can subscribe to. The description of each value is its Featurebase name.',
  values: {
    ...enumValues(WEBHOOK_TOPICS, (wireName) => `\`${wireName}\``),
    ...unknownValue('topic'),
  },
});

export const WebhookStatusEnum = builder.enumType('WebhookStatus', {
  description: 'Whether Featurebase delivers events to the webhook.',
  values: {
    ...enumValues(WEBHOOK_STATUSES, (wireName) => STATUS_DESCRIPTIONS[wireName] ?? wireName),
    ...unknownValue('status'),
  },
});

export const SettableWebhookStatusEnum = builder.enumType('SettableWebhookStatus', {
  description: 'The statuses a client may set. `SUSPENDED` is set by Featurebase only.',
  values: enumValues(
    SETTABLE_WEBHOOK_STATUSES,
    (wireName) => STATUS_DESCRIPTIONS[wireName] ?? wireName,
  ),
});

export function topicOrUnknown(wireName: string): string {
  return (WEBHOOK_TOPICS as readonly string[]).includes(wireName) ? wireName : UNKNOWN;
}

export function statusOrUnknown(wireName: string): string {
  return (WEBHOOK_STATUSES as readonly string[]).includes(wireName) ? wireName : UNKNOWN;
}
