/**
 * Date-times from Featurebase (schema/wire-values.ts): the canonical form passes as is, other
 * ISO-8601 forms are normalised to UTC, and anything else is an upstream fault.
 */

import { describe, expect, it } from 'vitest';
import { wireDateTime, wireNullableDateTime } from '../../schema/wire-values.ts';

describe('wireDateTime', () => {
  it('passes the canonical UTC form through unchanged', () => {
    expect(wireDateTime('2026-01-15T10:30:00.000Z', 'Webhook.createdAt')).toBe(
      '2026-01-15T10:30:00.000Z',
    );
  });

  it.each([
    ['2026-01-15T12:30:00+02:00', '2026-01-15T10:30:00.000Z'],
    ['2026-01-15T10:30Z', '2026-01-15T10:30:00.000Z'],
    ['2026-01-15T10:30:00.5Z', '2026-01-15T10:30:00.500Z'],
  ])('normalises %s to %s', (value, expected) => {
    expect(wireDateTime(value, 'Webhook.createdAt')).toBe(expected);
  });

  it.each([
    '2026-13-01T00:00:00.000Z',
    '2026-01-01T25:00:00.000Z',
    '2026-01-15 10:30:00Z',
    '2026-01-15T10:30:00',
    '1736937000000',
    '',
    12,
    null,
  ])('refuses %j as an upstream fault, without quoting it', (value) => {
    let message = '';
    try {
      wireDateTime(value, 'Webhook.createdAt');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('Webhook.createdAt');
    if (typeof value === 'string' && value !== '') expect(message).not.toContain(value);
  });

  it('reads a missing optional date-time as null', () => {
    expect(wireNullableDateTime(undefined, 'Webhook.health.lastSuccessAt')).toBeNull();
    expect(wireNullableDateTime(null, 'Webhook.health.lastSuccessAt')).toBeNull();
  });
});
