/**
 * Traces as a collector receives them: a real gateway process configured only by the standard
 * `OTEL_*` variables, exporting over OTLP/HTTP to a receiver this test runs on loopback, after
 * real traffic to a simulator this test controls. The caller's trace is continued, spans link up
 * as parent and child, Featurebase receives the gateway's own `traceparent`, the queue is flushed
 * on SIGTERM, and nothing secret is in any export, nor the collector's credentials in the log.
 */

import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, SEED_WEBHOOK_IDS, startSimulator } from '../../src/simulator/index.ts';
import { launch, stopAll, stopProcess, waitFor } from '../support/process.ts';

const upstream = await startSimulator({ host: '127.0.0.1', port: 0 });
const collector = await startCollector();
afterAll(async () => {
  await upstream.close();
  await collector.close();
});
afterEach(async () => {
  await stopAll();
  upstream.simulator.reset();
  collector.clear();
});

const [id = ''] = SEED_WEBHOOK_IDS;
const UNKNOWN_ID = 'ffffffffffffffffffffffff';
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN_ID = 'b7ad6b7169203331';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`;
/** Sent to the collector with every export; must never appear in the gateway's output. */
const COLLECTOR_TOKEN = 'collector-token-Qz7Xb2Lp9Vw4';

/** One export as the collector received it. */
interface Export {
  headers: IncomingHttpHeaders;
  /** Header names as sent, one per header line. */
  names: string[];
  body: Buffer;
}

/** An OTLP/HTTP receiver: `POST /v1/traces`, answered as a collector answers a full success. */
async function startCollector() {
  const exports: Export[] = [];
  const received = new EventEmitter();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      // Kept before answering: the gateway may exit as soon as it has the answer.
      exports.push({
        headers: request.headers,
        names: request.rawHeaders.filter((_, index) => index % 2 === 0),
        body: Buffer.concat(chunks),
      });
      received.emit('export');
      const json = request.headers['content-type'] === 'application/json';
      // An empty ExportTraceServiceResponse: `{}` in JSON, zero bytes in protobuf.
      response.writeHead(200, {
        'content-type': json ? 'application/json' : 'application/x-protobuf',
      });
      response.end(json ? '{}' : '');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports,
    /** Resolves once the exports received so far satisfy `done` (checked at each new one). */
    async until(done: (exports: readonly Export[]) => boolean): Promise<void> {
      while (!done(exports)) await once(received, 'export');
    },
    clear: () => {
      exports.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function startGateway(env: Record<string, string>) {
  const gateway = launch('src/main.ts', {
    PORT: '0',
    LOG_LEVEL: 'info',
    FEATUREBASE_API_URL: upstream.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${COLLECTOR_TOKEN}`,
    OTEL_SERVICE_NAME: 'webhooks-gateway-e2e',
    ...env,
  });
  let output = '';
  gateway.stdout?.on('data', (chunk: string) => {
    output += chunk;
  });
  gateway.stderr?.on('data', (chunk: string) => {
    output += chunk;
  });
  const [, endpoint = ''] = await waitFor(gateway.stderr, /gateway: (http:\/\/\S+\/graphql)/);
  return { gateway, endpoint, output: () => output };
}

async function graphql(
  endpoint: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{ data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] }> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${DEMO_API_KEY}`,
      traceparent: TRACEPARENT,
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Awaited<ReturnType<typeof graphql>>;
}

/** The spans of OTLP/JSON exports, flattened, with the resource's service name. */
interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number; message?: string };
  serviceName: unknown;
}

function jsonSpans(exports: readonly Export[]): JsonSpan[] {
  return exports.flatMap(({ body }) => {
    const request = JSON.parse(body.toString('utf8')) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: { spans: Omit<JsonSpan, 'serviceName'>[] }[];
      }[];
    };
    return request.resourceSpans.flatMap((resourceSpans) => {
      const serviceName = resourceSpans.resource.attributes.find(
        (attribute) => attribute.key === 'service.name',
      )?.value.stringValue;
      return resourceSpans.scopeSpans.flatMap((scope) =>
        scope.spans.map((span) => ({ ...span, serviceName })),
      );
    });
  });
}

function attribute(span: JsonSpan, key: string): unknown {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
}

// OTLP's SpanKind: 2 SERVER, 3 CLIENT; status code 2 ERROR.
const SERVER = 2;
const CLIENT = 3;

describe('traces exported over OTLP/HTTP', { timeout: 60_000 }, () => {
  it('reach a collector as JSON: the caller’s trace, operation and Featurebase spans linked, nothing secret', async () => {
    const { endpoint, output } = await startGateway({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    const rotated = await graphql(
      endpoint,
      'mutation RotateWebhookSecret($id: ID!) { refreshWebhookSecret(id: $id) { id secret } }',
      { id },
    );
    const secret = String((rotated.data?.['refreshWebhookSecret'] as { secret?: string })?.secret);
    expect(secret).toMatch(/^whsec_/);
    const missing = await graphql(
      endpoint,
      `mutation Gone { deleteWebhook(id: "${UNKNOWN_ID}") { id } }`,
    );
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // Two operations, one Featurebase call each.
    await collector.until((exports) => jsonSpans(exports).length >= 4);
    const spans = jsonSpans(collector.exports);
    expect(spans).toHaveLength(4);
    for (const span of spans) {
      expect(span.traceId).toBe(TRACE_ID);
      expect(span.serviceName).toBe('webhooks-gateway-e2e');
    }
    const byName = new Map(spans.map((span) => [span.name, span]));
    const rotation = byName.get('mutation RotateWebhookSecret');
    const gone = byName.get('mutation Gone');
    const rotateCall = byName.get('POST /v2/webhooks/:id/secret');
    const deleteCall = byName.get('DELETE /v2/webhooks/:id');
    expect([rotation?.kind, gone?.kind, rotateCall?.kind, deleteCall?.kind]).toEqual([
      SERVER,
      SERVER,
      CLIENT,
      CLIENT,
    ]);
    expect(rotation?.parentSpanId).toBe(CALLER_SPAN_ID);
    expect(gone?.parentSpanId).toBe(CALLER_SPAN_ID);
    expect(rotateCall?.parentSpanId).toBe(rotation?.spanId);
    expect(deleteCall?.parentSpanId).toBe(gone?.spanId);
    expect(attribute(rotation as JsonSpan, 'gateway.outcome')).toBe('ok');
    expect(attribute(gone as JsonSpan, 'gateway.outcome')).toBe('NOT_FOUND');
    expect(gone?.status?.code).toBe(2);
    expect(attribute(rotateCall as JsonSpan, 'http.response.status_code')).toBe(200);
    expect(attribute(deleteCall as JsonSpan, 'http.response.status_code')).toBe(404);

    // Featurebase received each call's own span as parent, in the caller's trace.
    expect(upstream.simulator.requests.map((request) => request.headers['traceparent'])).toEqual([
      `00-${TRACE_ID}-${rotateCall?.spanId}-01`,
      `00-${TRACE_ID}-${deleteCall?.spanId}-01`,
    ]);

    // The collector's credentials reached the collector, and nowhere else.
    for (const { headers, names } of collector.exports) {
      expect(headers['authorization']).toBe(`Bearer ${COLLECTOR_TOKEN}`);
      // The exporter reads the variable too: still one header, not two.
      expect(names.filter((name) => name.toLowerCase() === 'authorization')).toHaveLength(1);
    }
    expect(output()).not.toContain(COLLECTOR_TOKEN);
    expect(output()).toContain('tracing on');

    const exported = collector.exports.map(({ body }) => body.toString('utf8')).join('\n');
    for (const forbidden of [
      DEMO_API_KEY,
      'Bearer',
      secret,
      'whsec_',
      id,
      UNKNOWN_ID,
      upstream.url,
      COLLECTOR_TOKEN,
    ]) {
      expect(exported).not.toContain(forbidden);
    }
  });

  it('reach a collector as protobuf by default, and the queue is flushed on SIGTERM', async () => {
    // Batches every ten minutes: only the flush at shutdown can deliver these spans.
    const { gateway, endpoint } = await startGateway({ OTEL_BSP_SCHEDULE_DELAY: '600000' });
    await graphql(endpoint, 'query ListWebhooks { webhooks(first: 2) { nodes { id } } }');
    expect(collector.exports).toHaveLength(0);

    expect(await stopProcess(gateway)).toBe(0);
    expect(collector.exports.length).toBeGreaterThan(0);
    const [first] = collector.exports;
    expect(first?.headers['content-type']).toBe('application/x-protobuf');
    const body = Buffer.concat(collector.exports.map((entry) => entry.body));
    // Protobuf keeps ids as raw bytes and strings as UTF-8: both are found as they are.
    expect(body.includes(Buffer.from(TRACE_ID, 'hex'))).toBe(true);
    expect(body.includes(Buffer.from(CALLER_SPAN_ID, 'hex'))).toBe(true);
    for (const name of ['query ListWebhooks', 'GET /v2/webhooks', 'webhooks-gateway-e2e']) {
      expect(body.includes(Buffer.from(name))).toBe(true);
    }
    for (const forbidden of [DEMO_API_KEY, 'Bearer', upstream.url, ...SEED_WEBHOOK_IDS]) {
      expect(body.includes(Buffer.from(forbidden))).toBe(false);
    }
  });

  it('are off without an exporter or endpoint: no export, no traceparent upstream', async () => {
    const { gateway, endpoint, output } = await startGateway({
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      OTEL_EXPORTER_OTLP_HEADERS: '',
    });
    await graphql(endpoint, '{ webhooks(first: 1) { nodes { id } } }');
    expect(upstream.simulator.requests).toHaveLength(1);
    expect(upstream.simulator.requests[0]?.headers['traceparent']).toBeUndefined();
    expect(output()).not.toContain('tracing on');
    // Not even at shutdown, when a queue would be flushed.
    expect(await stopProcess(gateway)).toBe(0);
    expect(collector.exports).toHaveLength(0);
  });
});
