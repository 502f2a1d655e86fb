/**
 * Traced calls, as the client sees them (src/upstream/call-trace.ts): with a `CallTrace` on the
 * caller, each attempt starts a span with what the client may say of it, sends that span's
 * `traceparent` and nothing else of tracing, and ends the span with its status or error class.
 * Tracing never breaks a call: a tracer that throws, or a `traceparent` of the wrong shape, is
 * left out and the call goes on.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { AttemptOutcome, CallTrace, TracedAttempt } from '../../src/upstream/call-trace.ts';
import { caller, ID, JSON_HEADERS, mockUpstream, testClient, WEBHOOK } from './helpers.ts';

const WEBHOOK_PATH = `/v2/webhooks/${ID}`;

let upstream = mockUpstream();
afterEach(async () => {
  await upstream.agent.close();
  upstream = mockUpstream();
});

/** A tracer that records what it is told, and hands out numbered traceparents. */
function recordingTrace(traceparent: (attempt: number) => string = spanParent) {
  const started: TracedAttempt[] = [];
  const ended: AttemptOutcome[] = [];
  const trace: CallTrace = {
    startAttempt(attempt) {
      started.push(attempt);
      return { traceparent: traceparent(started.length), end: (outcome) => ended.push(outcome) };
    },
  };
  return { trace, started, ended };
}

function spanParent(attempt: number): string {
  return `00-0af7651916cd43dd8448eb211c80319c-${String(attempt).padStart(16, '0')}-01`;
}

describe('a traced call', () => {
  it('has a span per attempt, each sent as its own traceparent, ended with its outcome', async () => {
    upstream.pool.intercept({ path: WEBHOOK_PATH, method: 'GET' }).reply(503, {});
    upstream.pool
      .intercept({ path: WEBHOOK_PATH, method: 'GET' })
      .reply(200, WEBHOOK, { headers: JSON_HEADERS });
    const { client } = testClient(upstream.agent);
    const { trace, started, ended } = recordingTrace();
    await client.webhooks.retrieve(ID, caller({ trace }));

    expect(started).toEqual([
      {
        method: 'GET',
        pathTemplate: '/v2/webhooks/:id',
        attempt: 1,
        serverAddress: 'featurebase.test',
        serverPort: 443,
      },
      expect.objectContaining({ attempt: 2 }),
    ]);
    expect(ended).toEqual([{ status: 503, error: 'InternalServerError' }, { status: 200 }]);
    expect(upstream.calls().map((call) => call.headers?.['traceparent'])).toEqual([
      spanParent(1),
      spanParent(2),
    ]);
  });

  it('ends a span without a status when no answer came', async () => {
    upstream.pool
      .intercept({ path: `/v2/webhooks/${ID}/secret`, method: 'POST' })
      .replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    const { client } = testClient(upstream.agent);
    const { trace, ended } = recordingTrace();
    await expect(client.webhooks.refreshSecret(ID, caller({ trace }))).rejects.toThrow();
    expect(ended).toEqual([{ error: 'UpstreamConnectionError' }]);
  });

  it('goes on without tracing when the tracer throws, or gives a traceparent of the wrong shape', async () => {
    for (let index = 0; index < 3; index++) {
      upstream.pool
        .intercept({ path: WEBHOOK_PATH, method: 'GET' })
        .reply(200, WEBHOOK, { headers: JSON_HEADERS });
    }
    const { client } = testClient(upstream.agent);
    const throwing: CallTrace = {
      startAttempt() {
        throw new Error('tracer broken');
      },
    };
    const endThrows: CallTrace = {
      startAttempt: () => ({
        traceparent: spanParent(1),
        end() {
          throw new Error('tracer broken');
        },
      }),
    };
    const malformed = recordingTrace(() => `${spanParent(1)}\r\nX-Injected: 1`);
    for (const trace of [throwing, endThrows, malformed.trace]) {
      await expect(client.webhooks.retrieve(ID, caller({ trace }))).resolves.toMatchObject({
        id: ID,
      });
    }
    expect(upstream.calls().map((call) => call.headers?.['traceparent'])).toEqual([
      undefined,
      spanParent(1),
      undefined,
    ]);
    expect(JSON.stringify(upstream.calls().map((call) => call.headers))).not.toContain(
      'X-Injected',
    );
  });
});
