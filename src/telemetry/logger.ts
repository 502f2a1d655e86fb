/**
 * Structured JSON logs (pino). The first rule is that keys and secrets are never handed to the
 * logger; redaction below is the second line of defence, for every level including debug.
 */

import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from '../config.ts';
import { scrubSecretShapes } from './secret-shapes.ts';

/** Any key or secret that could ride along in a logged object. */
const REDACTED_PATHS = [
  'authorization',
  'apiKey',
  'secret',
  'headers',
  'requestConfig.headers',
  '*.authorization',
  '*.apiKey',
  '*.secret',
  '*.headers',
  '*.requestConfig.headers',
  '*.*.authorization',
  '*.*.apiKey',
  '*.*.secret',
];

/** Free text (error messages and stacks) without anything shaped like a key or a secret. */
export function scrubSecrets(text: string): string {
  return scrubSecretShapes(text, '[Redacted]');
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'featurebase-webhooks-gateway' },
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: serializeError },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Errors are logged by name, scrubbed message and stack: never their cause or attached data. */
function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: 'non-error thrown' };
  const serialized: Record<string, unknown> = {
    type: error.name,
    message: scrubSecrets(error.message),
  };
  if ('code' in error && typeof error.code === 'string') serialized['code'] = error.code;
  if ('status' in error && typeof error.status === 'number') serialized['status'] = error.status;
  if (error.stack) serialized['stack'] = scrubSecrets(error.stack);
  return serialized;
}
