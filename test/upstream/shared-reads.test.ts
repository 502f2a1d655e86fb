/**
 * Identical reads in flight at the same moment share one call (src/upstream/request/shared-reads.ts),
 * against the simulator over loopback: what counts as identical, that nothing is kept, that a
 * read after a write never joins one from before it, and how readers leave.
 */

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, SEED_WEBHOOK_IDS, startSimulator } from '../../src/simulator/index.ts';
import type { Caller } from '../../src/upstream/caller.ts';
import { createFeaturebaseClient } from '../../src/upstream/client.ts';
import { createUpstreamAgent } from '../../src/upstream/request/agent.ts';
import type { UpstreamAttemptEvent } from '../../src/upstream/request/request.ts';

const OTHER_KEY = 'sk_other_workspace_key_for_sharing';
const upstream = await startSimulator({
  host: '127.0.0.1',
  port: 0,
  apiKeys: [
    { key: DEMO_API_KEY, workspace: 'demo' },
    { key: OTHER_KEY, workspace: 'other' },
  ],
});
const agent = createUpstreamAgent();
const attempts: UpstreamAttemptEvent[] = [];
const client = createFeaturebaseClient({
  baseUrl: upstream.url,
  dispatcher: agent,
  timeoutMs: 5000,
  onAttempt: (event) => attempts.push(event),
});
afterAll(async () => {
  await agent.close();
  await upstream.close();
});
afterEach(() => {
  upstream.simulator.reset();
  attempts.length = 0;
});

const [id = ''] = SEED_WEBHOOK_IDS;
const caller = (overrides: Partial<Caller> = {}): Caller => ({
  apiKey: DEMO_API_KEY,
  apiVersion: '2026-01-01.nova',
  requestId: 'req-shared-reads',
  ...overrides,
});
const gets = () => upstream.simulator.countRequests({ method: 'GET' });

/** Until the simulator has received `count` GETs (they stay in flight behind a delay fault). */
async function untilReceived(count: number): Promise<void> {
  while (gets() < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('identical reads in flight together', () => {
  it('share one call: ten list reads with one key, one upstream call, ten equal answers', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => client.webhooks.list({ limit: 3 }, caller())),
    );
    expect(gets()).toBe(1);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]?.data).toHaveLength(3);
  });

  it('never across keys, versions, paths or queries', async () => {
    await Promise.all([
      client.webhooks.list({ limit: 3 }, caller()),
      client.webhooks.list({ limit: 3 }, caller({ apiKey: OTHER_KEY })),
      client.webhooks.list({ limit: 3 }, caller({ apiVersion: '2026-06-01.nova' })),
      client.webhooks.list({ limit: 2 }, caller()),
      client.webhooks.retrieve(id, caller()),
    ]);
    expect(gets()).toBe(5);
  });

  it('keep nothing: a read after the answer came makes its own call', async () => {
    await client.webhooks.retrieve(id, caller());
    await client.webhooks.retrieve(id, caller());
    expect(gets()).toBe(2);
  });

  it('never give a read that follows a write the answer of a read from before it', async () => {
    upstream.simulator.injectFault({ match: { method: 'GET' }, delayMs: 500 });
    const before = client.webhooks.retrieve(id, caller());
    await untilReceived(1);
    await client.webhooks.update(id, { name: 'Renamed while a read was in flight' }, caller());
    const after = await client.webhooks.retrieve(id, caller());
    await before;
    expect(gets()).toBe(2);
    expect(after.name).toBe('Renamed while a read was in flight');
  });
});

describe('readers leaving', () => {
  it('one reader leaving does not stop the call for the others', async () => {
    upstream.simulator.injectFault({ match: { method: 'GET' }, delayMs: 300 });
    const leaving = new AbortController();
    const first = client.webhooks.retrieve(id, caller({ signal: leaving.signal }));
    const second = client.webhooks.retrieve(id, caller({ signal: new AbortController().signal }));
    await untilReceived(1);
    leaving.abort(new Error('first reader gone'));
    await expect(first).rejects.toThrow('first reader gone');
    expect((await second).id).toBe(id);
    expect(gets()).toBe(1);
    expect(attempts.map((event) => event.outcome)).toEqual(['success']);
  });

  it('the last reader leaving stops the call, which ends with that reader’s reason', async () => {
    upstream.simulator.injectFault({ match: { method: 'GET' }, delayMs: 5000 });
    const leaving = new AbortController();
    const read = client.webhooks.retrieve(id, caller({ signal: leaving.signal }));
    await untilReceived(1);
    leaving.abort(new Error('last reader gone'));
    await expect(read).rejects.toThrow('last reader gone');
    // The attempt itself was stopped (not left running for an answer nobody wants).
    expect(attempts.map((event) => event.outcome)).toEqual(['error']);
  });

  it('a reader gone before it starts sends nothing and joins nothing', async () => {
    const gone = new AbortController();
    gone.abort(new Error('gone before'));
    await expect(client.webhooks.retrieve(id, caller({ signal: gone.signal }))).rejects.toThrow(
      'gone before',
    );
    expect(gets()).toBe(0);
  });
});
