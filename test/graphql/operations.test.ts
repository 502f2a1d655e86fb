/**
 * The per-request WebhookOperations over the real client and simulator: how the loader is
 * primed and cleared by mutation results, which no single GraphQL operation can show (mutation
 * fields cannot be followed by query fields).
 */

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SEED_WEBHOOK_IDS, startSimulator } from '../../src/simulator/index.ts';
import { createFeaturebaseClient, createUpstreamAgent } from '../../src/upstream/index.ts';
import { resolveCredentials } from '../../src/webhooks/credentials.ts';
import { WebhookOperations } from '../../src/webhooks/operations.ts';
import { API_KEY } from '../support/gateway.ts';

const running = await startSimulator();
const agent = createUpstreamAgent();
const client = createFeaturebaseClient({
  baseUrl: running.url,
  dispatcher: agent,
  timeoutMs: 2000,
});
afterAll(async () => {
  await agent.close();
  await running.close();
});
beforeEach(() => running.simulator.reset());

const [id] = SEED_WEBHOOK_IDS as [string];

function operations(headers: Record<string, string> = { authorization: `Bearer ${API_KEY}` }) {
  return new WebhookOperations({
    client,
    credentials: resolveCredentials(new Headers(headers), {
      apiVersion: '2026-01-01.nova',
      fallbackApiKey: undefined,
    }),
    requestId: 'test-request',
  });
}

describe('WebhookOperations', () => {
  it('primes the loader with a rotation result, so a later read costs nothing and sees the new secret', async () => {
    const ops = operations();
    const before = await ops.get(id);
    const rotated = await ops.refreshSecret(id);
    const after = await ops.get(id);
    expect(after?.secret).toBe(rotated.secret);
    expect(after?.secret).not.toBe(before?.secret);
    expect(running.simulator.countRequests({ method: 'GET' })).toBe(1);
  });

  it('primes the loader with list results', async () => {
    const ops = operations();
    await ops.list({ first: 10 });
    const webhook = await ops.get(id.toUpperCase());
    expect(webhook?.id).toBe(id);
    expect(running.simulator.countRequests()).toBe(1);
  });

  it('remembers a deletion as null', async () => {
    const ops = operations();
    await ops.get(id);
    await ops.delete(id);
    expect(await ops.get(id)).toBeNull();
    expect(running.simulator.countRequests({ method: 'GET' })).toBe(1);
  });

  it('refuses every operation without credentials before any call', async () => {
    const ops = operations({});
    await expect(async () => ops.get(id)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(ops.list({})).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(ops.refreshSecret(id)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(ops.delete(id)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(ops.update(id, { name: 'x' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(
      ops.create({ name: 'x', url: 'https://e.com', topics: ['post.created'] }),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(running.simulator.countRequests()).toBe(0);
  });
});
