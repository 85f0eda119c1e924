import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium } from './support/browser.js';
import { startServer, webDir, type TestServer } from './support/server.js';

const EXAMPLES = join(webDir, '../../docs/examples/spring-migration');
const require = createRequire(import.meta.url);
/** The libraries the example pages load, as a Spring-era page loads them from a CDN. */
const VENDOR: Record<string, string> = {
  '/vendor/sockjs.min.js': require.resolve('sockjs-client/dist/sockjs.min.js'),
  '/vendor/stomp.min.js': require.resolve('stompjs/lib/stomp.min.js'),
};
const PASSWORD = 'correct horse battery';
const runE2e = hasChromium || process.env.CI === 'true';

/** The pages' own web server: another port, so every call to Chorus is cross-origin. */
async function servePages(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = VENDOR[path] ?? (/^\/(before|after)\.html$/.test(path) ? join(EXAMPLES, path) : undefined);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  // "localhost" for the pages, 127.0.0.1 for Chorus: two different origins.
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
}

describe.runIf(runE2e)('migration guide example: a Spring-era stompjs 2.3.3 + SockJS page, changed for Chorus, cross-origin', () => {
  let pages: { server: Server; origin: string };
  let chorus: TestServer;
  let browser: Browser;
  let roomId = '';
  const users: string[] = [];

  async function signup(name: string): Promise<string> {
    const reply = await fetch(`${chorus.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: name, email: `${name}@example.test`, password: PASSWORD }),
    });
    expect(reply.status).toBe(201);
    return ((await reply.json()) as { token: string }).token;
  }

  async function openAfter(username: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('pageerror', (err) => console.error(`[example page] ${err.message}`));
    await page.goto(`${pages.origin}/after.html?chorus=${encodeURIComponent(chorus.url)}&room=${roomId}`);
    await page.fill('#name', username);
    await page.fill('#password', PASSWORD);
    await page.click('#login button');
    await page.locator('#status', { hasText: 'Connected' }).waitFor();
    return page;
  }

  beforeAll(async () => {
    pages = await servePages();
    chorus = await startServer({ CORS_ORIGINS: pages.origin, WS_ALLOWED_ORIGINS: pages.origin });
    const suffix = Math.random().toString(36).slice(2, 8);
    users.push(`spring_a_${suffix}`, `spring_b_${suffix}`);
    const token = await signup(users[0]!);
    await signup(users[1]!);
    const room = await fetch(`${chorus.url}/api/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: `public-${suffix}` }),
    });
    roomId = ((await room.json()) as { id: string }).id;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await chorus?.close();
    pages?.server.close();
  });

  it('the after page logs in, joins, connects over SockJS and chats both ways', async () => {
    const [a, b] = [await openAfter(users[0]!), await openAfter(users[1]!)];
    await a.fill('#message', 'hello from the migrated page');
    await a.click('#compose button');
    await b.locator('#messages li', { hasText: `${users[0]}: hello from the migrated page` }).waitFor();
    await b.fill('#message', 'it works cross-origin');
    await b.click('#compose button');
    await a.locator('#messages li', { hasText: `${users[1]}: it works cross-origin` }).waitFor();
  });

  it('the before page, unchanged, does not connect: its SockJS path /ws is the native WebSocket one in Chorus', async () => {
    const page = await browser.newPage();
    await page.goto(`${pages.origin}/before.html?server=${encodeURIComponent(chorus.url)}`);
    await page.fill('#name', 'spring user');
    await page.click('#login button');
    // Its SockJS endpoint was /ws, which is Chorus's native WebSocket path: SockJS cannot open it.
    await page.locator('#status', { hasText: 'Could not connect' }).waitFor();
  });
});
