/**
 * Upstream paths built from ids. An id is checked before anything is sent, so no caller input
 * can reshape a path (`../`, `/secret`, `?x=1`): a path is only ever built from a checked id.
 */

import { InvalidArgumentError } from './errors.ts';
import { WEBHOOK_ID_PATTERN } from './wire.ts';

export const WEBHOOKS_PATH = '/v2/webhooks';

/** `/v2/webhooks/<id>` or `/v2/webhooks/<id>/secret`; throws `InvalidArgumentError` for a bad id. */
export function webhookPath(id: string, suffix?: 'secret'): string {
  if (typeof id !== 'string' || !WEBHOOK_ID_PATTERN.test(id)) {
    // The bad value is not echoed: it is caller input of any size and content.
    throw new InvalidArgumentError('id', 'A webhook id is 24 hexadecimal characters.');
  }
  // A checked id needs no encoding; encoding anyway keeps the path safe if the pattern changes.
  const base = `${WEBHOOKS_PATH}/${encodeURIComponent(id)}`;
  return suffix === 'secret' ? `${base}/secret` : base;
}

/** The path with ids replaced by `:id`, for logs and metrics (bounded cardinality, no ids). */
export function pathTemplate(path: string): string {
  const withoutQuery = path.split('?', 1)[0] ?? '';
  return withoutQuery.replace(/\/[0-9a-f]{24}(?=\/|$)/gi, '/:id');
}
