/**
 * Checked reads of Featurebase's JSON. The upstream client is lenient on purpose (one odd leaf
 * must not make a whole webhook unreadable), so each field checks its own value here: a value of
 * the wrong type becomes an error on that field alone, with a stable code, and the value itself
 * is never echoed (it could be a secret).
 */

import { GraphQLError } from 'graphql';
import { normalizeDateTime } from './date-time.ts';

export function invalidUpstreamValue(coordinate: string): GraphQLError {
  return new GraphQLError(`Featurebase sent a value that does not fit ${coordinate}.`, {
    extensions: { code: 'UPSTREAM_UNAVAILABLE' },
  });
}

export function wireString(value: unknown, coordinate: string): string {
  if (typeof value === 'string') return value;
  throw invalidUpstreamValue(coordinate);
}

export function wireNullableString(value: unknown, coordinate: string): string | null {
  return value === null || value === undefined ? null : wireString(value, coordinate);
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

export function wireInt(value: unknown, coordinate: string): number {
  if (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= INT_MIN &&
    value <= INT_MAX
  ) {
    return value;
  }
  throw invalidUpstreamValue(coordinate);
}

export function wireNumber(value: unknown, coordinate: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw invalidUpstreamValue(coordinate);
}

export function wireObject(value: unknown, coordinate: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  throw invalidUpstreamValue(coordinate);
}

export function wireArray(value: unknown, coordinate: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw invalidUpstreamValue(coordinate);
}

/**
 * A date-time checked (and normalised to UTC) here rather than in the scalar: the executor
 * rethrows a scalar's error as a plain Error, losing its code, while a resolver's error keeps it.
 */
export function wireDateTime(value: unknown, coordinate: string): string {
  const normalized = normalizeDateTime(value);
  if (normalized === undefined) throw invalidUpstreamValue(coordinate);
  return normalized;
}

export function wireNullableDateTime(value: unknown, coordinate: string): string | null {
  return value === null || value === undefined ? null : wireDateTime(value, coordinate);
}
