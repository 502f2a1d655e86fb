import { GraphQLError } from 'graphql';
import { builder } from './builder.ts';

/** An ISO-8601 date-time with a time zone, as `wireDateTime` and clients write them. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function isoDateTime(value: unknown): string | undefined {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

builder.scalarType('DateTime', {
  description: 'An ISO-8601 date-time in UTC, e.g. `2026-01-15T10:30:00.000Z`.',
  // Output values come from resolvers that checked and normalised them (`wireDateTime`).
  serialize: (value) => {
    if (typeof value === 'string') return value;
    const normalized = isoDateTime(value);
    if (normalized !== undefined) return normalized;
    throw new GraphQLError('Featurebase sent a date-time that is not ISO-8601.', {
      extensions: { code: 'UPSTREAM_UNAVAILABLE' },
    });
  },
  parseValue: (value) => {
    const normalized = isoDateTime(value);
    if (normalized !== undefined) return normalized;
    throw new GraphQLError('DateTime must be an ISO-8601 date-time with a time zone.', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  },
});
