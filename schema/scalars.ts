import { GraphQLError } from 'graphql';
import { builder } from './builder.ts';
import { normalizeDateTime } from './date-time.ts';

builder.scalarType('DateTime', {
  description: 'An ISO-8601 date-time in UTC, e.g. `2026-01-15T10:30:00.000Z`.',
  // Output values come from resolvers that checked and normalised them (`wireDateTime`).
  serialize: (value) => {
    if (typeof value === 'string') return value;
    throw new GraphQLError('Featurebase sent a date-time that is not ISO-8601.', {
      extensions: { code: 'UPSTREAM_UNAVAILABLE' },
    });
  },
  parseValue: (value) => {
    const normalized = normalizeDateTime(value);
    if (normalized !== undefined) return normalized;
    throw new GraphQLError('DateTime must be an ISO-8601 date-time with a time zone.', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  },
});
