/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type CreateWebhookInput = {
  /** At most 500 characters. */
  description?: string | null | undefined;
  /** 1–100 characters. */
  name: string;
  requestConfig?: WebhookRequestConfigInput | null | undefined;
  /** At least one; `UNKNOWN` is refused. */
  topics: Array<WebhookTopic>;
  /** A public https URL. */
  url: string;
};

/** One custom HTTP header to send with every delivery. */
export type WebhookHeaderInput = {
  /** An HTTP header name (a token, no spaces). */
  name: string;
  /** No line breaks or control characters. */
  value: string;
};

export type WebhookRequestConfigInput = {
  /** At most 10. On update, replaces the whole set. */
  headers?: Array<WebhookHeaderInput> | null | undefined;
  /** Delivery timeout in milliseconds, 1000–30000. Featurebase documents it in its example request but not in its SDK: read `requestConfig.timeoutMs` of the result to see what it kept. */
  timeoutMs?: number | null | undefined;
};

/** Whether Featurebase delivers events to the webhook. */
export type WebhookStatus =
  /** Events are delivered. Setting it restarts a paused or suspended webhook and resets its health counters. */
  | 'ACTIVE'
  /** Deliveries are stopped (by a user, or by Featurebase after failures). */
  | 'PAUSED'
  /** Deliveries were stopped by Featurebase after repeated failures. */
  | 'SUSPENDED'
  /** Output only: a status Featurebase sent that this gateway does not know yet. Never accepted as input. */
  | 'UNKNOWN';

/** An event a webhook can subscribe to. The description of each value is its Featurebase name. */
export type WebhookTopic =
  /** `audit_log.created` */
  | 'AUDIT_LOG_CREATED'
  /** `changelog.published` */
  | 'CHANGELOG_PUBLISHED'
  /** `comment.created` */
  | 'COMMENT_CREATED'
  /** `comment.deleted` */
  | 'COMMENT_DELETED'
  /** `comment.updated` */
  | 'COMMENT_UPDATED'
  /** `conversation.admin.assigned` */
  | 'CONVERSATION_ADMIN_ASSIGNED'
  /** `conversation.admin.closed` */
  | 'CONVERSATION_ADMIN_CLOSED'
  /** `conversation.admin.noted` */
  | 'CONVERSATION_ADMIN_NOTED'
  /** `conversation.admin.opened` */
  | 'CONVERSATION_ADMIN_OPENED'
  /** `conversation.admin.replied` */
  | 'CONVERSATION_ADMIN_REPLIED'
  /** `conversation.admin.snoozed` */
  | 'CONVERSATION_ADMIN_SNOOZED'
  /** `conversation.admin.unsnoozed` */
  | 'CONVERSATION_ADMIN_UNSNOOZED'
  /** `conversation.contact.attached` */
  | 'CONVERSATION_CONTACT_ATTACHED'
  /** `conversation.contact.detached` */
  | 'CONVERSATION_CONTACT_DETACHED'
  /** `conversation.deleted` */
  | 'CONVERSATION_DELETED'
  /** `conversation.handover_requested` */
  | 'CONVERSATION_HANDOVER_REQUESTED'
  /** `conversation_part.redacted` */
  | 'CONVERSATION_PART_REDACTED'
  /** `conversation.priority.updated` */
  | 'CONVERSATION_PRIORITY_UPDATED'
  /** `conversation.read` */
  | 'CONVERSATION_READ'
  /** `conversation.user.created` */
  | 'CONVERSATION_USER_CREATED'
  /** `conversation.user.replied` */
  | 'CONVERSATION_USER_REPLIED'
  /** `post.created` */
  | 'POST_CREATED'
  /** `post.deleted` */
  | 'POST_DELETED'
  /** `post.updated` */
  | 'POST_UPDATED'
  /** `post.voted` */
  | 'POST_VOTED'
  /** `ticket.created` */
  | 'TICKET_CREATED'
  /** `ticket.deleted` */
  | 'TICKET_DELETED'
  /** `ticket.updated` */
  | 'TICKET_UPDATED'
  /** Output only: a topic Featurebase sent that this gateway does not know yet. Never accepted as input. */
  | 'UNKNOWN';

export type AdminWebhookRowFragment = { id: string, name: string, url: string, status: WebhookStatus, unrecognizedStatus: string | null, topics: Array<WebhookTopic>, lastStatus: { code: number, message: string, timestamp: string } | null, health: { lastSuccessAt: string | null, errorsSinceLastSuccess: number, consecutiveFailures: number } };

export type AdminWebhookListQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type AdminWebhookListQuery = { webhooks: { nodes: Array<{ id: string, name: string, url: string, status: WebhookStatus, unrecognizedStatus: string | null, topics: Array<WebhookTopic>, lastStatus: { code: number, message: string, timestamp: string } | null, health: { lastSuccessAt: string | null, errorsSinceLastSuccess: number, consecutiveFailures: number } } | null>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type AdminRotateSecretMutationVariables = Exact<{
  id: string;
}>;


export type AdminRotateSecretMutation = { refreshWebhookSecret: { id: string, secret: string } };

export type AdminCreateWebhookMutationVariables = Exact<{
  input: CreateWebhookInput;
}>;


export type AdminCreateWebhookMutation = { createWebhook: { secret: string, id: string, name: string, url: string, status: WebhookStatus, unrecognizedStatus: string | null, topics: Array<WebhookTopic>, lastStatus: { code: number, message: string, timestamp: string } | null, health: { lastSuccessAt: string | null, errorsSinceLastSuccess: number, consecutiveFailures: number } } };

export const AdminWebhookRowFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AdminWebhookRow"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Webhook"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"unrecognizedStatus"}},{"kind":"Field","name":{"kind":"Name","value":"topics"}},{"kind":"Field","name":{"kind":"Name","value":"lastStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}},{"kind":"Field","name":{"kind":"Name","value":"health"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lastSuccessAt"}},{"kind":"Field","name":{"kind":"Name","value":"errorsSinceLastSuccess"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}}]}}]}}]} as unknown as DocumentNode<AdminWebhookRowFragment, unknown>;
export const AdminWebhookListDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AdminWebhookList"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"webhooks"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"AdminWebhookRow"}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AdminWebhookRow"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Webhook"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"unrecognizedStatus"}},{"kind":"Field","name":{"kind":"Name","value":"topics"}},{"kind":"Field","name":{"kind":"Name","value":"lastStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}},{"kind":"Field","name":{"kind":"Name","value":"health"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lastSuccessAt"}},{"kind":"Field","name":{"kind":"Name","value":"errorsSinceLastSuccess"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}}]}}]}}]} as unknown as DocumentNode<AdminWebhookListQuery, AdminWebhookListQueryVariables>;
export const AdminRotateSecretDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AdminRotateSecret"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"refreshWebhookSecret"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"secret"}}]}}]}}]} as unknown as DocumentNode<AdminRotateSecretMutation, AdminRotateSecretMutationVariables>;
export const AdminCreateWebhookDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AdminCreateWebhook"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateWebhookInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createWebhook"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"AdminWebhookRow"}},{"kind":"Field","name":{"kind":"Name","value":"secret"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"AdminWebhookRow"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Webhook"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"unrecognizedStatus"}},{"kind":"Field","name":{"kind":"Name","value":"topics"}},{"kind":"Field","name":{"kind":"Name","value":"lastStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"timestamp"}}]}},{"kind":"Field","name":{"kind":"Name","value":"health"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"lastSuccessAt"}},{"kind":"Field","name":{"kind":"Name","value":"errorsSinceLastSuccess"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}}]}}]}}]} as unknown as DocumentNode<AdminCreateWebhookMutation, AdminCreateWebhookMutationVariables>;