/** The rows of the webhook table, built from the list's data and each row's rotation step. */

import type { AdminWebhookRowFragment } from '../../../schema/generated/operations.ts';
import { h } from './dom.ts';
import { failureReasons } from './health.ts';
import { topicName } from './topics.ts';

/** Where a row is in "rotate the secret": the button, the confirm step, or the call under way. */
export type RotationStep = 'idle' | 'confirming' | 'rotating';

export function webhookRow(webhook: AdminWebhookRowFragment, step: RotationStep): HTMLElement {
  const reasons = failureReasons(webhook);
  const failing = reasons.length > 0;
  return h(
    'tr',
    { 'data-webhook-id': webhook.id, class: failing ? 'webhook failing' : 'webhook' },
    h(
      'td',
      { class: 'name' },
      h('strong', {}, webhook.name),
      h('div', { class: 'url' }, webhook.url),
      h('div', { class: 'topics' }, webhook.topics.map(topicName).join(', ')),
    ),
    h(
      'td',
      { class: 'status' },
      h('span', { class: `badge status-${webhook.status.toLowerCase()}` }, statusText(webhook)),
      failing && h('span', { class: 'badge badge-failing' }, 'Failing'),
      failing && h('div', { class: 'reasons' }, reasons.join('; ')),
    ),
    h(
      'td',
      { class: 'health' },
      h(
        'dl',
        {},
        h('dt', {}, 'Consecutive failures'),
        h(
          'dd',
          { 'data-field': 'consecutiveFailures' },
          String(webhook.health.consecutiveFailures),
        ),
        h('dt', {}, 'Errors since last success'),
        h(
          'dd',
          { 'data-field': 'errorsSinceLastSuccess' },
          String(webhook.health.errorsSinceLastSuccess),
        ),
        h('dt', {}, 'Last success'),
        h('dd', { 'data-field': 'lastSuccessAt' }, dateTime(webhook.health.lastSuccessAt)),
      ),
    ),
    h(
      'td',
      { class: 'last-status', 'data-field': 'lastStatus' },
      webhook.lastStatus
        ? `HTTP ${webhook.lastStatus.code} ${webhook.lastStatus.message}, ${dateTime(webhook.lastStatus.timestamp)}`
        : 'No delivery yet',
    ),
    h('td', { class: 'actions' }, ...rotationControls(step)),
  );
}

function rotationControls(step: RotationStep): HTMLElement[] {
  switch (step) {
    case 'idle':
      return [h('button', { type: 'button', 'data-action': 'rotate' }, 'Rotate secret')];
    case 'confirming':
      return [
        h('p', { class: 'confirm-note' }, 'The old secret stops working at once.'),
        h(
          'button',
          { type: 'button', 'data-action': 'confirm-rotate', class: 'danger' },
          'Confirm rotation',
        ),
        h('button', { type: 'button', 'data-action': 'cancel-rotate' }, 'Cancel'),
      ];
    case 'rotating':
      return [h('button', { type: 'button', disabled: true }, 'Rotating…')];
  }
}

function statusText(webhook: AdminWebhookRowFragment): string {
  if (webhook.status === 'UNKNOWN') return webhook.unrecognizedStatus ?? 'unknown';
  return webhook.status.toLowerCase();
}

/** `2026-01-15T10:30:00.000Z` as `2026-01-15 10:30 UTC`: the same on every machine. */
function dateTime(value: string | null): string {
  if (value === null) return 'never';
  return `${value.slice(0, 16).replace('T', ' ')} UTC`;
}
