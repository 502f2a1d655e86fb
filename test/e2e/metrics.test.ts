/**
 * Metrics as Prometheus reads them: a real gateway process, scraped on its own listener, after
 * real traffic to a simulator this test controls. Every label stays in its closed set: no key,
 * secret, webhook id, URL or address appears anywhere in a scrape.
 */

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, SEED_WEBHOOK_IDS, startSimulator } from '../../src/simulator/index.ts';
import { launchGateway, stopAll } from '../support/process.ts';

const upstream = await startSimulator({ host: '127.0.0.1', port: 0 });
afterAll(() => upstream.close());
afterEach(async () => {
  await stopAll();
  upstream.simulator.reset();
});

const [id = ''] = SEED_WEBHOOK_IDS;
const WRONG_KEY = 'sk_wrong_key_for_metrics_0001';

function startGateway(env: Record<string, string> = {}) {
  return launchGateway({ FEATUREBASE_API_URL: upstream.url, ...env });
}

async function graphql(endpoint: string, query: string, apiKey = DEMO_API_KEY): Promise<unknown> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query }),
  });
  return response.json();
}

/** The value of one series (its labels in the exposition's order), or undefined. */
function series(scrape: string, name: string, labels = ''): number | undefined {
  const line = scrape.split('\n').find((row) => row.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const ROTATE = `mutation { refreshWebhookSecret(id: "${id}") { id secret } }`;

describe('metrics', { timeout: 60_000 }, () => {
  it('count Featurebase calls by endpoint and status, refusals, shared rotations and the breaker, with nothing secret in any label', async () => {
    // No share window: the second pair of rotations below rotates again, the one joining it shares.
    const { endpoint, metricsUrl = '' } = await startGateway({ ROTATION_SHARE_WINDOW_MS: '0' });
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    // A list, a rotation, a GET that fails once with 503 and is retried, a refused key twice
    // (the second time refused without a call).
    await graphql(endpoint, '{ webhooks(first: 2) { nodes { id } } }');
    const rotated = (await graphql(endpoint, ROTATE)) as {
      data: { refreshWebhookSecret: { secret: string } };
    };
    upstream.simulator.injectFault({ match: { method: 'GET' }, status: 503, times: 1 });
    await graphql(endpoint, `{ webhook(id: "${id}") { id } }`);
    await graphql(endpoint, '{ webhooks(first: 1) { nodes { id } } }', WRONG_KEY);
    await graphql(endpoint, '{ webhooks(first: 1) { nodes { id } } }', WRONG_KEY);
    // Two rotations of one webhook at once: the second joins the first (held 1 s upstream).
    upstream.simulator.injectFault({ match: { method: 'POST' }, delayMs: 1000, times: 1 });
    const first = graphql(endpoint, ROTATE);
    while (upstream.simulator.countRequests({ method: 'POST' }) < 2) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all([first, graphql(endpoint, ROTATE)]);

    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const scrape = await response.text();
    const requests = 'featurebase_upstream_requests_total';
    expect(series(scrape, requests, '{endpoint="GET /v2/webhooks",status="200"}')).toBe(1);
    expect(series(scrape, requests, '{endpoint="GET /v2/webhooks",status="401"}')).toBe(1);
    expect(series(scrape, requests, '{endpoint="POST /v2/webhooks/:id/secret",status="200"}')).toBe(
      2,
    );
    expect(series(scrape, requests, '{endpoint="GET /v2/webhooks/:id",status="503"}')).toBe(1);
    expect(series(scrape, requests, '{endpoint="GET /v2/webhooks/:id",status="200"}')).toBe(1);
    expect(
      series(
        scrape,
        'featurebase_upstream_request_duration_seconds_count',
        '{endpoint="GET /v2/webhooks"}',
      ),
    ).toBe(2);
    expect(series(scrape, 'featurebase_upstream_refused_total', '{reason="key-rejected"}')).toBe(1);
    expect(series(scrape, 'gateway_shared_rotations_total')).toBe(1);
    // No REDIS_URL: this instance's memory, and never a fallback.
    expect(series(scrape, 'gateway_shared_state_mode', '{mode="memory"}')).toBe(1);
    expect(series(scrape, 'gateway_shared_state_mode', '{mode="redis"}')).toBe(0);
    expect(series(scrape, 'gateway_shared_state_fallbacks_total')).toBe(0);
    expect(series(scrape, 'featurebase_upstream_circuit_state', '{state="closed"}')).toBe(1);
    expect(series(scrape, 'featurebase_upstream_circuit_state', '{state="open"}')).toBe(0);
    expect(series(scrape, 'featurebase_upstream_in_flight')).toBe(0);
    expect(series(scrape, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    const { port } = new URL(upstream.url);
    for (const secret of [
      DEMO_API_KEY,
      WRONG_KEY,
      'whsec_',
      rotated.data.refreshWebhookSecret.secret,
      ...SEED_WEBHOOK_IDS,
      upstream.url,
      `:${port}`,
      '127.0.0.1',
    ]) {
      expect(scrape).not.toContain(secret);
    }
    // Not on the public port.
    expect((await fetch(endpoint.replace(/\/graphql$/, '/metrics'))).status).toBe(404);
  });

  it('count every GraphQL operation by type, name and outcome, whichever path served it, with names bounded', async () => {
    const { endpoint, metricsUrl = '' } = await startGateway({ METRICS_OPERATION_NAMES: '2' });
    // The fast path, a new text then a cached one.
    await graphql(endpoint, 'query First { __typename }');
    await graphql(endpoint, 'query First { __typename }');
    // Yoga whole: a GET (with the header that passes CSRF prevention).
    const viaGet = await fetch(
      `${endpoint}?query=${encodeURIComponent('query Second { __typename }')}`,
      {
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${DEMO_API_KEY}`,
          'x-graphql-yoga-csrf': '1',
        },
      },
    );
    expect(await viaGet.json()).toEqual({ data: { __typename: 'Query' } });
    await graphql(endpoint, '{ __typename }');
    // Past the bound of 2 names: counted as other.
    await graphql(endpoint, 'query Third { __typename }');
    await graphql(endpoint, 'query Typo { webhok { id } }');
    await graphql(
      endpoint,
      'mutation Gone { refreshWebhookSecret(id: "aaaaaaaaaaaaaaaaaaaaaaaa") { id } }',
    );

    const scrape = await (await fetch(metricsUrl)).text();
    const operations = (type: string, name: string, outcome: string) =>
      series(
        scrape,
        'graphql_operations_total',
        `{operation_type="${type}",operation_name="${name}",outcome="${outcome}"}`,
      );
    expect(operations('query', 'First', 'ok')).toBe(2);
    expect(operations('query', 'Second', 'ok')).toBe(1);
    expect(operations('query', 'anonymous', 'ok')).toBe(1);
    expect(operations('query', 'other', 'ok')).toBe(1);
    expect(operations('query', 'other', 'GRAPHQL_VALIDATION_FAILED')).toBe(1);
    expect(operations('mutation', 'other', 'NOT_FOUND')).toBe(1);
    expect(scrape).not.toMatch(/operation_name="(Third|Typo|Gone)"/);
    expect(
      series(
        scrape,
        'graphql_operation_duration_seconds_count',
        '{operation_type="query",operation_name="First"}',
      ),
    ).toBe(2);
  });

  it('are off with METRICS_PORT=off: no listener at all', async () => {
    const { metricsUrl } = await startGateway({ METRICS_PORT: 'off' });
    expect(metricsUrl).toBeUndefined();
  });
});
