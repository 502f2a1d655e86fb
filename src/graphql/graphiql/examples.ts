/**
 * The operations GraphiQL opens with, one per tab: what an admin screen does most (the list with
 * delivery health) and what it does with care (a rotation). They are sent by the browser tests
 * as they stand, so they stay valid against the schema.
 */

export const LIST_WITH_HEALTH = `# Your webhooks and their delivery health. Press ▶ to run it.
# Your Featurebase API key goes in the Headers tab below.
query Webhooks {
  webhooks(first: 10) {
    nodes {
      id
      name
      url
      status
      topics
      health {
        consecutiveFailures
        errorsSinceLastSuccess
        lastSuccessAt
        avgResponseTime
      }
      lastStatus {
        code
        message
        timestamp
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`;

export const ROTATE_SECRET = `# Replaces a webhook's signing secret: the old one stops working at once, and the
# new one is shown only in this answer. Put a webhook's id in the Variables tab below.
mutation RotateSecret($id: ID!) {
  refreshWebhookSecret(id: $id) {
    id
    secret
    updatedAt
  }
}
`;
