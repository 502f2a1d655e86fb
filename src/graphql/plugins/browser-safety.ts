/**
 * What keeps a browser from being used against the gateway: CSRF prevention (a "simple" request,
 * which a browser sends cross-site without asking, must carry a custom header, so an HTML form or
 * a `text/plain` POST cannot trigger a rotation), no GET with a non-JSON body type (the XS-Search
 * case Apollo Server 5.5 closed), and CORS limited to an allow-list of origins.
 */

import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** The header a non-browser client or a preflighted browser request may use to pass the check. */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

export function browserSafetyPlugins(): Plugin[] {
  return [useCSRFPrevention({ requestHeaders: [CSRF_HEADER] }), refuseGetWithBodyType()];
}

/** A GET carries no body: a Content-Type on it that is not JSON is a forged request. */
function refuseGetWithBodyType(): Plugin {
  return {
    onRequestParse({ request }) {
      if (request.method !== 'GET') return;
      const contentType = request.headers.get('content-type');
      if (contentType === null || contentType.toLowerCase().startsWith('application/json')) return;
      throw createGraphQLError('A GET request must not carry a Content-Type other than JSON.', {
        extensions: { http: { status: 415 }, code: 'BAD_REQUEST' },
      });
    },
  };
}

/**
 * Yoga's CORS option. With no allow-list, no `Access-Control-Allow-Origin` is ever sent: browsers
 * on other origins are refused. Origins are matched exactly; `*` is never answered, since every
 * request carries a caller's API key.
 */
export function corsOptions(allowedOrigins: readonly string[], allowLocalhost = false) {
  const allowed = new Set(allowedOrigins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !(allowed.has(origin) || (allowLocalhost && isLocalOrigin(origin)))) {
      return false as const;
    }
    return {
      origin: [origin],
      methods: ['GET', 'POST'],
      allowedHeaders: [
        'authorization',
        'content-type',
        'featurebase-version',
        // A frontend retrying a mutation it could not confirm (src/webhooks/idempotency.ts).
        'idempotency-key',
        'x-request-id',
        CSRF_HEADER,
      ],
      exposedHeaders: ['x-request-id'],
      credentials: false,
      maxAge: 600,
    };
  };
}

/** A page served from this machine (demo mode: a frontend under development on any port). */
function isLocalOrigin(origin: string): boolean {
  return /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/.test(origin);
}
