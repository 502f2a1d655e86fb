import { describe, expect, it } from 'vitest';
import {
  DEMO_API_KEY,
  SAMPLE_WEBHOOKS,
  SEED_WEBHOOK_IDS,
  startSimulator,
} from '../../src/simulator/index.ts';
import type { WireWebhook, WireWebhookList } from '../../src/upstream/wire.ts';
import { KEY, OTHER_KEY, startHarness, validCreateBody } from './harness.ts';

const SEEDED_ID = '65a0f1c2e4b0a1b2c3d4e501';

describe('the request log', () => {
  it('records method, path, query, headers as received, status and time', async () => {
    const h = await startHarness({ now: () => 1_234_567 });
    await h.call('GET', '/v2/webhooks?limit=2&status=paused&limit=3', {
      headers: { 'X-Trace-Id': 'trace-1', Cookie: 'session=abc' },
    });
    expect(h.simulator.requests).toEqual([
      {
        method: 'GET',
        path: '/v2/webhooks',
        query: { limit: '2', status: 'paused' },
        headers: expect.objectContaining({
          authorization: `Bearer ${KEY}`,
          'featurebase-version': '2026-01-01.nova',
          'x-trace-id': 'trace-1',
          cookie: 'session=abc',
          host: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        }),
        status: 200,
        at: 1_234_567,
      },
    ]);
  });

  it('records refused requests and the parsed create body', async () => {
    const h = await startHarness();
    await h.call('GET', '/v2/webhooks', { key: null });
    await h.call('GET', '/v2/nothing');
    await h.call('POST', '/v2/webhooks', { body: validCreateBody() });
    const [unauthenticated, unknown, created] = h.simulator.requests;
    expect(unauthenticated?.status).toBe(401);
    expect(unauthenticated?.headers).not.toHaveProperty('authorization');
    expect(unknown?.status).toBe(404);
    expect(created?.status).toBe(201);
    expect(created?.body).toEqual(validCreateBody());
  });

  it('counts with filters, and clears', async () => {
    const h = await startHarness({ seed: true });
    await h.call('GET', '/v2/webhooks');
    await h.call('GET', `/v2/webhooks/${SEEDED_ID}`);
    await h.call('POST', `/v2/webhooks/${SEEDED_ID}/secret`);
    await h.call('GET', '/v2/webhooks/507f1f77bcf86cd799439011');
    expect(h.simulator.countRequests()).toBe(4);
    expect(h.simulator.countRequests({ method: 'get' })).toBe(3);
    expect(h.simulator.countRequests({ method: 'POST', path: /\/secret$/ })).toBe(1);
    expect(h.simulator.countRequests({ path: '/v2/webhooks' })).toBe(1);
    expect(h.simulator.countRequests({ status: 404 })).toBe(1);
    h.simulator.clearRequests();
    expect(h.simulator.countRequests()).toBe(0);
    expect(h.simulator.requests).toEqual([]);
  });

  it('keeps only the latest entries when bounded, and can be turned off', async () => {
    const h = await startHarness({ requestLogLimit: 3 });
    for (let i = 0; i < 10; i++) await h.call('GET', `/v2/webhooks?limit=${i + 1}`);
    expect(h.simulator.requests.map(({ query: { limit } }) => limit)).toEqual(['8', '9', '10']);
    expect(h.simulator.countRequests()).toBe(3);

    const off = await startHarness({ requestLogLimit: 0 });
    await off.call('GET', '/v2/webhooks');
    expect(off.simulator.countRequests()).toBe(0);
  });

  it('hands out copies', async () => {
    const h = await startHarness();
    await h.call('GET', '/v2/webhooks');
    h.simulator.requests.pop();
    expect(h.simulator.requests).toHaveLength(1);
  });
});

describe('test helpers', () => {
  it('peekWebhook returns a copy of the stored webhook, or undefined', async () => {
    const h = await startHarness({ seed: true });
    const peeked = h.simulator.peekWebhook(KEY, SEEDED_ID);
    expect(peeked).toEqual(SAMPLE_WEBHOOKS[0]);
    if (peeked !== undefined) peeked.secret = 'changed';
    expect(h.simulator.peekWebhook(KEY, SEEDED_ID)?.secret).toBe(SAMPLE_WEBHOOKS[0]?.secret);
    expect(h.simulator.peekWebhook(KEY, '507f1f77bcf86cd799439011')).toBeUndefined();
    expect(() => h.simulator.peekWebhook('sk_unknown', SEEDED_ID)).toThrow();
  });

  it('patchWebhook models changes made by Featurebase itself', async () => {
    const h = await startHarness({ seed: true });
    h.simulator.patchWebhook(KEY, SEEDED_ID, {
      status: 'suspended',
      health: {
        avgResponseTime: 1,
        lastResponseTime: 2,
        lastSuccessAt: null,
        errorsSinceLastSuccess: 3,
        consecutiveFailures: 3,
      },
    });
    const fetched = await h.call<WireWebhook>('GET', `/v2/webhooks/${SEEDED_ID}`);
    expect(fetched.body.status).toBe('suspended');
    expect(fetched.body.health.consecutiveFailures).toBe(3);
  });

  it('reset() restores the seed and clears log, rate windows and faults', async () => {
    const h = await startHarness({ seed: true, rateLimitPerMinute: 2 });
    await h.call('DELETE', `/v2/webhooks/${SEEDED_ID}`);
    await h.call('POST', '/v2/webhooks', { body: validCreateBody() });
    h.simulator.injectFault({ status: 503, times: 5 });
    h.simulator.reset();
    expect(h.simulator.countRequests()).toBe(0);
    const listed = await h.call<WireWebhookList>('GET', '/v2/webhooks');
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual(SAMPLE_WEBHOOKS);
    expect(listed.headers.get('x-ratelimit-remaining')).toBe('1');
  });

  it('by default, seeds the sample webhooks under the demo key', async () => {
    const running = await startSimulator();
    try {
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(`${running.url}/v2/webhooks`, {
        headers: { authorization: `Bearer ${DEMO_API_KEY}` },
      });
      const listed = (await response.json()) as WireWebhookList;
      expect(listed.data.map((w) => w.id)).toEqual(SEED_WEBHOOK_IDS);
    } finally {
      await running.close();
    }
  });

  it('seeds each workspace with its own copy', async () => {
    const h = await startHarness({ seed: true });
    await h.call('DELETE', `/v2/webhooks/${SEEDED_ID}`);
    expect(h.simulator.peekWebhooks(KEY)).toHaveLength(SAMPLE_WEBHOOKS.length - 1);
    expect(h.simulator.peekWebhooks('sk_test_other_workspace')).toHaveLength(
      SAMPLE_WEBHOOKS.length,
    );
    expect(SAMPLE_WEBHOOKS.map((w) => w.status).sort()).toEqual([
      'active',
      'active',
      'paused',
      'suspended',
    ]);
  });
});

describe('the fault switch', () => {
  it('answers the next matching request with the given status, body and headers, once', async () => {
    const h = await startHarness({ seed: true });
    const fault = h.simulator.injectFault({
      match: { method: 'GET', pathPattern: /^\/v2\/webhooks\/[0-9a-f]{24}$/ },
      status: 503,
      body: { error: { type: 'api_error', message: 'down', status: 503 } },
      headers: { 'retry-after': '1' },
    });
    // Not matching: another path.
    expect((await h.call('GET', '/v2/webhooks')).status).toBe(200);
    const faulted = await h.call('GET', `/v2/webhooks/${SEEDED_ID}`);
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get('retry-after')).toBe('1');
    expect(faulted.headers.get('content-type')).toBe('application/json');
    expect(faulted.body).toEqual({ error: { type: 'api_error', message: 'down', status: 503 } });
    expect(fault.hits).toBe(1);
    expect(fault.remaining).toBe(0);
    // Used up: the next one is normal. Both were recorded.
    expect((await h.call('GET', `/v2/webhooks/${SEEDED_ID}`)).status).toBe(200);
    expect(h.simulator.requests.map((r) => r.status)).toEqual([200, 503, 200]);
  });

  it('applies `times` times and before authentication, and can be cancelled', async () => {
    const h = await startHarness();
    h.simulator.injectFault({ times: 2, match: { method: 'POST' }, status: 500 });
    expect(
      (await h.call('POST', '/v2/webhooks', { key: null, body: validCreateBody() })).status,
    ).toBe(500);
    expect((await h.call('POST', '/v2/webhooks', { body: validCreateBody() })).status).toBe(500);
    expect((await h.call('POST', '/v2/webhooks', { body: validCreateBody() })).status).toBe(201);

    const forever = h.simulator.injectFault({ times: Number.POSITIVE_INFINITY, status: 502 });
    for (let i = 0; i < 3; i++) expect((await h.call('GET', '/v2/webhooks')).status).toBe(502);
    forever.cancel();
    expect((await h.call('GET', '/v2/webhooks')).status).toBe(200);

    h.simulator.injectFault({ times: 3, status: 502 });
    h.simulator.clearFaults();
    expect((await h.call('GET', '/v2/webhooks')).status).toBe(200);
    expect(() => h.simulator.injectFault({ times: 0, status: 500 })).toThrow(RangeError);
  });

  it('matches on the exact API key of the Authorization header, and only then is used up', async () => {
    const h = await startHarness({ seed: true });
    const redirect = h.simulator.injectFault({
      times: 2,
      match: { apiKey: OTHER_KEY },
      status: 307,
      headers: { location: 'https://elsewhere.example/v2/webhooks' },
    });
    // Another key, no key, a longer key, a key in another scheme: not matched, not used up.
    expect((await h.call('GET', '/v2/webhooks')).status).toBe(200);
    expect((await h.call('GET', '/v2/webhooks', { key: null })).status).toBe(401);
    expect((await h.call('GET', '/v2/webhooks', { key: `${OTHER_KEY}x` })).status).toBe(401);
    const basic = await h.call('GET', '/v2/webhooks', {
      key: null,
      headers: { authorization: `Basic ${OTHER_KEY}` },
    });
    expect(basic.status).toBe(401);
    expect(redirect.hits).toBe(0);
    // The key itself, the scheme in any case as the simulator reads it.
    const first = await fetch(`${h.url}/v2/webhooks`, {
      headers: { authorization: `Bearer ${OTHER_KEY}` },
      redirect: 'manual',
    });
    expect(first.status).toBe(307);
    expect(first.headers.get('location')).toBe('https://elsewhere.example/v2/webhooks');
    const second = await fetch(`${h.url}/v2/webhooks`, {
      headers: { authorization: `bearer ${OTHER_KEY}` },
      redirect: 'manual',
    });
    expect(second.status).toBe(307);
    expect(redirect.hits).toBe(2);
    expect(redirect.remaining).toBe(0);
    expect((await h.call('GET', '/v2/webhooks', { key: OTHER_KEY })).status).toBe(200);
  });

  it('takes a fault limited to a key in its turn among the others', async () => {
    const h = await startHarness({ seed: true });
    const broken = h.simulator.injectFault({
      times: Number.POSITIVE_INFINITY,
      match: { method: 'GET', apiKey: OTHER_KEY },
      status: 200,
      body: '{"id":',
      headers: { 'content-type': 'application/json' },
    });
    const slow = h.simulator.injectFault({ times: Number.POSITIVE_INFINITY, delayMs: 60 });
    // The other key's GETs get the broken body; everything else falls through to the delay.
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${h.url}/v2/webhooks`, {
        headers: { authorization: `Bearer ${OTHER_KEY}` },
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('{"id":');
    }
    const started = performance.now();
    const mine = await h.call('GET', '/v2/webhooks');
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
    expect(mine.status).toBe(200);
    const created = await h.call('POST', '/v2/webhooks', {
      key: OTHER_KEY,
      body: validCreateBody(),
    });
    expect(created.status).toBe(201);
    expect(broken.hits).toBe(2);
    expect(slow.hits).toBe(2);
    expect(h.simulator.requests.map((r) => r.status)).toEqual([200, 200, 200, 201]);
  });

  it('sends a string body as is, e.g. an HTML error page', async () => {
    const h = await startHarness();
    h.simulator.injectFault({
      status: 502,
      body: '<html>Bad Gateway</html>',
      headers: { 'content-type': 'text/html' },
    });
    const response = await fetch(`${h.url}/v2/webhooks`);
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('text/html');
    expect(await response.text()).toBe('<html>Bad Gateway</html>');
  });

  it('delays, then handles the request normally', async () => {
    const h = await startHarness();
    h.simulator.injectFault({ delayMs: 150 });
    const started = performance.now();
    const result = await h.call('GET', '/v2/webhooks');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(result.status).toBe(200);
    expect(h.simulator.requests[0]?.status).toBe(200);
  });

  it('destroys the socket with no answer', async () => {
    const h = await startHarness();
    h.simulator.injectFault({ destroySocket: true });
    await expect(h.call('GET', '/v2/webhooks')).rejects.toThrow();
    expect(h.simulator.requests[0]?.status).toBe(0);
    expect((await h.call('GET', '/v2/webhooks')).status).toBe(200);
  });

  it('cuts the connection mid-body', async () => {
    const h = await startHarness();
    h.simulator.injectFault({ status: 200, body: '{"object":"list","da', destroySocket: true });
    const response = await fetch(`${h.url}/v2/webhooks`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect((await h.call('GET', '/v2/webhooks')).status).toBe(200);
  });

  it('lets close() end promptly while a delayed request is pending', async () => {
    const h = await startHarness();
    const delayMs = 60_000;
    h.simulator.injectFault({ delayMs, status: 200 });
    const pending = fetch(`${h.url}/v2/webhooks`).catch((error: unknown) => error);
    while (h.simulator.countRequests() === 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(h.simulator.countRequests()).toBe(1);
    const started = performance.now();
    await h.close();
    // Not held by the pending request: a tenth of its delay would already be far too long.
    expect(performance.now() - started).toBeLessThan(delayMs / 10);
    expect(await pending).toBeInstanceOf(Error);
  });
});
