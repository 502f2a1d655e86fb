/**
 * The per-request GraphQL context: who is calling, the request id, and the webhook operations
 * bound to both. Built fresh for every request, so nothing (loaders included) outlives it.
 */

import type { Logger } from 'pino';
import { type CredentialDefaults, resolveCredentials } from './credentials.ts';
import type { FeaturebaseClient } from './upstream/client.ts';
import { WebhookOperations } from './webhook-operations.ts';

export interface GatewayContext {
  requestId: string;
  webhooks: WebhookOperations;
  log: Logger;
}

export interface ContextDependencies {
  client: FeaturebaseClient;
  credentialDefaults: CredentialDefaults;
}

export function createContext(
  dependencies: ContextDependencies,
  request: Request,
  requestId: string,
  log: Logger,
): GatewayContext {
  return {
    requestId,
    log,
    webhooks: new WebhookOperations({
      client: dependencies.client,
      credentials: resolveCredentials(request.headers, dependencies.credentialDefaults),
      requestId,
      signal: request.signal,
    }),
  };
}
