/**
 * The admin page example (examples/admin-page) in headless Chromium, end to end: the real gateway
 * process on its embedded simulator, the page built by esbuild and served on another loopback
 * port (so every call is cross-origin, through CORS and the CSRF header), driven as a user would.
 * What the page shows is checked against the gateway itself, queried directly.
 */

import type { Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildAdminPage } from '../../examples/admin-page/build.ts';
import { type RunningStaticServer, serveStatic } from '../../examples/admin-page/static-server.ts';
import { DEMO_API_KEY, SAMPLE_WEBHOOKS } from '../../src/simulator/index.ts';
import { type BrowserSession, openBrowser } from '../support/browser.ts';
import { launch, stopAll, waitFor } from '../support/process.ts';

let endpoint = '';
let site: RunningStaticServer | undefined;
let browser: BrowserSession | undefined;
let page: Page | undefined;

function session(): BrowserSession {
  if (!browser) throw new Error('the browser did not start');
  return browser;
}

function pageOrigin(): string {
  if (!site) throw new Error('the page is not served');
  return site.origin;
}

beforeAll(async () => {
  const gateway = launch('src/main.ts', { PORT: '0', LOG_LEVEL: 'warn' });
  // Build, serve and launch Chromium while the gateway starts: three slow things at once.
  const [match, served, opened] = await Promise.all([
    waitFor(gateway.stderr, /gateway: (http:\/\/\S+\/graphql)/, 60_000),
    buildAdminPage().then((files) => serveStatic(files)),
    openBrowser(),
  ]);
  endpoint = match[1] ?? '';
  site = served;
  browser = opened;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await stopAll();
}, 30_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    if (browser) console.error(`browser diagnostics:\n${browser.diagnostics()}`);
  });
});

afterEach(async () => {
  await page?.context().close();
  page = undefined;
  // Whatever the test did: nothing tried to leave loopback, and no script failed.
  expect(session().blockedRequests()).toEqual([]);
  expect(session().pageErrors(), session().diagnostics()).toEqual([]);
});

/** Opens the page as the printed link does; resolves once the first load has finished. */
async function openAdminPage(apiKey: string): Promise<{ page: Page; gatewayCalls: Request[] }> {
  page = await session().newPage();
  const gatewayCalls: Request[] = [];
  page.on('request', (request) => {
    if (request.url() === endpoint) gatewayCalls.push(request);
  });
  const link = new URL(`${pageOrigin()}/`);
  link.searchParams.set('gateway', endpoint);
  link.searchParams.set('key', apiKey);
  await page.goto(link.href);
  await page.locator('#webhooks:is([data-state="loaded"], [data-state="failed"])').waitFor();
  return { page, gatewayCalls };
}

/** A GraphQL request straight to the gateway, as any non-browser client sends it. */
async function direct<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_API_KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function secretOf(id: string): Promise<string | undefined> {
  const data = await direct<{ webhook: { secret: string } | null }>(
    'query ($id: ID!) { webhook(id: $id) { secret } }',
    { id },
  );
  return data.webhook?.secret;
}

describe('admin page', { timeout: 60_000 }, () => {
  it('lists the seeded webhooks with their health, and the failing one stands out', async () => {
    const { page } = await openAdminPage(DEMO_API_KEY);
    const names = await page.locator('tr[data-webhook-id] td.name strong').allTextContents();
    expect(names).toEqual(expect.arrayContaining(SAMPLE_WEBHOOKS.map((webhook) => webhook.name)));

    // The seed's one webhook in trouble: suspended, 14 failures in a row, last answer a 500.
    // The paused one is not failing: somebody paused it.
    const troubled = SAMPLE_WEBHOOKS.filter((webhook) => webhook.status === 'suspended');
    expect(troubled).toHaveLength(1);
    const [seeded] = troubled;
    if (!seeded) throw new Error('no suspended webhook in the seed');
    const failing = page.locator('tr.failing');
    expect(await failing.count()).toBe(1);
    expect(await failing.getAttribute('data-webhook-id')).toBe(seeded.id);
    expect(await failing.locator('.badge-failing').isVisible()).toBe(true);
    expect(await failing.locator('.badge-failing').textContent()).toBe('Failing');
    expect(await failing.locator('[data-field="consecutiveFailures"]').textContent()).toBe(
      String(seeded.health.consecutiveFailures),
    );
    expect(await failing.locator('[data-field="errorsSinceLastSuccess"]').textContent()).toBe(
      String(seeded.health.errorsSinceLastSuccess),
    );
    expect(await failing.locator('[data-field="lastStatus"]').textContent()).toContain(
      `HTTP ${seeded.lastStatus?.code} ${seeded.lastStatus?.message}`,
    );

    // The key left the address bar once read.
    expect(page.url()).not.toContain('key=');
  });

  it('calls the gateway cross-origin, and the gateway allows the page origin', async () => {
    const { gatewayCalls } = await openAdminPage(DEMO_API_KEY);
    expect(pageOrigin()).not.toBe(new URL(endpoint).origin);
    const call = gatewayCalls.find((request) => request.method() === 'POST');
    if (!call) throw new Error('the page sent nothing to the gateway');
    const headers = await call.allHeaders();
    expect(headers['origin']).toBe(pageOrigin());
    expect(headers['x-graphql-yoga-csrf']).toBe('1');
    expect(headers['referer']).toBeUndefined();
    expect(call.url()).not.toContain(DEMO_API_KEY);
    // The browser let the page read the answer only because of this header.
    const response = await call.response();
    expect(response?.headers()['access-control-allow-origin']).toBe(pageOrigin());

    // Playwright answers CORS preflights itself while requests are intercepted (the harness
    // intercepts them all), so the gateway's own answer to Chromium's preflight is asked here.
    const preflight = await fetch(endpoint, {
      method: 'OPTIONS',
      headers: {
        origin: pageOrigin(),
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-graphql-yoga-csrf',
      },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(pageOrigin());
    const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['authorization', 'content-type', 'x-graphql-yoga-csrf']) {
      expect(allowed).toContain(header);
    }
  });

  it('rotates a secret after the in-page confirmation, shows it once and keeps it nowhere', async () => {
    const [sample] = SAMPLE_WEBHOOKS;
    if (!sample) throw new Error('no webhook in the seed');
    const before = await secretOf(sample.id);
    expect(before).toMatch(/^whsec_/);

    const { page } = await openAdminPage(DEMO_API_KEY);
    const row = page.locator(`tr[data-webhook-id="${sample.id}"]`);
    // Cancel first: nothing is sent.
    await row.getByRole('button', { name: 'Rotate secret' }).click();
    await row.getByRole('button', { name: 'Cancel' }).click();
    await row.getByRole('button', { name: 'Rotate secret' }).waitFor();
    expect(await secretOf(sample.id)).toBe(before);

    await row.getByRole('button', { name: 'Rotate secret' }).click();
    await row.getByRole('button', { name: 'Confirm rotation' }).click();
    const shown = page.locator('#secret-panel #secret-value');
    await shown.waitFor({ state: 'visible' });
    const secret = await shown.inputValue();
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(before);
    expect(await page.locator('#secret-title').textContent()).toContain(sample.name);
    expect(await secretOf(sample.id)).toBe(secret);

    // Nowhere else: not in storage, not in the address, and gone once the list is refreshed.
    const stored = await page.evaluate(() => [
      localStorage.length,
      sessionStorage.length,
      document.cookie,
    ]);
    expect(stored).toEqual([0, 0, '']);
    expect(page.url()).not.toContain(secret);
    await page.getByRole('button', { name: 'Load webhooks' }).click();
    await page.locator('#secret-panel').waitFor({ state: 'hidden' });
    await page.locator('#webhooks[data-state="loaded"]').waitFor();
    expect(await shown.inputValue()).toBe('');
    expect(await page.content()).not.toContain(secret);
  });

  it('creates a webhook that appears in the list and that the gateway finds', async () => {
    const { page } = await openAdminPage(DEMO_API_KEY);
    const name = 'Created from the admin page';
    const url = 'https://hooks.example.com/admin-page-test';
    const form = page.locator('#create-form');
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('URL').fill(url);
    await form.getByLabel('post.created', { exact: true }).check();
    await form.getByLabel('ticket.created', { exact: true }).check();
    await form.getByRole('button', { name: 'Create webhook' }).click();

    const row = page.locator('tr[data-webhook-id]', { hasText: name });
    await row.waitFor();
    const id = await row.getAttribute('data-webhook-id');
    if (!id) throw new Error('the new row has no id');
    expect(await row.locator('.topics').textContent()).toBe('post.created, ticket.created');
    expect(await row.evaluate((element) => element.classList.contains('failing'))).toBe(false);
    // Its signing secret, shown once like a rotated one.
    const secret = await page.locator('#secret-value').inputValue();
    expect(secret).toMatch(/^whsec_/);

    const found = await direct<{
      webhook: { name: string; url: string; topics: string[]; secret: string } | null;
    }>('query ($id: ID!) { webhook(id: $id) { name url topics secret } }', { id });
    expect(found.webhook).toEqual({
      name,
      url,
      topics: ['POST_CREATED', 'TICKET_CREATED'],
      secret,
    });

    // And it is still listed when the list comes from the gateway again.
    await page.getByRole('button', { name: 'Load webhooks' }).click();
    await page.locator('#secret-panel').waitFor({ state: 'hidden' });
    await page.locator('#webhooks[data-state="loaded"]').waitFor();
    await page.locator(`tr[data-webhook-id="${id}"]`).waitFor();
  });

  it('shows the GraphQL error and its code when the key is wrong', async () => {
    const { page } = await openAdminPage('sk_not_a_key_the_simulator_knows');
    expect(await page.locator('#webhooks').getAttribute('data-state')).toBe('failed');
    const error = page.locator('#errors li').first();
    await error.waitFor({ state: 'visible' });
    expect(await error.locator('.error-code').textContent()).toBe('UNAUTHENTICATED');
    expect(await error.locator('.error-message').textContent()).not.toBe('');
    expect(await page.locator('tr[data-webhook-id]').count()).toBe(0);
  });
});
