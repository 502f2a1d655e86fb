/**
 * Sends a typed document to the gateway with `fetch`, and turns every way it can fail into the
 * GraphQL errors the page shows (message and `extensions.code`).
 */

import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

export interface GatewaySettings {
  /** The gateway's GraphQL endpoint. */
  url: string;
  /** The caller's Featurebase key; only ever sent in the Authorization header. */
  apiKey: string;
}

/** One error as the page shows it. */
export interface ErrorView {
  message: string;
  /** `extensions.code`; absent when the failure is not a GraphQL error (no answer at all). */
  code: string | undefined;
}

export class GatewayError extends Error {
  override name = 'GatewayError';
  constructor(readonly errors: readonly ErrorView[]) {
    super(errors.map((error) => error.message).join('\n'));
  }
}

export interface Result<Data> {
  data: Data;
  /** Errors that came with data (a partial result, e.g. one webhook Featurebase sent badly). */
  errors: readonly ErrorView[];
}

// The generated documents are ASTs: printed once each, not on every request.
const printed = new WeakMap<object, string>();

export async function execute<Data, Variables>(
  settings: GatewaySettings,
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
): Promise<Result<Data>> {
  let query = printed.get(document);
  if (query === undefined) {
    query = print(document);
    printed.set(document, query);
  }
  let response: Response;
  try {
    response = await fetch(settings.url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${settings.apiKey}`,
        'Content-Type': 'application/json',
        // Yoga's CSRF prevention: a browser can send a custom header only after a CORS preflight,
        // which another site's page would fail.
        'x-graphql-yoga-csrf': '1',
      },
      body: JSON.stringify({ query, variables }),
      // The key travels in a header, never in cookies; and this page's URL (which may carry
      // ?key=) is not sent along as a Referer.
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      cache: 'no-store',
    });
  } catch {
    throw new GatewayError([
      {
        message: `No answer from ${settings.url}: the gateway is not running there, or it does not allow this page's origin (CORS).`,
        code: undefined,
      },
    ]);
  }
  const body = await readJson(response);
  const errors = errorViews(body);
  const data = isObject(body) ? body['data'] : undefined;
  if (isObject(data)) {
    // The document's type says what `data` holds; the gateway validated the operation against it.
    return { data: data as Data, errors };
  }
  if (errors.length > 0) throw new GatewayError(errors);
  throw new GatewayError([
    { message: `The gateway answered HTTP ${response.status} without a result.`, code: undefined },
  ]);
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

function errorViews(body: unknown): ErrorView[] {
  const errors = isObject(body) ? body['errors'] : undefined;
  if (!Array.isArray(errors)) return [];
  return errors.map((error: unknown) => {
    const message = isObject(error) && typeof error['message'] === 'string' ? error['message'] : '';
    const extensions = isObject(error) ? error['extensions'] : undefined;
    const code = isObject(extensions) ? extensions['code'] : undefined;
    return {
      message: message || 'Unknown error',
      code: typeof code === 'string' ? code : undefined,
    };
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
