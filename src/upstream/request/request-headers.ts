/**
 * The headers sent to Featurebase: exactly those it needs, built from the caller's credentials
 * and nothing of the incoming request.
 */

import type { Caller } from '../caller.ts';
import { InvalidArgumentError } from '../errors.ts';

const API_KEY = /^[\x21-\x7e]{1,4096}$/;
const API_VERSION = /^[\x21-\x7e]{1,64}$/;
const REQUEST_ID = /^[\x21-\x7e]{1,256}$/;

/** Exactly the headers Featurebase needs, and nothing of the incoming request. */
export function buildHeaders(
  caller: Caller,
  hasBody: boolean,
  userAgent: string,
): Record<string, string> {
  // The values are never echoed: the key is a credential, the others come from callers.
  if (typeof caller.apiKey !== 'string' || !API_KEY.test(caller.apiKey)) {
    throw new InvalidArgumentError('apiKey', 'The API key has characters that cannot be sent.');
  }
  if (typeof caller.apiVersion !== 'string' || !API_VERSION.test(caller.apiVersion)) {
    throw new InvalidArgumentError('apiVersion', 'The API version cannot be sent as a header.');
  }
  if (typeof caller.requestId !== 'string' || !REQUEST_ID.test(caller.requestId)) {
    throw new InvalidArgumentError('requestId', 'The request id cannot be sent as a header.');
  }
  const headers: Record<string, string> = {
    authorization: `Bearer ${caller.apiKey}`,
    'featurebase-version': caller.apiVersion,
    accept: 'application/json',
    'user-agent': userAgent,
    'x-request-id': caller.requestId,
  };
  if (hasBody) headers['content-type'] = 'application/json';
  return headers;
}
