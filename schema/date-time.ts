/**
 * ISO-8601 date-times with a time zone, normalised to UTC with milliseconds: how Featurebase
 * writes them, and how the `DateTime` scalar sends and accepts them.
 */

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The normal form: what Featurebase sends, and what the scalar sends on. */
const CANONICAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The value in the normal form, or `undefined` when it is not a real ISO-8601 date-time. */
export function normalizeDateTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // The usual form first: one pattern, and the parse only to reject impossible dates.
  if (CANONICAL_DATE_TIME.test(value)) return Number.isNaN(Date.parse(value)) ? undefined : value;
  if (!ISO_DATE_TIME.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
