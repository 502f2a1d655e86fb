/**
 * Facts of the Featurebase API the simulator enforces, written from the API notes
 * (`docs/featurebase-webhooks-api.md`) for the simulator alone. The gateway holds the
 * same facts in src/upstream/wire.ts; were the simulator to import them, a wrong constant there
 * would agree with itself and every test would pass. test/simulator/api-facts.test.ts holds the
 * two copies equal, so changing either one alone fails the suite. (Wire *types* are still shared:
 * they describe shapes, not facts a test could catch.)
 */

/**
 * Every topic of the `featurebase-node@0.14.1` SDK enum, by group as the notes list them
 * (§2.2: 4 + 3 + 1 + 3 + 15 + 1 + 1 = 28).
 */
export const API_TOPICS: readonly string[] = [
  // Requests (posts)
  'post.created',
  'post.updated',
  'post.deleted',
  'post.voted',
  // Tickets
  'ticket.created',
  'ticket.updated',
  'ticket.deleted',
  // Updates (changelog)
  'changelog.published',
  // Comments
  'comment.created',
  'comment.updated',
  'comment.deleted',
  // Conversations
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
  // Conversation parts
  'conversation_part.redacted',
  // Audit log (Enterprise plan; SDK 0.14.x only)
  'audit_log.created',
];

/** The webhooks endpoints exist from this API version on (notes §1, §3). */
export const API_MINIMUM_VERSION = '2026-01-01.nova';
