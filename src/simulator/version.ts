/**
 * `Featurebase-Version` gating. The webhooks endpoints exist from `2026-01-01.nova` on; what
 * Featurebase answers to an older or malformed version is UNCONFIRMED. We choose a 400
 * `invalid_request_error` that names the minimum version, so a caller can tell it apart from a
 * missing webhook (a 404 would be ambiguous).
 */

import { ApiError } from './api-error.ts';
import { API_MINIMUM_VERSION } from './api-facts.ts';
import { ERROR_CODES } from './error-codes.ts';

const VERSION_PATTERN = /^(\d{4}-\d{2}-\d{2})\.([a-z]+)$/;
const VERSION_PARAM = 'Featurebase-Version';
const [MINIMUM_DATE = '', MINIMUM_CODENAME = ''] = API_MINIMUM_VERSION.split('.');
/** Versions already accepted, so the hot path skips the parsing. Bounded: callers send few. */
const accepted = new Set<string>();
const ACCEPTED_CACHE_MAX = 32;

/**
 * Returns the version the request runs under: the header, or the workspace default when the
 * header is absent. Either one is checked, so a workspace whose default is Clover is refused too.
 */
export function resolveApiVersion(header: string | undefined, workspaceDefault: string): string {
  const version = header ?? workspaceDefault;
  if (accepted.has(version)) return version;
  const match = VERSION_PATTERN.exec(version);
  const date = match?.[1];
  const codename = match?.[2];
  if (date === undefined || codename === undefined || !isCalendarDate(date)) {
    throw new ApiError(
      400,
      'invalid_request_error',
      ERROR_CODES.apiVersionInvalid,
      `${VERSION_PARAM} must look like YYYY-MM-DD.codename, e.g. ${API_MINIMUM_VERSION}`,
      VERSION_PARAM,
    );
  }
  // Versions are ordered by date. A later date with a codename we have not heard of is accepted
  // (Featurebase promises compatibility); the minimum's own date must carry its own codename.
  if (date < MINIMUM_DATE || (date === MINIMUM_DATE && codename !== MINIMUM_CODENAME)) {
    throw new ApiError(
      400,
      'invalid_request_error',
      ERROR_CODES.apiVersionUnsupported,
      `API version ${version} does not have the webhooks API; use ${API_MINIMUM_VERSION} or later`,
      VERSION_PARAM,
    );
  }
  if (accepted.size < ACCEPTED_CACHE_MAX) accepted.add(version);
  return version;
}

function isCalendarDate(date: string): boolean {
  const parsed = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(date);
}
