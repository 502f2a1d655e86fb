/**
 * Webhook ids and signing secrets, made the way Featurebase makes them: ids are MongoDB
 * ObjectIds (4-byte seconds timestamp, 5 random bytes, 3-byte counter), secrets are `whsec_`
 * followed by random characters.
 */

import { randomBytes as cryptoRandomBytes } from 'node:crypto';

/** Returns `size` random bytes. Injectable so a test can make ids and secrets predictable. */
export type RandomBytes = (size: number) => Uint8Array;

export const defaultRandomBytes: RandomBytes = (size) => cryptoRandomBytes(size);

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_RANDOM_CHARS = 32;

export function createIdFactory(random: RandomBytes): (nowMs: number) => string {
  const processPart = Buffer.from(random(5)).toString('hex');
  let counter = Buffer.from(random(3)).readUIntBE(0, 3);
  return (nowMs) => {
    counter = (counter + 1) % 0x1000000;
    const seconds = Math.floor(nowMs / 1000) >>> 0;
    return (
      seconds.toString(16).padStart(8, '0') + processPart + counter.toString(16).padStart(6, '0')
    );
  };
}

/** Alphanumeric like the documented examples. The slight modulo bias is harmless in a simulator. */
export function createSecret(random: RandomBytes): string {
  let out = 'whsec_';
  for (const byte of random(SECRET_RANDOM_CHARS)) out += ALPHABET.charAt(byte % ALPHABET.length);
  return out;
}
