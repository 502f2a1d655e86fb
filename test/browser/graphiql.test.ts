/**
 * GraphiQL in a real browser, offline: `npm start` as a newcomer runs it (the embedded
 * simulator, the demo key), headless Chromium with every request that leaves loopback blocked.
 * The page must open with our example in the editor, run it, and run a rotation that yields the
 * webhook's new secret.
 */

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { type BrowserSession, openBrowser } from '../support/browser.ts';
import { launch, stopAll, waitFor } from '../support/process.ts';

const [webhookId] = SEED_WEBHOOK_IDS as [string];
let endpoint = '';
let browser: BrowserSession;
let page: Page;

beforeAll(async () => {
  const gateway = launch('src/main.ts', { PORT: '0', LOG_LEVEL: 'warn' });
  const [, url] = await waitFor(gateway.stderr, /Featurebase webhooks gateway: (http:\/\/\S+)/);
  endpoint = url ?? '';
  browser = await openBrowser();
  page = await browser.newPage();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stopAll();
});

/** The webhook's secret as the gateway reads it from Featurebase, outside the browser. */
async function currentSecret(): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_API_KEY}` },
    body: JSON.stringify({ query: `{ webhook(id: "${webhookId}") { secret } }` }),
  });
  const body = (await response.json()) as { data: { webhook: { secret: string } } };
  return body.data.webhook.secret;
}

/** An editor's visible text (Monaco draws the visible lines, spaces as no-break spaces). */
async function shown(selector: string): Promise<string> {
  const text = await page.locator(selector).first().textContent();
  return (text ?? '').replace(/\u00a0/g, ' ');
}

/** Every editor's visible text, joined. */
async function allEditors(): Promise<string> {
  const texts = await page.locator('.graphiql-editor .view-lines').allTextContents();
  return texts.join('\n').replace(/\u00a0/g, ' ');
}

const QUERY_EDITOR = '.graphiql-query-editor .view-lines';
/** The answer pane; our answers are short enough to be drawn whole. */
const responseText = () => shown('.graphiql-response .view-lines');

// Chromium on a busy 2-core machine: generous, and every wait below is for an event, not a time.
describe('GraphiQL in Chromium, with the network blocked', { timeout: 60_000 }, () => {
  it('opens with the list of webhooks and their health in the editor, and the demo key', async () => {
    await page.goto(endpoint);
    await expect.poll(() => shown(QUERY_EDITOR), { timeout: 30_000 }).toContain('query Webhooks');
    expect(await shown(QUERY_EDITOR)).toContain('consecutiveFailures');
    expect(await page.locator('.graphiql-tab').allInnerTexts()).toEqual([
      'Webhooks',
      'RotateSecret',
    ]);
    // The Headers tab of the editor tools, open beside it.
    await expect.poll(() => allEditors()).toContain(`"Authorization": "Bearer ${DEMO_API_KEY}"`);
  });

  it('runs the example and shows the webhooks with their health', async () => {
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(responseText, { timeout: 20_000 }).toContain('"consecutiveFailures"');
    const answer = await responseText();
    expect(answer).toContain('"webhooks"');
    expect(answer).toContain(`"${webhookId}"`);
    expect(answer).not.toContain('"errors"');
  });

  it('runs the rotation and shows the webhook’s new whsec_ secret', async () => {
    const before = await currentSecret();
    await page.locator('.graphiql-tab', { hasText: 'RotateSecret' }).click();
    await expect.poll(() => shown(QUERY_EDITOR)).toContain('mutation RotateSecret');
    // GraphiQL takes the tab's operation name from its text in a debounced handler, the one that
    // also writes the text into the page's URL. A click before that handler ran would run the
    // previous tab's operation name against this text ("Cannot infer operation Webhooks"), so
    // the click waits for the URL, and for React to have drawn the state it set.
    await expect
      .poll(() => new URL(page.url()).searchParams.get('query') ?? '')
      .toContain('mutation RotateSecret');
    await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
    );
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(responseText, { timeout: 20_000 }).toMatch(/"secret":\s*"whsec_/);
    const secret = (await responseText()).match(/"secret":\s*"(whsec_[^"]+)"/)?.[1];
    expect(secret).not.toBe(before);
    expect(secret).toBe(await currentSecret());
  });

  it('never tried to reach anything beyond loopback, and raised no page error', () => {
    expect(browser.blockedRequests(), browser.diagnostics()).toEqual([]);
    expect(browser.pageErrors(), browser.diagnostics()).toEqual([]);
  });
});
