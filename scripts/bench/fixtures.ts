/**
 * The bench's upstream data, shared by the upstream child (which serves it) and the load
 * generator (which asks for it): several tenants, each with its own API key and workspace, each
 * workspace holding the same 10 webhooks (Featurebase's per-workspace maximum).
 *
 * Why several tenants: the gateway shares concurrent rotations of one webhook with the same key
 * (single-flight, `src/webhooks/single-flight.ts`). With one key and 10 ids, 20 connections rotating
 * secrets would collide all the time and the gateway would make fewer upstream calls than the
 * baseline, which is not the cost we want to measure. Requests walk round-robin over
 * (tenant, webhook) slots, so two in-flight rotations almost never share a key and an id.
 */

import { SAMPLE_WEBHOOKS } from '../../src/simulator/index.ts';
import type { WireWebhook } from '../../src/upstream/wire.ts';

/** Webhooks per tenant: the documented per-workspace limit, so lists are realistic. */
export const WEBHOOKS_PER_TENANT = 10;

/** Fake keys in the shape the gateway accepts (`Bearer` + b64token). Never real ones. */
export function tenantKey(index: number): string {
  return `sk_bench_tenant_${String(index).padStart(3, '0')}`;
}

/** 24 lowercase hex characters, like Featurebase's ObjectIds. */
export function webhookId(index: number): string {
  return `65b0f1c2e4b0a1b2c3d4${index.toString(16).padStart(4, '0')}`;
}

export const WEBHOOK_IDS: readonly string[] = Array.from({ length: WEBHOOKS_PER_TENANT }, (_, i) =>
  webhookId(i + 1),
);

/** The sample webhooks' shapes (every status, with and without headers), renamed and re-keyed. */
export function benchSeed(): WireWebhook[] {
  return WEBHOOK_IDS.map((id, index) => {
    const sample = SAMPLE_WEBHOOKS[index % SAMPLE_WEBHOOKS.length];
    if (!sample) throw new Error('SAMPLE_WEBHOOKS is empty');
    return {
      ...structuredClone(sample),
      id,
      name: `Bench webhook ${index + 1}`,
      secret: `whsec_bench${String(index + 1).padStart(28, '0')}`,
    };
  });
}

/** One request's identity: which tenant (key) and which of its webhooks. */
export interface Slot {
  apiKey: string;
  webhookId: string;
}

/**
 * Every (tenant, webhook) pair, ordered so that consecutive slots change tenant first: the
 * `connections` requests in flight at any moment use distinct keys while tenants ≥ connections.
 */
export function slots(tenants: number): Slot[] {
  const all: Slot[] = [];
  for (const id of WEBHOOK_IDS) {
    for (let tenant = 0; tenant < tenants; tenant++) {
      all.push({ apiKey: tenantKey(tenant), webhookId: id });
    }
  }
  return all;
}

/**
 * `--hostile`, attack R07: two more keys the upstream knows, whose every call it answers in a way
 * the gateway cannot use (a redirect to another origin; a 200 with a cut JSON body).
 */
export const FAULTY_KEYS = {
  redirect: 'sk_bench_attacker_redirect',
  truncated: 'sk_bench_attacker_truncated',
} as const;
