/**
 * Headless Chromium for browser tests, through playwright-core and the system's Chromium (Debian's
 * `chromium` package; no browser download).
 *
 *   const browser = await openBrowser();
 *   const page = await browser.newPage();      // its own context; nothing leaves loopback
 *   ...
 *   expect(browser.blockedRequests()).toEqual([]);
 *   expect(browser.pageErrors(), browser.diagnostics()).toEqual([]);
 *   await browser.close();
 *
 * Every page gets a fresh context that lets through only loopback URLs (127.0.0.0/8, localhost,
 * [::1]) and data:/blob: ones; anything else is aborted and recorded, so a test can assert that
 * the page never tried to reach the outside (a CDN font, an analytics beacon, a leaked key).
 *
 * One consequence of intercepting with `route`: Playwright answers CORS preflights (OPTIONS)
 * itself, with permissive headers, instead of sending them to the server. The actual request still
 * goes to the server and the browser still checks its `Access-Control-Allow-Origin`; a test of the
 * server's preflight answer must send the OPTIONS itself.
 */

import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { findSystemBinary } from './system-binary.ts';

export interface BrowserSession {
  /** A page in a new context (no shared cookies or storage), with outside requests blocked. */
  newPage(): Promise<Page>;
  /** The URLs aborted so far because they were not loopback, in order. */
  blockedRequests(): readonly string[];
  /** Uncaught exceptions in any page so far (`pageerror`). */
  pageErrors(): readonly string[];
  /** `console.error` messages so far (the browser logs failed loads, a 401 among them, here). */
  consoleErrors(): readonly string[];
  /** All of the above as one text, for an assertion message. */
  diagnostics(): string;
  /** Closes every context and the browser. */
  close(): Promise<void>;
}

export interface BrowserOptions {
  /** Default timeout of every action and wait on the pages. Default 15 s: a busy 2-core machine. */
  timeoutMs?: number;
}

/** CHROMIUM_PATH, else /usr/bin/chromium, else `chromium` on the PATH; throws naming the fix. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  return findSystemBinary(
    {
      name: 'chromium',
      variable: 'CHROMIUM_PATH',
      debianPath: '/usr/bin/chromium',
      neededBy: 'the browser tests',
    },
    env,
  );
}

/** Whether a request to this URL may go out: loopback hosts, and data:/blob: (never a request). */
export function isLoopbackUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:') return true;
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) return false;
  const host = parsed.hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export async function openBrowser(options: BrowserOptions = {}): Promise<BrowserSession> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const browser: Browser = await chromium.launch({
    executablePath: findChromium(),
    headless: true,
    // Playwright adds `--no-sandbox` unless this is true: Chromium's sandbox cannot start as root
    // in a container, which is how CI runs. Said here so nobody turns it on and wonders why.
    chromiumSandbox: false,
    // No other switches: Playwright's defaults already cover a container (among them
    // --disable-dev-shm-usage, and no background network of its own).
    args: [],
    timeout: 60_000,
  });
  const blocked: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const contexts: BrowserContext[] = [];

  async function newPage(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    context.setDefaultTimeout(timeoutMs);
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (isLoopbackUrl(url)) return route.fallback();
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    // WebSockets do not go through `route`; only outside ones are intercepted here (and closed).
    await context.routeWebSocket(
      (url) => !isLoopbackUrl(url.href),
      (socket) => {
        blocked.push(socket.url());
        return socket.close();
      },
    );
    context.on('weberror', (error) => pageErrors.push(String(error.error())));
    context.on('console', (message) => {
      if (message.type() === 'error')
        consoleErrors.push(`${message.text()} (${message.page()?.url() ?? ''})`);
    });
    return context.newPage();
  }

  return {
    newPage,
    blockedRequests: () => [...blocked],
    pageErrors: () => [...pageErrors],
    consoleErrors: () => [...consoleErrors],
    diagnostics: () =>
      [
        `blocked requests: ${JSON.stringify(blocked)}`,
        `page errors: ${JSON.stringify(pageErrors)}`,
        `console errors: ${JSON.stringify(consoleErrors)}`,
      ].join('\n'),
    close: async () => {
      await Promise.all(contexts.splice(0).map((context) => context.close()));
      await browser.close();
    },
  };
}
