import { describe, expect, it } from 'vitest';
import type { WireWebhook, WireWebhookList } from '../../src/upstream/wire.ts';
import { expectError, KEY, OTHER_KEY, startHarness, validCreateBody } from './harness.ts';

const MINUTE = 60_000;

describe('the webhook limit', () => {
  it('refuses the 11th webhook of a workspace with 400 webhook_limit_reached', async () => {
    const h = await startHarness();
    for (let i = 0; i < 10; i++) {
      expect((await h.call('POST', '/v2/webhooks', { body: validCreateBody() })).status).toBe(201);
    }
    const error = expectError(await h.call('POST', '/v2/webhooks', { body: validCreateBody() }), {
      status: 400,
      type: 'invalid_request_error',
      code: 'webhook_limit_reached',
    });
    expect(error.message).toContain('10');
    expect(h.simulator.peekWebhooks(KEY)).toHaveLength(10);
    // Another workspace has its own count; deleting one frees a place.
    expect(
      (await h.call('POST', '/v2/webhooks', { key: OTHER_KEY, body: validCreateBody() })).status,
    ).toBe(201);
    const first = h.simulator.peekWebhooks(KEY)[0];
    await h.call('DELETE', `/v2/webhooks/${first?.id}`);
    expect((await h.call('POST', '/v2/webhooks', { body: validCreateBody() })).status).toBe(201);
  });

  it('counts seeded webhooks and honours a configured limit', async () => {
    const h = await startHarness({ seed: true, webhookLimit: 5 });
    expect((await h.call('POST', '/v2/webhooks', { body: validCreateBody() })).status).toBe(201);
    expect((await h.call('POST', '/v2/webhooks', { body: validCreateBody() })).status).toBe(400);
  });

  it('refuses a seed over the limit, and holds 1,000 webhooks when the limit is raised with it', async () => {
    const sample = (await startHarness({ seed: true })).simulator.peekWebhooks(KEY)[0];
    const seed = Array.from({ length: 1000 }, (_, index) => ({
      ...(sample as WireWebhook),
      id: `7${index.toString(16).padStart(23, '0')}`,
    }));
    await expect(startHarness({ seed })).rejects.toThrow(/over the workspace limit of 10/);

    const h = await startHarness({ seed, webhookLimit: 1000 });
    expect(h.simulator.peekWebhooks(KEY)).toHaveLength(1000);
    // Full: the limit holds for creates as for any workspace.
    expect((await h.call('POST', '/v2/webhooks', { body: validCreateBody() })).status).toBe(400);
    // Ten pages of 100 in creation order; the last one, exactly full, ends the listing.
    const listed: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const answer = await h.call<WireWebhookList>('GET', `/v2/webhooks?limit=100${query}`);
      listed.push(...answer.body.data.map((webhook) => webhook.id));
      cursor = answer.body.nextCursor;
    }
    expect(cursor).toBeNull();
    expect(listed).toEqual(seed.map((webhook) => webhook.id));
  });
});

describe('rate limiting', () => {
  it('sends X-RateLimit-* on every authenticated answer, errors included', async () => {
    let now = 10 * MINUTE + 15_000; // 15 s into a minute: 45 s left in the window
    const h = await startHarness({ now: () => now });
    const ok = await h.call('GET', '/v2/webhooks');
    expect(ok.headers.get('x-ratelimit-limit')).toBe('2000');
    expect(ok.headers.get('x-ratelimit-remaining')).toBe('1999');
    expect(ok.headers.get('x-ratelimit-reset')).toBe('45');
    now += 5_000;
    const notFound = await h.call('GET', '/v2/webhooks/507f1f77bcf86cd799439011');
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-ratelimit-remaining')).toBe('1998');
    expect(notFound.headers.get('x-ratelimit-reset')).toBe('40');
    const badVersion = await h.call('GET', '/v2/webhooks', { version: 'x' });
    expect(badVersion.headers.get('x-ratelimit-remaining')).toBe('1997');
  });

  it('answers 429 with Retry-After once the window is spent, and recovers in the next window', async () => {
    let now = 3 * MINUTE + 50_000;
    const h = await startHarness({ rateLimitPerMinute: 3, now: () => now });
    for (let i = 0; i < 3; i++) expect((await h.call('GET', '/v2/webhooks')).status).toBe(200);
    const limited = await h.call('GET', '/v2/webhooks');
    const error = expectError(limited, {
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
    });
    expect(error.message).toContain('3');
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe('10');
    // A refused create changes nothing.
    expect((await h.call('POST', '/v2/webhooks', { body: validCreateBody() })).status).toBe(429);
    expect(h.simulator.peekWebhooks(KEY)).toEqual([]);
    // Each key has its own budget.
    expect((await h.call('GET', '/v2/webhooks', { key: OTHER_KEY })).status).toBe(200);

    now = 4 * MINUTE;
    const next = await h.call('GET', '/v2/webhooks');
    expect(next.status).toBe(200);
    expect(next.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(next.headers.get('x-ratelimit-reset')).toBe('60');
  });
});

describe('request body size', () => {
  it('refuses a body over 1,000,000 bytes with 413', async () => {
    const h = await startHarness();
    const body = JSON.stringify(validCreateBody({ description: 'x'.repeat(1_000_000) }));
    const result = await h.call('POST', '/v2/webhooks', {
      rawBody: body,
      headers: { 'content-type': 'application/json' },
    });
    expectError(result, { status: 413, type: 'invalid_request_error', code: 'body_too_large' });
    expect(h.simulator.peekWebhooks(KEY)).toEqual([]);
    // The connection is still usable afterwards.
    expect((await h.call('GET', '/v2/webhooks')).status).toBe(200);
  });

  it('refuses a declared oversize body on any endpoint, before anything else', async () => {
    const h = await startHarness({ seed: true });
    const id = '65a0f1c2e4b0a1b2c3d4e501';
    const before = h.simulator.peekWebhook(KEY, id)?.secret;
    const big = { rawBody: 'x'.repeat(1_000_001), headers: { 'content-type': 'application/json' } };
    const rotated = await h.call('POST', `/v2/webhooks/${id}/secret`, big);
    expectError(rotated, { status: 413, type: 'invalid_request_error', code: 'body_too_large' });
    expect(h.simulator.peekWebhook(KEY, id)?.secret).toBe(before);
    // Even without credentials: the size is judged before the key.
    expect((await h.call('POST', '/v2/webhooks', { ...big, key: null })).status).toBe(413);
  });

  it('accepts a body of exactly 1,000,000 bytes', async () => {
    const h = await startHarness();
    const json = JSON.stringify(validCreateBody());
    const body = json + ' '.repeat(1_000_000 - Buffer.byteLength(json));
    const result = await h.call<WireWebhook>('POST', '/v2/webhooks', {
      rawBody: body,
      headers: { 'content-type': 'application/json' },
    });
    expect(result.status).toBe(201);
  });

  it('refuses a chunked body once it passes the limit', async () => {
    const h = await startHarness({ maxBodyBytes: 1000 });
    const chunk = new TextEncoder().encode(`{"name":"${'x'.repeat(600)}`);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await fetch(`${h.url}/v2/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'body_too_large', status: 413 } });
  });
});
