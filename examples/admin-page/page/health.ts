/**
 * Which webhooks stand out as failing. A paused webhook does not: somebody stopped it on purpose.
 * Failing is what Featurebase reports going wrong: it suspended the webhook, the last deliveries
 * failed in a row, or the endpoint's last answer was an HTTP error.
 */

import type { AdminWebhookRowFragment } from '../../../schema/generated/operations.ts';

type Health = Pick<AdminWebhookRowFragment, 'status' | 'health' | 'lastStatus'>;

/** The reasons a webhook is failing, for its badge; empty when it is not. */
export function failureReasons(webhook: Health): string[] {
  const reasons: string[] = [];
  if (webhook.status === 'SUSPENDED') reasons.push('suspended by Featurebase');
  const failures = webhook.health.consecutiveFailures;
  if (failures > 0) reasons.push(`${failures} failed deliveries in a row`);
  const code = webhook.lastStatus?.code;
  if (code !== undefined && code >= 400) reasons.push(`last delivery answered HTTP ${code}`);
  return reasons;
}
