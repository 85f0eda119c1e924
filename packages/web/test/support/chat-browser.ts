import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { CHROMIUM_PATH, hasChromium, launchChromium } from './browser.js';
import { ChatPage } from './chat-page.js';
import { startServer, webDir, type TestServer } from './server.js';

/** Outside CI a machine without chromium skips the browser tests; in CI a missing chromium fails. */
export const runE2e = hasChromium || process.env.CI === 'true';

/** Says why `label` is skipped when it is (use with `describe.runIf(runE2e)`). */
export function warnIfSkipped(label: string): void {
  if (!runE2e) console.warn(`${label} skipped: no chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
}

/** Where the browser tests leave screenshots. */
export const resultsDir = join(webDir, 'test-results');

const DEFAULT_VIEWPORT = { width: 1280, height: 800 };

export interface ChatBrowserOptions {
  /** Environment for the server, over startServer's defaults (limits, heart-beats, …). */
  env?: Record<string, string>;
  /** Options of every context `open()` makes, over a 1280×800 viewport. */
  context?: BrowserContextOptions;
  /** Runs on every context `open()` makes before its page loads (e.g. `context.addInitScript`). */
  setUpContext?: (context: BrowserContext) => Promise<unknown>;
  /** When a test fails, a screenshot of every open page goes to test-results/`<prefix>-<i>.png`. */
  failureScreenshots?: string;
}

export interface OpenOptions {
  /** This page's viewport instead of the describe's. */
  viewport?: { width: number; height: number };
  /** Path (with query and hash) to load on the server; '/' unless given. */
  path?: string;
}

export interface ChatBrowser {
  /** The server, started once for the describe. */
  readonly server: TestServer;
  /** Chromium, launched once for the describe. */
  readonly browser: Browser;
  /** A fresh context (one browser profile) with its page at `path`, logging page errors, as a ChatPage. */
  open(options?: OpenOptions): Promise<ChatPage>;
  /** A context with exactly these options (no defaults), closed with the rest after the describe. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
}

/**
 * One Chorus client in Chromium against the real server, for the describe it is called in:
 * builds the client the server hands out at /, starts the server and chromium before all its
 * tests, and closes every context, chromium and the server after them.
 */
export function useChatBrowser(options: ChatBrowserOptions = {}): ChatBrowser {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    // Serve exactly this source: build the client the server hands out at /.
    await build({ root: webDir, configFile: join(webDir, 'vite.config.ts'), logLevel: 'warn' });
    server = await startServer(options.env);
    const index = await (await fetch(server.url + '/')).text();
    if (!index.includes('id="app"')) {
      throw new Error('the server does not serve the built client at / (does @chorus/standalone resolve @chorus/web?)');
    }
    browser = await launchChromium();
  });

  const prefix = options.failureScreenshots;
  if (prefix !== undefined) {
    afterEach(async (context) => {
      if (context.task.result?.state !== 'fail') return;
      // Leave a picture of every open page for whoever has to debug the failure.
      for (const [i, page] of contexts.flatMap((c) => c.pages()).entries()) {
        await page.screenshot({ path: join(resultsDir, `${prefix}-${i}.png`) }).catch(() => undefined);
      }
    });
  }

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useChatBrowser: no ${what} before beforeAll has run`);
    return value;
  };

  const chat: ChatBrowser = {
    get server() {
      return started(server, 'server');
    },
    get browser() {
      return started(browser, 'browser');
    },
    async newContext(contextOptions) {
      const context = await chat.browser.newContext(contextOptions);
      contexts.push(context);
      return context;
    },
    async open({ viewport, path = '/' } = {}) {
      const context = await chat.newContext({
        viewport: DEFAULT_VIEWPORT,
        ...options.context,
        ...(viewport === undefined ? {} : { viewport }),
      });
      await options.setUpContext?.(context);
      const page = await context.newPage();
      page.on('pageerror', (err) => console.error(`[browser] ${err.message}`));
      await page.goto(chat.server.url + path);
      return new ChatPage(page);
    },
  };
  return chat;
}
