/**
 * Names in the shared state for things derived from an API key (or from a request's input,
 * which may hold secrets): an HMAC-SHA-256 under a secret every instance shares
 * (`SHARED_STATE_SECRET`), so that instances agree on the name and Redis never holds anything
 * a guessed key or value could be checked against without that secret.
 */

import { createHmac, randomBytes } from 'node:crypto';

export class KeyedHash {
  readonly #secret: Buffer;

  constructor(secret: string | Buffer) {
    this.#secret = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  }

  /** A secret of this process alone: right when the state is this process's memory. */
  static ofThisProcess(): KeyedHash {
    return new KeyedHash(randomBytes(32));
  }

  /** The hash of the parts, told apart from each other (no two lists of parts hash alike). */
  of(...parts: readonly string[]): string {
    const hmac = createHmac('sha256', this.#secret);
    for (const part of parts) hmac.update(`${part.length}:`).update(part);
    return hmac.digest('base64url');
  }
}
