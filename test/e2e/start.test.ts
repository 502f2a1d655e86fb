/**
 * The real processes, as a newcomer runs them: `npm start` on the embedded simulator (and its
 * printed curl example), and the gateway pointed at a separately started `npm run simulator`.
 * Both listen on port 0 here, so the test never collides with anything else on the machine.
 */

import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { launch, stopProcess as stop, stopAll, waitFor } from '../support/process.ts';

/** Runs the curl line the banner printed, by reading its URL, headers and body. */
async function runPrintedCurl(curl: string): Promise<unknown> {
  const url = curl.match(/curl -s (\S+)/)?.[1];
  const headers = [...curl.matchAll(/-H '([^:]+): ([^']+)'/g)].map(([, name, value]) => [
    name,
    value,
  ]);
  const body = curl.match(/-d '(.+)'$/)?.[1];
  if (!url || !body) throw new Error(`not a curl line: ${curl}`);
  const response = await fetch(url, {
    method: 'POST',
    headers: Object.fromEntries(headers as [string, string][]),
    body,
  });
  return response.json();
}

afterEach(() => stopAll());

describe('npm start', () => {
  it('serves GraphQL on the embedded simulator, and the printed curl rotates a secret', async () => {
    // Without the share window, each run of the curl rotates (with it, a second run within 2 s
    // gets the first one's secret: test/graphql/rotation.test.ts).
    const gateway = launch('src/main.ts', {
      PORT: '0',
      LOG_LEVEL: 'warn',
      ROTATION_SHARE_WINDOW_MS: '0',
    });
    const [curl] = await waitFor(gateway.stderr, /curl -s .+\n/);
    const first = await runPrintedCurl(curl.trim());
    const second = await runPrintedCurl(curl.trim());
    const secretOf = (result: unknown) =>
      (result as { data: { refreshWebhookSecret: { secret: string } } }).data.refreshWebhookSecret
        .secret;
    expect(secretOf(first)).toMatch(/^whsec_/);
    expect(secretOf(second)).toMatch(/^whsec_/);
    expect(secretOf(second)).not.toBe(secretOf(first));
    expect(await stop(gateway)).toBe(0);
  });

  it('works against a separately started `npm run simulator` through FEATUREBASE_API_URL', async () => {
    const simulator = launch('src/simulator/main.ts', { PORT: '0' });
    const [, upstreamUrl, apiKey] = await waitFor(
      simulator.stdout,
      /on (http:\/\/127\.0\.0\.1:\d+) \(demo API key: (\S+)\)/,
    );
    const gateway = launch('src/main.ts', {
      PORT: '0',
      LOG_LEVEL: 'warn',
      FEATUREBASE_API_URL: upstreamUrl ?? '',
    });
    const [, endpoint] = await waitFor(gateway.stderr, /gateway: (http:\/\/\S+\/graphql)/);
    const response = await fetch(endpoint ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        query: '{ webhooks(first: 2) { nodes { id name } pageInfo { hasNextPage } } }',
      }),
    });
    expect(await response.json()).toMatchObject({
      data: {
        webhooks: {
          nodes: [{ name: 'Production Webhook' }, { name: 'Support inbox sync' }],
          pageInfo: { hasNextPage: true },
        },
      },
    });
    expect(await stop(gateway)).toBe(0);
    expect(await stop(simulator)).toBe(0);
  });

  it('stops with a message naming the variable when the configuration is bad', async () => {
    const gateway = launch('src/main.ts', { PORT: '0', UPSTREAM_TIMEOUT_MS: 'soon' });
    const [message] = await waitFor(gateway.stderr, /Configuration error: .+/);
    expect(message).toContain('UPSTREAM_TIMEOUT_MS');
    const [code] = await once(gateway, 'exit');
    expect(code).toBe(1);
  });
});
