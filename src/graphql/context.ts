/**
 * The per-request GraphQL context: who is calling, the request id, and the webhook operations
 * bound to both. Built fresh for every request, so nothing (loaders included) outlives it.
 */

import type { CallTrace } from '../upstream/call-trace.ts';
import type { FeaturebaseClient } from '../upstream/client.ts';
import { type CredentialDefaults, resolveCredentials } from '../webhooks/credentials.ts';
import type { IdempotencyKeys } from '../webhooks/idempotency.ts';
import { WebhookOperations } from '../webhooks/operations.ts';
import type { RotationFlight } from '../webhooks/rotation-flight.ts';
import type { RequestLimits } from './request-limits.ts';

export interface GatewayContext {
  requestId: string;
  webhooks: WebhookOperations;
  /** `_entities` representations one request may carry. */
  maxEntityRepresentations: number;
}

export interface ContextDependencies {
  client: FeaturebaseClient;
  credentialDefaults: CredentialDefaults;
  limits: Pick<
    RequestLimits,
    'upstreamCallsPerOperation' | 'entityPagesPerOperation' | 'maxEntityRepresentations'
  >;
  /** Shared by every request of this process. */
  rotations: RotationFlight;
  /** Records of mutations sent with an `Idempotency-Key`. */
  idempotency: IdempotencyKeys;
}

export function createContext(
  dependencies: ContextDependencies,
  request: Request,
  requestId: string,
  clientAddress: string | undefined,
  /** The operation's span, as the parent of its Featurebase calls; `undefined`: not traced. */
  trace?: CallTrace,
): GatewayContext {
  return {
    requestId,
    maxEntityRepresentations: dependencies.limits.maxEntityRepresentations,
    webhooks: new WebhookOperations({
      client: dependencies.client,
      credentials: resolveCredentials(request.headers, dependencies.credentialDefaults),
      requestId,
      clientAddress,
      trace,
      signal: () => request.signal,
      upstreamCallBudget: dependencies.limits.upstreamCallsPerOperation,
      entityPageBudget: dependencies.limits.entityPagesPerOperation,
      rotations: dependencies.rotations,
      idempotency: {
        keys: dependencies.idempotency,
        key: request.headers.get('idempotency-key') ?? undefined,
      },
    }),
  };
}
