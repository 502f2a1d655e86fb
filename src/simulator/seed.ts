/**
 * Sample data for `npm start` and `npm run simulator`: a few webhooks in every state, shaped
 * like the documented examples (`docs/fixtures`). Ids and secrets are fixed and
 * obviously fake, so demos and tests can name them.
 */

import type { WireWebhook } from '../upstream/wire.ts';
import { API_MINIMUM_VERSION } from './api-facts.ts';

/** A fixed, fake key; the simulator accepts it by default. Never a real Featurebase key. */
export const DEMO_API_KEY = 'sk_demo_featurebase_simulator_not_a_real_key';
export const DEMO_WORKSPACE = 'demo';

export const SAMPLE_WEBHOOKS: readonly WireWebhook[] = [
  {
    object: 'webhook',
    id: '65a0f1c2e4b0a1b2c3d4e501',
    name: 'Production Webhook',
    description: 'Handles all production events',
    url: 'https://example.com/webhooks',
    secret: 'whsec_demoProductionSecret000000000000',
    status: 'active',
    topics: ['post.created', 'post.updated'],
    version: API_MINIMUM_VERSION,
    requestConfig: { timeoutMs: 5000, headers: { 'X-Custom-Header': 'value' } },
    lastStatus: { code: 200, message: 'Success', timestamp: '2026-01-15T10:30:00.000Z' },
    health: {
      avgResponseTime: 200,
      lastResponseTime: 150,
      lastSuccessAt: '2026-01-15T10:30:00.000Z',
      errorsSinceLastSuccess: 0,
      consecutiveFailures: 0,
    },
    createdAt: '2026-01-10T09:00:00.000Z',
    updatedAt: '2026-01-15T10:30:00.000Z',
  },
  {
    object: 'webhook',
    id: '65a0f1c2e4b0a1b2c3d4e502',
    name: 'Support inbox sync',
    description: null,
    url: 'https://support.example.com/hooks/featurebase',
    secret: 'whsec_demoSupportSecret0000000000000000',
    status: 'active',
    topics: ['ticket.created', 'ticket.updated', 'conversation.user.created'],
    version: API_MINIMUM_VERSION,
    requestConfig: { timeoutMs: 10000, headers: {} },
    lastStatus: { code: 204, message: 'Success', timestamp: '2026-01-16T08:05:00.000Z' },
    health: {
      avgResponseTime: 320,
      lastResponseTime: 280,
      lastSuccessAt: '2026-01-16T08:05:00.000Z',
      errorsSinceLastSuccess: 0,
      consecutiveFailures: 0,
    },
    createdAt: '2026-01-11T14:20:00.000Z',
    updatedAt: '2026-01-11T14:20:00.000Z',
  },
  {
    object: 'webhook',
    id: '65a0f1c2e4b0a1b2c3d4e503',
    name: 'Changelog to Slack',
    description: 'Paused while the Slack app is reinstalled',
    url: 'https://hooks.example.org/changelog',
    secret: 'whsec_demoChangelogSecret00000000000000',
    status: 'paused',
    topics: ['changelog.published'],
    version: API_MINIMUM_VERSION,
    requestConfig: { timeoutMs: 5000, headers: {} },
    lastStatus: { code: 200, message: 'Success', timestamp: '2026-01-12T17:45:00.000Z' },
    health: {
      avgResponseTime: 180,
      lastResponseTime: 175,
      lastSuccessAt: '2026-01-12T17:45:00.000Z',
      errorsSinceLastSuccess: 0,
      consecutiveFailures: 0,
    },
    createdAt: '2026-01-12T16:00:00.000Z',
    updatedAt: '2026-01-13T09:10:00.000Z',
  },
  {
    object: 'webhook',
    id: '65a0f1c2e4b0a1b2c3d4e504',
    name: 'Legacy CRM bridge',
    description: 'Suspended by Featurebase after repeated failures',
    url: 'https://crm.example.net/featurebase/events',
    secret: 'whsec_demoLegacyCrmSecret00000000000000',
    status: 'suspended',
    topics: ['comment.created', 'comment.updated', 'comment.deleted'],
    version: API_MINIMUM_VERSION,
    requestConfig: {
      timeoutMs: 5000,
      headers: { Authorization: 'Basic ZGVtbzpkZW1v', 'X-Source': 'featurebase' },
    },
    lastStatus: {
      code: 500,
      message: 'Internal Server Error',
      timestamp: '2026-01-17T03:00:00.000Z',
    },
    health: {
      avgResponseTime: 4100,
      lastResponseTime: 5000,
      lastSuccessAt: '2026-01-09T22:15:00.000Z',
      errorsSinceLastSuccess: 14,
      consecutiveFailures: 14,
    },
    createdAt: '2026-01-05T12:00:00.000Z',
    updatedAt: '2026-01-17T03:00:00.000Z',
  },
];

/** The sample ids, in list order, for demos and tests to name. */
export const SEED_WEBHOOK_IDS: readonly string[] = SAMPLE_WEBHOOKS.map((webhook) => webhook.id);
