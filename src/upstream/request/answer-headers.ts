/**
 * Featurebase's rate-limit headers, read from an answer. Shared by the attempt that reads them and
 * the rate-limit gate that remembers them, so neither imports the other.
 */

import type { Dispatcher } from 'undici';
import { RATE_LIMIT_HEADERS } from '../wire.ts';

/** Rate-limit headers of an answer, as numbers, when present and numeric. */
export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  /** `X-RateLimit-Reset` as sent (its unit is undocumented: seconds left or a Unix time). */
  reset?: number;
}

export function readRateLimit(
  headers: Dispatcher.ResponseData['headers'],
): RateLimitInfo | undefined {
  const info: RateLimitInfo = {};
  const limit = numericHeader(headers[RATE_LIMIT_HEADERS.limit]);
  const remaining = numericHeader(headers[RATE_LIMIT_HEADERS.remaining]);
  const reset = numericHeader(headers[RATE_LIMIT_HEADERS.reset]);
  if (limit !== undefined) info.limit = limit;
  if (remaining !== undefined) info.remaining = remaining;
  if (reset !== undefined) info.reset = reset;
  return limit === undefined && remaining === undefined && reset === undefined ? undefined : info;
}

function numericHeader(value: string | string[] | undefined): number | undefined {
  const raw = firstHeader(value)?.trim();
  if (raw === undefined || raw === '') return undefined;
  const number = Number(raw);
  return Number.isFinite(number) ? number : undefined;
}

/** The first value of a header undici may give as a list. */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
