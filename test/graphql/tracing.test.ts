/**
 * Traces, in process: the gateway over the simulator, its spans in an in-memory exporter. The
 * caller's trace is continued, each operation has a SERVER span and each Featurebase attempt a
 * CLIENT span under it, Featurebase receives the attempt's own `traceparent`, outcomes are error
 * codes, and no span holds a key, a secret, a webhook id, a URL or a header value. With tracing
 * off, nothing of the kind is sent upstream. (test/e2e/tracing.test.ts: a real process exporting
 * to a real OTLP/HTTP receiver.)
 */

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createGatewayServer } from '../../src/http/server.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { type Tracing, tracingWith } from '../../src/telemetry/tracing.ts';
import { API_KEY, startTestGateway, type TestGateway } from '../support/gateway.ts';

const [id = ''] = SEED_WEBHOOK_IDS;
const UNKNOWN_ID = 'ffffffffffffffffffffffff';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`;
const W3C = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

const exporter = new InMemorySpanExporter();
const tracing: Tracing = tracingWith(new SimpleSpanProcessor({ exporter }), {
  serviceName: 'gateway-under-test',
  sampler: { root: 'always_on', parentBased: true, ratio: 1 },
});
const traced = await startTestGateway({ tracer: tracing.operations });
const untraced = await startTestGateway();

afterAll(async () => {
  await tracing.shutdown();
  await traced.close();
  await untraced.close();
});
beforeEach(() => {
  exporter.reset();
  traced.simulator.reset();
  untraced.simulator.reset();
});

function spans(kind?: SpanKind): ReadableSpan[] {
  const all = exporter.getFinishedSpans();
  return kind === undefined ? all : all.filter((span) => span.kind === kind);
}

/** The one SERVER span (the operation), and its CLIENT spans. */
function operation(): { server: ReadableSpan; clients: ReadableSpan[] } {
  const servers = spans(SpanKind.SERVER);
  expect(servers).toHaveLength(1);
  const [server] = servers as [ReadableSpan];
  return { server, clients: spans(SpanKind.CLIENT) };
}

/** What Featurebase received, request by request. */
function upstreamTraceparents(gateway: TestGateway): (string | undefined)[] {
  return gateway.simulator.requests.map((request) => request.headers['traceparent']);
}

describe('traces of an operation', () => {
  it("continue the caller's trace: operation span, a child per Featurebase call, its traceparent sent", async () => {
    const response = await traced.graphql(
      'query ListWebhooks { webhooks(first: 2) { nodes { id name } } }',
      undefined,
      { traceparent: TRACEPARENT },
    );
    expect(response.body.errors).toBeUndefined();

    const { server, clients } = operation();
    expect(server.name).toBe('query ListWebhooks');
    expect(server.spanContext().traceId).toBe(TRACE_ID);
    expect(server.parentSpanContext?.spanId).toBe(CALLER_SPAN_ID);
    expect(server.attributes).toEqual({
      'graphql.operation.type': 'query',
      'graphql.operation.name': 'ListWebhooks',
      'gateway.outcome': 'ok',
    });
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(server.resource.attributes['service.name']).toBe('gateway-under-test');

    expect(clients).toHaveLength(1);
    const [client] = clients as [ReadableSpan];
    expect(client.name).toBe('GET /v2/webhooks');
    expect(client.spanContext().traceId).toBe(TRACE_ID);
    expect(client.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    const { port } = new URL(traced.upstreamUrl);
    expect(client.attributes).toEqual({
      'http.request.method': 'GET',
      'url.template': '/v2/webhooks',
      'server.address': '127.0.0.1',
      'server.port': Number(port),
      'http.response.status_code': 200,
    });

    // Featurebase got the gateway's own span as its parent, in the caller's trace.
    expect(upstreamTraceparents(traced)).toEqual([
      `00-${TRACE_ID}-${client.spanContext().spanId}-01`,
    ]);
  });

  it('start a trace of their own when the caller sent none', async () => {
    await traced.graphql(`{ webhook(id: "${id}") { id } }`);
    const { server, clients } = operation();
    expect(server.name).toBe('query');
    expect(server.parentSpanContext).toBeUndefined();
    const [client] = clients as [ReadableSpan];
    expect(client.name).toBe('GET /v2/webhooks/:id');
    const [sent] = upstreamTraceparents(traced);
    expect(sent).toMatch(W3C);
    expect(sent?.match(W3C)?.slice(1, 3)).toEqual([
      server.spanContext().traceId,
      client.spanContext().spanId,
    ]);
  });

  it('end with the error code as outcome and an error status; the attempt with its HTTP status', async () => {
    const response = await traced.graphql(
      `mutation { deleteWebhook(id: "${UNKNOWN_ID}") { id } }`,
      undefined,
      { traceparent: TRACEPARENT },
    );
    expect(response.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const { server, clients } = operation();
    expect(server.name).toBe('mutation');
    expect(server.attributes['gateway.outcome']).toBe('NOT_FOUND');
    expect(server.attributes['error.type']).toBe('NOT_FOUND');
    expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: 'NOT_FOUND' });
    const [client] = clients as [ReadableSpan];
    expect(client.name).toBe('DELETE /v2/webhooks/:id');
    expect(client.attributes['http.response.status_code']).toBe(404);
    expect(client.attributes['error.type']).toBe('404');
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
  });

  it.each([
    ['a syntax error', '{ webhooks(first: ', 'anonymous', 'GRAPHQL_PARSE_FAILED'],
    ['a validation error', 'query Unknown { nope }', 'query Unknown', 'GRAPHQL_VALIDATION_FAILED'],
  ])(
    'exist for %s, refused before execution, ended with its code and no call',
    async (_, query, name, code) => {
      const response = await traced.graphql(query, undefined, { traceparent: TRACEPARENT });
      expect(response.status).toBe(400);
      const { server, clients } = operation();
      expect(server.name).toBe(name);
      expect(server.spanContext().traceId).toBe(TRACE_ID);
      expect(server.attributes['gateway.outcome']).toBe(code);
      expect(server.status.code).toBe(SpanStatusCode.ERROR);
      expect(clients).toEqual([]);
    },
  );

  it('have a span per attempt: a retried read has two, each sent with its own traceparent', async () => {
    traced.simulator.injectFault({ match: { method: 'GET' }, status: 503, times: 1 });
    const response = await traced.graphql(`{ webhook(id: "${id}") { id } }`, undefined, {
      traceparent: TRACEPARENT,
    });
    expect(response.body.errors).toBeUndefined();
    const { server, clients } = operation();
    expect(clients.map((span) => span.attributes['http.response.status_code'])).toEqual([503, 200]);
    expect(clients.map((span) => span.attributes['http.request.resend_count'])).toEqual([
      undefined,
      1,
    ]);
    expect(clients[0]?.attributes['error.type']).toBe('503');
    for (const client of clients) {
      expect(client.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    }
    expect(upstreamTraceparents(traced)).toEqual(
      clients.map((client) => `00-${TRACE_ID}-${client.spanContext().spanId}-01`),
    );
  });

  it('record nothing for a caller that did not sample, yet pass its trace on unsampled', async () => {
    await traced.graphql(`{ webhook(id: "${id}") { id } }`, undefined, {
      traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-00`,
    });
    expect(spans()).toEqual([]);
    const [sent] = upstreamTraceparents(traced);
    expect(sent?.match(W3C)?.[1]).toBe(TRACE_ID);
    expect(sent?.match(W3C)?.[3]).toBe('00');
  });

  it('ignore a malformed traceparent: a trace of their own', async () => {
    await traced.graphql('{ webhooks(first: 1) { nodes { id } } }', undefined, {
      traceparent: `00-${TRACE_ID}-not-a-span-01`,
    });
    const { server } = operation();
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.spanContext().traceId).not.toBe(TRACE_ID);
  });
});

describe('what spans never hold', () => {
  it('no key, secret, webhook id, URL or header value, in any name, attribute, event or status', async () => {
    const secretTraceState = 'vendor=sk_live_Zx81aQ7rT2mK9pL4nB6vC3dF';
    const rotated = await traced.graphql<{ refreshWebhookSecret: { secret: string } }>(
      'mutation RotateWebhookSecret($id: ID!) { refreshWebhookSecret(id: $id) { id secret } }',
      { id },
      { traceparent: TRACEPARENT, tracestate: secretTraceState, 'x-request-id': 'req-trace-1' },
    );
    const secret = rotated.body.data?.refreshWebhookSecret.secret ?? '';
    expect(secret).toMatch(/^whsec_/);
    await traced.graphql(
      `mutation Create { createWebhook(input: { name: "Orders", url: "https://hooks.example.com/fb", topics: [POST_CREATED], requestConfig: { headers: [{ name: "X-Team", value: "team-header-value" }] } }) { id secret } }`,
      undefined,
      { traceparent: TRACEPARENT },
    );
    await traced.graphql(`{ webhook(id: "${UNKNOWN_ID}") { id } }`, undefined, {
      traceparent: TRACEPARENT,
    });

    const all = spans();
    expect(all.map((span) => span.name).sort()).toEqual(
      [
        'POST /v2/webhooks',
        'POST /v2/webhooks/:id/secret',
        'GET /v2/webhooks/:id',
        'mutation Create',
        'mutation RotateWebhookSecret',
        'query',
      ].sort(),
    );
    const text = JSON.stringify(
      all.map((span) => ({
        name: span.name,
        attributes: span.attributes,
        events: span.events,
        links: span.links,
        status: span.status,
        traceState: span.spanContext().traceState?.serialize(),
        parentTraceState: span.parentSpanContext?.traceState?.serialize(),
      })),
    );
    for (const forbidden of [
      API_KEY,
      'Bearer',
      secret,
      'whsec_',
      'sk_',
      id,
      UNKNOWN_ID,
      traced.upstreamUrl,
      'http://',
      'https://',
      'hooks.example.com',
      'team-header-value',
      'req-trace-1',
      '2026-01-01',
    ]) {
      expect(text).not.toContain(forbidden);
    }
    // The caller's tracestate, shaped like a key, was dropped; it never reaches Featurebase.
    for (const request of traced.simulator.requests) {
      expect(request.headers['tracestate']).toBeUndefined();
    }
  });

  it('leave out an operation name shaped like a secret, and shorten a long one', async () => {
    await traced.graphql('query sk_live_Zx81aQ7rT2mK9pL4nB6vC3dF { __typename }');
    expect(operation().server.name).toBe('query');
    expect(operation().server.attributes['graphql.operation.name']).toBeUndefined();

    exporter.reset();
    const long = `Q${'x'.repeat(150)}`;
    await traced.graphql(`query ${long} { __typename }`);
    expect(operation().server.attributes['graphql.operation.name']).toBe(long.slice(0, 100));
  });
});

describe('tracing off', () => {
  it('sends Featurebase no traceparent, even when the caller sent one', async () => {
    await untraced.graphql(`{ webhook(id: "${id}") { id } }`, undefined, {
      traceparent: TRACEPARENT,
    });
    await untraced.graphql('{ webhooks(first: 1) { nodes { id } } }');
    expect(untraced.simulator.requests).toHaveLength(2);
    expect(upstreamTraceparents(untraced)).toEqual([undefined, undefined]);
    expect(spans()).toEqual([]);
  });
});

describe('through the HTTP server and its fast path', () => {
  const server = createGatewayServer(traced.gateway);
  let endpoint = '';
  beforeEach(async () => {
    if (server.listening) return;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    server.close();
    server.closeAllConnections();
  });

  it('traces each request, the same text twice included', async () => {
    const post = () =>
      fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${API_KEY}`,
          traceparent: TRACEPARENT,
        },
        body: JSON.stringify({ query: 'query Twice { webhooks(first: 1) { nodes { id } } }' }),
      }).then((response) => response.json());
    await post();
    await post();
    const servers = spans(SpanKind.SERVER);
    expect(servers.map((span) => span.name)).toEqual(['query Twice', 'query Twice']);
    const clients = spans(SpanKind.CLIENT);
    expect(clients).toHaveLength(2);
    expect(clients.map((client) => client.parentSpanContext?.spanId)).toEqual(
      servers.map((span) => span.spanContext().spanId),
    );
    for (const span of [...servers, ...clients]) expect(span.spanContext().traceId).toBe(TRACE_ID);
  });

  it('traces a request refused before execution, with its code', async () => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: TRACEPARENT },
      body: JSON.stringify({ query: 'query Refused { nope }' }),
    });
    expect(response.ok).toBe(true);
    // Exactly one span: the fast path words the refusal itself, through the same plugins.
    const servers = spans(SpanKind.SERVER);
    expect(servers).toHaveLength(1);
    const [span] = servers;
    expect(span?.name).toBe('query Refused');
    expect(span?.parentSpanContext?.spanId).toBe(CALLER_SPAN_ID);
    expect(span?.attributes['gateway.outcome']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(spans(SpanKind.CLIENT)).toEqual([]);
  });
});
