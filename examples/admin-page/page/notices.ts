/**
 * The two notices above the table: the error area, and the one-time secret. The secret lives only
 * in its input while shown; clearing the panel empties it, and nothing else holds it.
 */

import { byId, h } from './dom.ts';
import type { ErrorView } from './gateway-client.ts';

export function showErrors(errors: readonly ErrorView[]): void {
  const area = byId('errors', HTMLElement);
  area.replaceChildren(
    h(
      'ul',
      {},
      ...errors.map((error) =>
        h(
          'li',
          {},
          error.code ? h('code', { class: 'error-code' }, error.code) : null,
          h('span', { class: 'error-message' }, error.message),
        ),
      ),
    ),
  );
  area.hidden = false;
}

export function clearErrors(): void {
  const area = byId('errors', HTMLElement);
  area.replaceChildren();
  area.hidden = true;
}

export function showSecret(title: string, secret: string): void {
  byId('secret-title', HTMLElement).textContent = title;
  const value = byId('secret-value', HTMLInputElement);
  value.value = secret;
  byId('secret-copy', HTMLButtonElement).textContent = 'Copy';
  byId('secret-panel', HTMLElement).hidden = false;
  value.focus();
  value.select();
}

export function clearSecret(): void {
  byId('secret-value', HTMLInputElement).value = '';
  byId('secret-title', HTMLElement).textContent = 'New signing secret';
  byId('secret-panel', HTMLElement).hidden = true;
}

/** Copies the shown secret; where the clipboard is refused, it stays selected for Ctrl-C. */
export async function copySecret(): Promise<void> {
  const value = byId('secret-value', HTMLInputElement);
  value.select();
  try {
    await navigator.clipboard.writeText(value.value);
    byId('secret-copy', HTMLButtonElement).textContent = 'Copied';
  } catch {
    byId('secret-copy', HTMLButtonElement).textContent = 'Press Ctrl-C';
  }
}
