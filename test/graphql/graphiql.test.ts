/**
 * GraphiQL as the gateway serves it, over `yoga.fetch`: a page that names no other origin, every
 * asset it names served by the gateway (plain and gzip), and example operations that run. The
 * real browser opens it in test/browser/graphiql.test.ts.
 */

import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_INFLATING } from '../../src/graphql/graphiql/assets.ts';
import { LIST_WITH_HEALTH, ROTATE_SECRET } from '../../src/graphql/graphiql/examples.ts';
import { DEMO_API_KEY, SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { startTestGateway } from '../support/gateway.ts';

const WEBHOOK_ID = SEED_WEBHOOK_IDS[0] ?? '';
const harness = await startTestGateway({
  graphiql: {
    defaultHeaders: { Authorization: `Bearer ${DEMO_API_KEY}` },
    exampleWebhookId: WEBHOOK_ID,
  },
});
const withPlaceholder = await startTestGateway();
const withoutGraphiQL = await startTestGateway({ graphiql: false });
afterAll(() => Promise.all([harness.close(), withPlaceholder.close(), withoutGraphiQL.close()]));

async function page(gateway = harness.gateway): Promise<Response> {
  return gateway.fetch('http://gateway.test/graphql', { headers: { accept: 'text/html' } });
}

/** Every URL the page loads: scripts, styles, icon and Monaco's workers. */
function assetUrls(html: string): string[] {
  const attributes = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
  const workers = [...html.matchAll(/'([^']+\.worker\.js)'/g)].map((match) => match[1]);
  return [...attributes, ...workers].filter((url): url is string => url !== undefined);
}

/** The options the page hands to GraphiQL. */
function optionsOf(html: string): {
  defaultTabs: { query: string; headers?: string; variables?: string }[];
  shouldPersistHeaders: boolean;
} {
  const json = html.match(/renderYogaGraphiQL\([^,]+, (\{.*\})\);/)?.[1];
  if (!json) throw new Error('no GraphiQL options in the page');
  return JSON.parse(json);
}

describe('GraphiQL', () => {
  it('is a page whose every asset comes from the gateway itself', async () => {
    const response = await page();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    const urls = assetUrls(html);
    expect(urls).toHaveLength(6);
    for (const url of urls) {
      expect(url).toMatch(/^\/graphiql\/\d+\.\d+\.\d+\/[a-z.]+$/);
      const asset = await harness.gateway.fetch(`http://gateway.test${url}`);
      expect(asset.status, url).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect((await asset.arrayBuffer()).byteLength, url).toBeGreaterThan(1000);
    }
  });

  it('serves gzip to a client that accepts it, and the same bytes inflated to one that does not', async () => {
    const [script] = assetUrls(await (await page()).text()).filter((url) =>
      url.endsWith('graphiql.js'),
    );
    const plain = await harness.gateway.fetch(`http://gateway.test${script}`);
    expect(plain.headers.get('content-encoding')).toBeNull();
    const plainBytes = Buffer.from(await plain.arrayBuffer());
    expect(plainBytes.length).toBe(Number(plain.headers.get('content-length')));
    expect(plainBytes.toString('utf8')).toContain('renderYogaGraphiQL');
    for (const acceptEncoding of ['br, gzip;q=0.8', 'GZIP']) {
      const gzipped = await harness.gateway.fetch(`http://gateway.test${script}`, {
        headers: { 'accept-encoding': acceptEncoding },
      });
      expect(gzipped.headers.get('content-encoding')).toBe('gzip');
      // yoga.fetch hands the body over as sent; a browser would inflate it.
      const bytes = Buffer.from(await gzipped.arrayBuffer());
      expect(bytes.length).toBeLessThan(plainBytes.length / 2);
      expect(gunzipSync(bytes).equals(plainBytes)).toBe(true);
    }
    const refused = await harness.gateway.fetch(`http://gateway.test${script}`, {
      headers: { 'accept-encoding': 'gzip;q=0' },
    });
    expect(refused.headers.get('content-encoding')).toBeNull();
    await refused.body?.cancel();
  });

  it(`inflates for at most ${MAX_INFLATING} clients without gzip at once, and 503 beyond`, async () => {
    const [script] = assetUrls(await (await page()).text()).filter((url) =>
      url.endsWith('graphiql.js'),
    );
    const fetchPlain = () => harness.gateway.fetch(`http://gateway.test${script}`);
    // Bodies left unread: each of these holds its inflation open.
    const held = await Promise.all(Array.from({ length: MAX_INFLATING }, fetchPlain));
    expect(held.map((response) => response.status)).toEqual(held.map(() => 200));
    const beyond = await fetchPlain();
    expect(beyond.status).toBe(503);
    expect(beyond.headers.get('retry-after')).toBe('1');
    // A gzip client is never turned away for them.
    const gzipped = await harness.gateway.fetch(`http://gateway.test${script}`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(gzipped.status).toBe(200);
    await gzipped.body?.cancel();
    await Promise.all(held.map((response) => response.body?.cancel()));
    // Cancelled, their inflations close within a few turns of the event loop.
    let after = await fetchPlain();
    for (let turn = 0; after.status === 503 && turn < 100; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      after = await fetchPlain();
    }
    expect(after.status).toBe(200);
    await after.body?.cancel();
  });

  it('answers 404 for an asset it does not have, or of another version, and 405 for a POST', async () => {
    const [script = ''] = assetUrls(await (await page()).text());
    const base = script.slice(0, script.lastIndexOf('/') + 1);
    for (const path of [`${base}nope.js`, '/graphiql/0.0.1/graphiql.js', '/graphiql/']) {
      const response = await harness.gateway.fetch(`http://gateway.test${path}`);
      expect(response.status, path).toBe(404);
    }
    const post = await harness.gateway.fetch(`http://gateway.test${base}graphiql.js`, {
      method: 'POST',
    });
    expect(post.status).toBe(405);
  });

  it('opens with the list and the rotation in two tabs, the demo key and a sample id', async () => {
    const options = optionsOf(await (await page()).text());
    expect(options.defaultTabs.map((tab) => tab.query)).toEqual([LIST_WITH_HEALTH, ROTATE_SECRET]);
    for (const tab of options.defaultTabs) {
      expect(JSON.parse(tab.headers ?? '{}')).toEqual({ Authorization: `Bearer ${DEMO_API_KEY}` });
    }
    expect(JSON.parse(options.defaultTabs[1]?.variables ?? '{}')).toEqual({ id: WEBHOOK_ID });
    // A key typed into the Headers tab is not kept in the browser's storage.
    expect(options.shouldPersistHeaders).toBe(false);
  });

  it('offers no key off the simulator: a placeholder says where it goes', async () => {
    const options = optionsOf(await (await page(withPlaceholder.gateway)).text());
    for (const tab of options.defaultTabs) {
      expect(JSON.parse(tab.headers ?? '{}')).toEqual({
        Authorization: 'Bearer <your Featurebase API key>',
      });
    }
  });

  it('has example operations that run as they stand', async () => {
    const list = await harness.graphql<{ webhooks: { nodes: { health: unknown }[] } }>(
      LIST_WITH_HEALTH,
    );
    expect(list.body.errors).toBeUndefined();
    expect(list.body.data?.webhooks.nodes.length).toBeGreaterThan(0);
    const rotated = await harness.graphql<{ refreshWebhookSecret: { secret: string } }>(
      ROTATE_SECRET,
      { id: WEBHOOK_ID },
    );
    expect(rotated.body.errors).toBeUndefined();
    expect(rotated.body.data?.refreshWebhookSecret.secret).toMatch(/^whsec_/);
  });

  it('is not served at all when turned off, nor are its assets', async () => {
    const response = await page(withoutGraphiQL.gateway);
    expect(response.headers.get('content-type') ?? '').not.toContain('text/html');
    const [script = ''] = assetUrls(await (await page()).text());
    const asset = await withoutGraphiQL.gateway.fetch(`http://gateway.test${script}`);
    expect(asset.status).toBe(404);
  });
});
