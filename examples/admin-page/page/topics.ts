/**
 * The topics the create form offers, with their Featurebase names. A record over the generated
 * `WebhookTopic` type: a topic added to the schema (after `npm run codegen`) fails type-checking
 * here until it is listed.
 */

import type { WebhookTopic } from '../../../schema/generated/operations.ts';

/** `UNKNOWN` is output only: the gateway refuses it as input. */
export type InputTopic = Exclude<WebhookTopic, 'UNKNOWN'>;

export const TOPIC_NAMES: Readonly<Record<InputTopic, string>> = {
  POST_CREATED: 'post.created',
  POST_UPDATED: 'post.updated',
  POST_DELETED: 'post.deleted',
  POST_VOTED: 'post.voted',
  TICKET_CREATED: 'ticket.created',
  TICKET_UPDATED: 'ticket.updated',
  TICKET_DELETED: 'ticket.deleted',
  CHANGELOG_PUBLISHED: 'changelog.published',
  COMMENT_CREATED: 'comment.created',
  COMMENT_UPDATED: 'comment.updated',
  COMMENT_DELETED: 'comment.deleted',
  CONVERSATION_USER_CREATED: 'conversation.user.created',
  CONVERSATION_USER_REPLIED: 'conversation.user.replied',
  CONVERSATION_ADMIN_REPLIED: 'conversation.admin.replied',
  CONVERSATION_ADMIN_NOTED: 'conversation.admin.noted',
  CONVERSATION_ADMIN_CLOSED: 'conversation.admin.closed',
  CONVERSATION_ADMIN_OPENED: 'conversation.admin.opened',
  CONVERSATION_ADMIN_SNOOZED: 'conversation.admin.snoozed',
  CONVERSATION_ADMIN_UNSNOOZED: 'conversation.admin.unsnoozed',
  CONVERSATION_ADMIN_ASSIGNED: 'conversation.admin.assigned',
  CONVERSATION_PRIORITY_UPDATED: 'conversation.priority.updated',
  CONVERSATION_HANDOVER_REQUESTED: 'conversation.handover_requested',
  CONVERSATION_DELETED: 'conversation.deleted',
  CONVERSATION_CONTACT_ATTACHED: 'conversation.contact.attached',
  CONVERSATION_CONTACT_DETACHED: 'conversation.contact.detached',
  CONVERSATION_READ: 'conversation.read',
  CONVERSATION_PART_REDACTED: 'conversation_part.redacted',
  AUDIT_LOG_CREATED: 'audit_log.created',
};

export const INPUT_TOPICS = Object.keys(TOPIC_NAMES) as InputTopic[];

export function isInputTopic(value: string): value is InputTopic {
  return Object.hasOwn(TOPIC_NAMES, value);
}

/** The Featurebase name, for display; `UNKNOWN` stays as it is. */
export function topicName(topic: WebhookTopic): string {
  return topic === 'UNKNOWN' ? 'unknown' : TOPIC_NAMES[topic];
}
