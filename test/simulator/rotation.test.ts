import { describe, expect, it } from 'vitest';
import type { WireWebhook } from '../../src/upstream/wire.ts';
import { KEY, startHarness, validCreateBody } from './harness.ts';

describe('POST /v2/webhooks/{id}/secret', () => {
  it('replaces the secret at once and moves updatedAt, nothing else', async () => {
    let now = Date.parse('2026-02-01T00:00:00.000Z');
    const h = await startHarness({ now: () => now });
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', { body: validCreateBody() });
    const oldSecret = created.body.secret;
    expect(h.simulator.peekWebhook(KEY, created.body.id)?.secret).toBe(oldSecret);

    now += 1000;
    const rotated = await h.call<WireWebhook>('POST', `/v2/webhooks/${created.body.id}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_[A-Za-z0-9]{32}$/);
    expect(rotated.body.secret).not.toBe(oldSecret);
    expect(rotated.body).toEqual({
      ...created.body,
      secret: rotated.body.secret,
      updatedAt: '2026-02-01T00:00:01.000Z',
    });

    // Featurebase now holds only the new secret, and every read shows it.
    expect(h.simulator.peekWebhook(KEY, created.body.id)?.secret).toBe(rotated.body.secret);
    const fetched = await h.call<WireWebhook>('GET', `/v2/webhooks/${created.body.id}`);
    expect(fetched.body.secret).toBe(rotated.body.secret);
  });

  it('makes a new secret on every call', async () => {
    const h = await startHarness({ seed: true });
    const id = '65a0f1c2e4b0a1b2c3d4e501';
    const secrets = new Set<string>([h.simulator.peekWebhook(KEY, id)?.secret ?? '']);
    for (let i = 0; i < 5; i++) {
      const rotated = await h.call<WireWebhook>('POST', `/v2/webhooks/${id}/secret`);
      secrets.add(rotated.body.secret);
    }
    expect(secrets.size).toBe(6);
  });

  it('ignores a body sent anyway', async () => {
    const h = await startHarness({ seed: true });
    const rotated = await h.call<WireWebhook>(
      'POST',
      '/v2/webhooks/65a0f1c2e4b0a1b2c3d4e501/secret',
      {
        body: { secret: 'whsec_chosen_by_client' },
      },
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe('whsec_chosen_by_client');
  });

  it('uses the injected randomness for ids and secrets', async () => {
    const h = await startHarness({ randomBytes: (size) => new Uint8Array(size) });
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', { body: validCreateBody() });
    expect(created.body.secret).toBe(`whsec_${'A'.repeat(32)}`);
    expect(created.body.id.slice(8)).toBe('0000000000000001');
  });
});
