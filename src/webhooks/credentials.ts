/**
 * Who is calling, read from the incoming request's headers: the Featurebase API key to forward
 * and the API version to ask for. Nothing else of the incoming request ever reaches Featurebase.
 *
 * The result is computed once per request but only enforced when a field needs Featurebase, so
 * that introspection and `__typename` work without a key (tooling needs them).
 */

import { MINIMUM_API_VERSION } from '../upstream/wire.ts';
import { UnauthenticatedError, UnsupportedApiVersionError } from './errors.ts';

export interface CallerCredentials {
  apiKey: string;
  apiVersion: string;
}

export interface CredentialDefaults {
  /** Sent when the caller sends no `Featurebase-Version`. */
  apiVersion: string;
  /** Used only when the request has no `Authorization` header at all. */
  fallbackApiKey: string | undefined;
}

export type CredentialsResult =
  | { ok: true; credentials: CallerCredentials }
  | { ok: false; error: UnauthenticatedError | UnsupportedApiVersionError };

/** RFC 6750 `b64token`, bounded: anything else (lists, spaces, control characters) is refused. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]{1,4096}=*)$/i;
const VERSION = /^(\d{4})-(\d{2})-(\d{2})\.([a-z]{1,32})$/;
const [MINIMUM_DATE, MINIMUM_CODENAME] = MINIMUM_API_VERSION.split('.') as [string, string];

export function resolveCredentials(
  headers: Pick<Headers, 'get'>,
  defaults: CredentialDefaults,
): CredentialsResult {
  const apiVersion = headers.get('featurebase-version') ?? defaults.apiVersion;
  if (!isSupportedApiVersion(apiVersion)) {
    return {
      ok: false,
      error: new UnsupportedApiVersionError(
        `Featurebase-Version must be ${MINIMUM_API_VERSION} or newer (format YYYY-MM-DD.codename): webhooks do not exist in older versions.`,
      ),
    };
  }

  const authorization = headers.get('authorization');
  if (authorization === null) {
    if (defaults.fallbackApiKey)
      return { ok: true, credentials: { apiKey: defaults.fallbackApiKey, apiVersion } };
    return {
      ok: false,
      error: new UnauthenticatedError(
        'Send your Featurebase API key as "Authorization: Bearer <key>".',
      ),
    };
  }
  const apiKey = BEARER.exec(authorization.trim())?.[1];
  if (apiKey === undefined) {
    // Never echo the header: it is (or contains) a credential.
    return {
      ok: false,
      error: new UnauthenticatedError(
        'The Authorization header must be exactly one "Bearer <key>" with a Featurebase API key.',
      ),
    };
  }
  return { ok: true, credentials: { apiKey, apiVersion } };
}

/**
 * `YYYY-MM-DD.codename`, a real date, and not older than the first version with webhooks.
 * Newer versions pass even if unknown here: Featurebase promises they keep compatibility.
 */
export function isSupportedApiVersion(version: string): boolean {
  // Every request asks about the same few versions: remember the answers. Only values shaped
  // like a version are kept (anything else, a key pasted in the wrong header included, is
  // refused without being remembered), and the map is bounded so junk versions cannot grow it.
  const known = checkedVersions.get(version);
  if (known !== undefined) return known;
  const match = VERSION.exec(version);
  if (!match) return false;
  const supported = checkVersion(match);
  if (checkedVersions.size < CHECKED_VERSIONS_MAX) checkedVersions.set(version, supported);
  return supported;
}

const CHECKED_VERSIONS_MAX = 64;
const checkedVersions = new Map<string, boolean>();

function checkVersion(match: RegExpExecArray): boolean {
  const [, year, month, day] = match;
  const date = `${year}-${month}-${day}`;
  const parsed = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date) return false;
  if (date < MINIMUM_DATE) return false;
  // The first day of webhooks had exactly one version.
  return date > MINIMUM_DATE || match[4] === MINIMUM_CODENAME;
}
