/**
 * Catalogue §3, F06, F08 and F17: Featurebase answers 200, but the body is not what it should
 * be: not JSON (F06), far too large (F08), or a webhook of an unexpected shape (F17). F06 and
 * F17 go through the simulator's fault switch; F08 needs a scripted upstream that streams.
 */

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  expectNextRequestSucceeds,
  expectNoLeaks,
  type FaultGateway,
  LONG_TIMEOUT_MS,
  NO_WAIT_MS,
  onlyError,
  READ,
  SAMPLE,
  type ScriptedUpstream,
  type SimulatorFaultGateway,
  sampleRss,
  startGatewayOver,
  startScriptedUpstream,
  timed,
  WEBHOOK_ID,
  waitUntil,
  withEvents,
} from '../support/faults.ts';

// Secret hygiene over every answer and log line of this file (test/support/faults.ts).
afterAll(expectNoLeaks);

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function simulator(): Promise<SimulatorFaultGateway> {
  const target = await withEvents({
    client: { timeoutMs: LONG_TIMEOUT_MS, retryBaseDelayMs: 20, retryMaxDelayMs: 40 },
  });
  cleanup.push(() => target.close());
  return target;
}

const JSON_TYPE = { 'content-type': 'application/json' };

describe('F06 malformed JSON', () => {
  it('F06 200 with `{"id":` → UPSTREAM_UNAVAILABLE with upstream.status 200, the body not echoed, 1 call', async () => {
    const target = await simulator();
    const marker = 'whsec_F06partialSecretMarker';
    target.harness.simulator.injectFault({
      status: 200,
      headers: JSON_TYPE,
      body: `{"id":"${WEBHOOK_ID}","secret":"${marker}`,
    });
    const { value: response, ms } = await timed(() => target.graphql(READ, { id: WEBHOOK_ID }));

    const error = onlyError(response);
    expect(error.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', upstream: { status: 200 } });
    expect(error.message).toBe('Featurebase sent an answer the gateway cannot use.');
    for (const text of [response.text, target.logs()]) expect(text).not.toContain('F06partial');
    // An answer arrived: repeating the request would not make it JSON.
    expect(target.upstreamCalls()).toBe(1);
    expect(ms).toBeLessThan(NO_WAIT_MS);
    await expectNextRequestSucceeds(target);
  });
});

describe('F08 huge bodies', () => {
  const MiB = 1024 * 1024;
  let upstream: ScriptedUpstream;
  let target: FaultGateway;
  /** Bytes the upstream managed to hand to its socket before the gateway hung up. */
  let sent = 0;

  async function setUp() {
    upstream = await startScriptedUpstream();
    cleanup.push(() => upstream.close());
    // Production cap (1 MiB, the default) and production agent.
    target = startGatewayOver(upstream.url, {
      client: { timeoutMs: LONG_TIMEOUT_MS, retryBaseDelayMs: 20, retryMaxDelayMs: 40 },
      upstreamCalls: () => upstream.requests.length,
    });
    cleanup.push(() => target.close());
    // A first normal request, so the RSS measured below is the fault's, not the first
    // request's warm-up (compiled code, caches, a pooled socket).
    await expectNextRequestSucceeds(target);
    sent = 0;
  }

  /** Streams JSON-looking bytes, with backpressure, until `total` or until the client leaves. */
  function stream(total: number, declareLength: boolean) {
    upstream.script(({ response }) => {
      response.writeHead(200, {
        ...JSON_TYPE,
        ...(declareLength ? { 'content-length': String(total) } : {}),
      });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (!response.destroyed && sent < total) {
          const size = Math.min(chunk.length, total - sent);
          sent += size;
          if (!response.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
            response.once('drain', pump);
            return;
          }
        }
        if (!response.destroyed) response.end();
      };
      response.write('{"data":"');
      pump();
    });
  }

  async function expectRefusedAtCap() {
    const rss = sampleRss();
    const { value: response, ms } = await timed(() => target.graphql(READ, { id: WEBHOOK_ID }));
    const { growthMiB } = rss.stop();

    const error = onlyError(response);
    expect(error.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', upstream: { status: 200 } });
    expect(error.message).toBe('Featurebase sent an answer the gateway cannot use.');
    // The warm-up request and this one: an oversized answer is not asked for again.
    expect(upstream.requests).toHaveLength(2);
    // Not read until the attempt timeout: refused at the cap (how much was read: below).
    expect(ms).toBeLessThan(NO_WAIT_MS);
    // The whole process (gateway, scripted upstream, test) grew by less than 20 MiB.
    expect(growthMiB).toBeLessThan(20);
    // The connection of the oversized answer is closed, not left to stream into the void.
    const faulted = upstream.requests[1]?.connection ?? 0;
    expect(faulted).toBeGreaterThan(0);
    await waitUntil(() => !upstream.isOpen(faulted), 'the socket closed', LONG_TIMEOUT_MS);
    return { sentAtClose: sent };
  }

  it('F08 50 MB of JSON with a Content-Length → refused from the header, before reading; 1 call; RSS +< 20 MiB', async () => {
    await setUp();
    stream(50 * 1000 * 1000, true);
    const { sentAtClose } = await expectRefusedAtCap();
    // Refused from the declared length: whatever the server wrote is what the socket buffers
    // took before the close, not the 50 MB.
    expect(sentAtClose).toBeLessThan(16 * MiB);
    upstream.script(undefined);
    await expectNextRequestSucceeds(target);
  });

  it('F08 an endless chunked body → cut once past 1 MiB; 1 call; RSS +< 20 MiB', async () => {
    await setUp();
    stream(Number.POSITIVE_INFINITY, false);
    const { sentAtClose } = await expectRefusedAtCap();
    // The gateway read past the cap before it stopped (so the cap, not a timeout, stopped it)...
    expect(sentAtClose).toBeGreaterThan(MiB);
    // ...and stopped soon after: the rest is what loopback socket buffers hold, not an endless body.
    expect(sentAtClose).toBeLessThan(16 * MiB);
    upstream.script(undefined);
    await expectNextRequestSucceeds(target);
  });
});

describe('F17 webhooks of an unexpected shape', () => {
  const FULL = `query Full($id: ID!) {
    webhook(id: $id) {
      id name url description topics unrecognizedTopics status unrecognizedStatus version
      requestConfig { timeoutMs headers { name value } }
      lastStatus { code message timestamp }
      health { avgResponseTime lastResponseTime lastSuccessAt errorsSinceLastSuccess consecutiveFailures }
      createdAt updatedAt
    }
  }`;
  const LIST = `{ webhooks(first: 10) { nodes { id name createdAt } pageInfo { hasNextPage endCursor } } }`;
  const EXTRA = 'EXTRA_FIELD_MARKER';

  const base = () => structuredClone({ ...SAMPLE, id: WEBHOOK_ID }) as Record<string, unknown>;

  it('F17 extra fields ignored, missing optional fields null/empty, unknown topic and status survive as UNKNOWN + their names; no error, 1 call', async () => {
    const target = await simulator();
    const webhook = base();
    delete webhook['description'];
    delete webhook['lastStatus'];
    webhook['requestConfig'] = { timeoutMs: 5000 };
    webhook['health'] = { ...SAMPLE.health, lastSuccessAt: undefined };
    webhook['topics'] = ['post.created', 'post.teleported'];
    webhook['status'] = 'hibernating';
    webhook['extraField'] = EXTRA;
    webhook['internal'] = { token: EXTRA, nested: [EXTRA] };
    target.harness.simulator.injectFault({ status: 200, body: webhook });
    const { value: response, ms } = await timed(() => target.graphql(FULL, { id: WEBHOOK_ID }));

    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toEqual({
      webhook: {
        id: WEBHOOK_ID,
        name: SAMPLE.name,
        url: SAMPLE.url,
        description: null,
        topics: ['POST_CREATED', 'UNKNOWN'],
        unrecognizedTopics: ['post.teleported'],
        status: 'UNKNOWN',
        unrecognizedStatus: 'hibernating',
        version: SAMPLE.version,
        requestConfig: { timeoutMs: 5000, headers: [] },
        lastStatus: null,
        health: {
          avgResponseTime: SAMPLE.health.avgResponseTime,
          lastResponseTime: SAMPLE.health.lastResponseTime,
          lastSuccessAt: null,
          errorsSinceLastSuccess: SAMPLE.health.errorsSinceLastSuccess,
          consecutiveFailures: SAMPLE.health.consecutiveFailures,
        },
        createdAt: SAMPLE.createdAt,
        updatedAt: SAMPLE.updatedAt,
      },
    });
    expect(response.text).not.toContain(EXTRA);
    expect(target.upstreamCalls()).toBe(1);
    expect(ms).toBeLessThan(NO_WAIT_MS);
    await expectNextRequestSucceeds(target);
  });

  it('F17 `createdAt: 12` → a field error that nulls the nullable `webhook`, not a failed request; 1 call', async () => {
    const target = await simulator();
    target.harness.simulator.injectFault({ status: 200, body: { ...base(), createdAt: 12 } });
    const { value: response, ms } = await timed(() => target.graphql(FULL, { id: WEBHOOK_ID }));

    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ webhook: null });
    const error = onlyError(response);
    expect(error.path).toEqual(['webhook', 'createdAt']);
    // The code and message of every bad upstream field (schema/wire-values.ts): Featurebase's
    // fault, not an unexpected one. Soft, so the rest of the row is still checked if this fails.
    expect.soft(error.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE' });
    expect
      .soft(error.message)
      .toBe('Featurebase sent a value that does not fit Webhook.createdAt.');
    expect(response.text).not.toContain('"createdAt":12');
    expect(target.upstreamCalls()).toBe(1);
    expect(ms).toBeLessThan(NO_WAIT_MS);
    await expectNextRequestSucceeds(target);
  });

  it('F17 a wrong type on a nullable field (`health.lastSuccessAt: 12`) → only that field is null, with its error; 1 call', async () => {
    const target = await simulator();
    target.harness.simulator.injectFault({
      status: 200,
      body: { ...base(), health: { ...SAMPLE.health, lastSuccessAt: 12 } },
    });
    const { value: response } = await timed(() => target.graphql(FULL, { id: WEBHOOK_ID }));

    const error = onlyError(response);
    expect(error).toMatchObject({
      path: ['webhook', 'health', 'lastSuccessAt'],
      extensions: { code: 'UPSTREAM_UNAVAILABLE' },
    });
    const webhook = (response.body.data as { webhook: Record<string, unknown> }).webhook;
    expect(webhook).toMatchObject({
      id: WEBHOOK_ID,
      name: SAMPLE.name,
      health: { lastSuccessAt: null, avgResponseTime: SAMPLE.health.avgResponseTime },
    });
    expect(target.upstreamCalls()).toBe(1);
    await expectNextRequestSucceeds(target);
  });

  it('F17 in a list, `name: null` and `createdAt: 12` null their own nodes; the good node and the page survive; 1 call', async () => {
    const target = await simulator();
    const ids = [
      'f17000000000000000000001',
      'f17000000000000000000002',
      'f17000000000000000000003',
    ];
    const [nullName, badDate, good] = ids as [string, string, string];
    target.harness.simulator.injectFault({
      match: { method: 'GET', pathPattern: '/v2/webhooks' },
      status: 200,
      body: {
        object: 'list',
        data: [
          { ...base(), id: nullName, name: null },
          { ...base(), id: badDate, createdAt: 12 },
          { ...base(), id: good },
        ],
        nextCursor: null,
      },
    });
    const { value: response, ms } = await timed(() => target.graphql(LIST));

    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({
      webhooks: {
        nodes: [null, null, { id: good, name: SAMPLE.name, createdAt: SAMPLE.createdAt }],
        pageInfo: { hasNextPage: false, endCursor: expect.any(String) },
      },
    });
    expect((response.body.errors ?? []).map(({ path }) => path)).toEqual([
      ['webhooks', 'nodes', 0, 'name'],
      ['webhooks', 'nodes', 1, 'createdAt'],
    ]);
    // Both are Featurebase's fault, reported alike (soft: the rest of the row still runs).
    expect
      .soft((response.body.errors ?? []).map(({ path, extensions }) => [path, extensions?.code]))
      .toEqual([
        [['webhooks', 'nodes', 0, 'name'], 'UPSTREAM_UNAVAILABLE'],
        [['webhooks', 'nodes', 1, 'createdAt'], 'UPSTREAM_UNAVAILABLE'],
      ]);
    expect(target.upstreamCalls()).toBe(1);
    expect(ms).toBeLessThan(NO_WAIT_MS);
    await expectNextRequestSucceeds(target);
  });
});
