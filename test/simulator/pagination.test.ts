import { describe, expect, it } from 'vitest';
import type { WireWebhook, WireWebhookList } from '../../src/upstream/wire.ts';
import { expectError, type Harness, KEY, startHarness, validCreateBody } from './harness.ts';

async function createFive(h: Harness): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const created = await h.call<WireWebhook>('POST', '/v2/webhooks', {
      body: validCreateBody({ name: `hook ${i}` }),
    });
    ids.push(created.body.id);
  }
  return ids;
}

function page(h: Harness, query: string) {
  return h.call<WireWebhookList>('GET', `/v2/webhooks${query}`);
}

describe('cursor pagination', () => {
  it('walks 5 webhooks 2 at a time in creation order, ending with a null cursor', async () => {
    const h = await startHarness();
    const ids = await createFive(h);

    const first = await page(h, '?limit=2');
    expect(first.body.data.map((w) => w.id)).toEqual(ids.slice(0, 2));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    // The documented cursor format: base64 of {"id":"<last id>"}.
    expect(JSON.parse(Buffer.from(first.body.nextCursor ?? '', 'base64').toString())).toEqual({
      id: ids[1],
    });

    const second = await page(
      h,
      `?limit=2&cursor=${encodeURIComponent(first.body.nextCursor ?? '')}`,
    );
    expect(second.body.data.map((w) => w.id)).toEqual(ids.slice(2, 4));

    const third = await page(
      h,
      `?limit=2&cursor=${encodeURIComponent(second.body.nextCursor ?? '')}`,
    );
    expect(third.body.data.map((w) => w.id)).toEqual(ids.slice(4));
    expect(third.body.nextCursor).toBeNull();
  });

  it('returns a null cursor when the last page is exactly full', async () => {
    const h = await startHarness();
    await createFive(h);
    const all = await page(h, '?limit=5');
    expect(all.body.data).toHaveLength(5);
    expect(all.body.nextCursor).toBeNull();
  });

  it('defaults to 10 per page', async () => {
    const h = await startHarness({ webhookLimit: 12 });
    for (let i = 0; i < 12; i++) await h.call('POST', '/v2/webhooks', { body: validCreateBody() });
    const first = await page(h, '');
    expect(first.body.data).toHaveLength(10);
    expect(first.body.nextCursor).not.toBeNull();
  });

  it('keeps the status filter across pages', async () => {
    const h = await startHarness();
    const ids = await createFive(h);
    const pausedIds = [ids[0], ids[2], ids[3], ids[4]];
    for (const id of pausedIds) {
      await h.call('PATCH', `/v2/webhooks/${id}`, { body: { status: 'paused' } });
    }
    const first = await page(h, '?limit=2&status=paused');
    expect(first.body.data.map((w) => w.id)).toEqual(pausedIds.slice(0, 2));
    const second = await page(
      h,
      `?limit=2&status=paused&cursor=${encodeURIComponent(first.body.nextCursor ?? '')}`,
    );
    expect(second.body.data.map((w) => w.id)).toEqual(pausedIds.slice(2));
    expect(second.body.data.every((w) => w.status === 'paused')).toBe(true);
    expect(second.body.nextCursor).toBeNull();

    const active = await page(h, '?status=active');
    expect(active.body.data.map((w) => w.id)).toEqual([ids[1]]);
    expect((await page(h, '?status=suspended')).body.data).toEqual([]);
  });

  it('keeps its place when the webhook a cursor ends on is deleted', async () => {
    const h = await startHarness();
    const ids = await createFive(h);
    const first = await page(h, '?limit=2');
    await h.call('DELETE', `/v2/webhooks/${ids[1]}`);
    const second = await page(
      h,
      `?limit=2&cursor=${encodeURIComponent(first.body.nextCursor ?? '')}`,
    );
    expect(second.body.data.map((w) => w.id)).toEqual(ids.slice(2, 4));
  });

  it('refuses bad limits, statuses and cursors with param names', async () => {
    const h = await startHarness();
    for (const limit of ['0', '101', '-1', '1.5', 'ten', '', '1e2']) {
      expectError(await page(h, `?limit=${limit}`), {
        status: 400,
        type: 'invalid_request_error',
        code: 'parameter_invalid',
        param: 'limit',
      });
    }
    expect((await page(h, '?limit=1')).status).toBe(200);
    expect((await page(h, '?limit=100')).status).toBe(200);

    expectError(await page(h, '?status=deleted'), {
      status: 400,
      type: 'invalid_request_error',
      code: 'parameter_invalid',
      param: 'status',
    });

    const foreignId = Buffer.from(JSON.stringify({ id: '507f1f77bcf86cd799439011' })).toString(
      'base64',
    );
    for (const cursor of ['x'.repeat(513), 'not-base64-json', foreignId]) {
      expectError(await page(h, `?cursor=${encodeURIComponent(cursor)}`), {
        status: 400,
        type: 'invalid_request_error',
        code: 'parameter_invalid',
        param: 'cursor',
      });
    }
  });

  it("does not accept a cursor from another workspace's list", async () => {
    const h = await startHarness();
    await createFive(h);
    const first = await page(h, '?limit=2');
    const other = await h.call('GET', `/v2/webhooks?cursor=${first.body.nextCursor}`, {
      key: 'sk_test_other_workspace',
    });
    expect(other.status).toBe(400);
    expect(h.simulator.peekWebhooks(KEY)).toHaveLength(5);
  });
});
