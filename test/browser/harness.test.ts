/**
 * The browser harness itself (test/support/browser.ts): what it lets through, what it blocks and
 * records, and the page errors it collects. Other browser tests rely on "nothing was blocked"
 * meaning "nothing tried to leave loopback".
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, isLoopbackUrl, openBrowser } from '../support/browser.ts';

// A page that reaches out in the usual ways (fetch, image, WebSocket), waits for each outcome,
// then throws; /ping is on its own loopback origin.
const PAGE = `<!doctype html>
<link rel="icon" href="data:,">
<script type="module">
  const image = new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve('loaded');
    img.onerror = () => resolve('blocked');
    img.src = 'http://93.184.216.34/pixel.gif';
  });
  const results = await Promise.allSettled([
    fetch('/ping').then((response) => response.text()),
    fetch('https://example.com/beacon'),
    fetch('data:text/plain,inline').then((response) => response.text()),
    image,
  ]);
  document.body.dataset.results = JSON.stringify(
    results.map((result) => (result.status === 'fulfilled' ? result.value : 'blocked')),
  );
  const socket = new WebSocket('wss://example.org/socket');
  socket.onclose = () => {
    document.body.dataset.socket = 'closed';
    throw new Error('thrown by the page');
  };
</script>`;

let server: Server | undefined;
let origin = '';
let browser: BrowserSession | undefined;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/ping') response.end('pong');
    else response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await openBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
}, 30_000);

describe('browser harness', { timeout: 60_000 }, () => {
  it('knows loopback from the outside', () => {
    for (const url of [
      'http://127.0.0.1:4000/graphql',
      'http://127.9.9.9/',
      'http://localhost:8080/',
      'ws://[::1]:3000/',
      'data:,x',
      'blob:http://127.0.0.1:1/uuid',
    ]) {
      expect(isLoopbackUrl(url), url).toBe(true);
    }
    for (const url of [
      'https://example.com/',
      'http://127.0.0.1.nip.io/',
      'http://localhost.example.com/',
      'http://[::2]/',
      'http://10.0.0.1/',
      'file:///etc/passwd',
      'not a url',
    ]) {
      expect(isLoopbackUrl(url), url).toBe(false);
    }
  });

  it('lets loopback through, blocks and records the rest, and collects page errors', async () => {
    if (!browser) throw new Error('the browser did not start');
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.locator('body[data-results][data-socket="closed"]').waitFor({ state: 'attached' });
    expect(JSON.parse((await page.locator('body').getAttribute('data-results')) ?? '')).toEqual([
      'pong',
      'blocked',
      'inline',
      'blocked',
    ]);
    expect([...browser.blockedRequests()].sort()).toEqual([
      'http://93.184.216.34/pixel.gif',
      'https://example.com/beacon',
      'wss://example.org/socket',
    ]);
    await expect
      .poll(() => browser?.pageErrors(), { timeout: 15_000 })
      .toEqual([expect.stringContaining('thrown by the page')]);
    await page.context().close();
  });
});
