import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runE2e, useChatBrowser } from './support/chat-browser.js';
import type { ChatPage } from './support/chat-page.js';

const PASSWORD = 'correct horse battery';
const suffix = `_${Math.random().toString(36).slice(2, 8)}`;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A PNG of the given size made by the page's canvas, as a File handle inside the page. */
async function pngFileHandle(page: Page, name: string, width: number, height: number) {
  return page.evaluateHandle(
    async ({ name, width, height }) => {
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#c03030';
      ctx.fillRect(0, 0, width, height);
      const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'));
      const transfer = new DataTransfer();
      transfer.items.add(new File([blob], name, { type: 'image/png' }));
      return transfer;
    },
    { name, width, height },
  );
}

describe.runIf(runE2e)('attachments in the browser client', () => {
  const chat = useChatBrowser({
    env: { MAX_ATTACHMENT_BYTES: String(2 * 1024 * 1024) },
    context: { acceptDownloads: true },
  });
  let a: ChatPage;
  let b: ChatPage;

  beforeAll(async () => {
    a = await chat.open();
    b = await chat.open();
    await a.signUp(`alice${suffix}`, PASSWORD);
    await b.signUp(`bob${suffix}`, PASSWORD);
    await a.createRoom(`files${suffix}`);
    await b.page.getByRole('button', { name: 'Refresh public rooms' }).click();
    await b.page.getByRole('button', { name: `Join files${suffix}` }).click();
    await b.roomHeading(`files${suffix}`).waitFor();
  }, 120_000);

  it('an image dropped on the chat is uploaded with progress, sent, and shown as a thumbnail to the other user, opening full size', async () => {
    const transfer = await pngFileHandle(a.page, 'dropped.png', 800, 600);
    await a.page.dispatchEvent('section.chat', 'drop', { dataTransfer: transfer });
    await a.page.locator('.uploads li.uploaded').filter({ hasText: 'dropped.png' }).waitFor();
    expect(await a.page.locator('.uploads progress').first().evaluate((p) => (p as HTMLProgressElement).value)).toBe(1);
    await a.composer.press('Enter');

    const thumb = b.log.locator('img.thumb[alt="dropped.png"]');
    await thumb.waitFor();
    await expect.poll(() => thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    expect(await thumb.evaluate((img) => Math.max((img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight))).toBeLessThanOrEqual(320);
    await thumb.click();
    const full = b.page.getByRole('dialog', { name: 'dropped.png' }).locator('img.full');
    await expect.poll(() => full.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(800);
    await b.page.getByRole('dialog', { name: 'dropped.png' }).getByRole('button', { name: 'Close' }).click();
  });

  it('an image pasted into the composer goes with the text', async () => {
    const transfer = await pngFileHandle(a.page, 'pasted.png', 200, 100);
    await a.composer.evaluate((textarea, dt) => {
      textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt as DataTransfer, bubbles: true, cancelable: true }));
    }, transfer);
    await a.page.locator('.uploads li.uploaded').filter({ hasText: 'pasted.png' }).waitFor();
    await a.send('look at this');
    await b.message('look at this').waitFor();
    const thumb = b.log.locator('.msg', { hasText: 'look at this' }).locator('img.thumb[alt="pasted.png"]');
    await expect.poll(() => thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(200);
  });

  it('a file attached with the button shows as a chip with name and size, and downloads byte for byte', async () => {
    const bytes = randomBytes(50_000);
    await a.page.getByLabel('Attach files').setInputFiles({ name: 'data.bin', mimeType: 'application/octet-stream', buffer: bytes });
    await a.page.locator('.uploads li.uploaded').filter({ hasText: 'data.bin' }).waitFor();
    await a.composer.press('Enter');
    const chip = b.log.getByRole('button', { name: /data\.bin/ });
    await chip.waitFor();
    expect(await chip.textContent()).toContain('48.8 KB');
    const [download] = await Promise.all([b.page.waitForEvent('download'), chip.click()]);
    expect(download.suggestedFilename()).toBe('data.bin');
    expect(sha(await readFile((await download.path())!))).toBe(sha(bytes));
  });

  it('says clearly when a file is too large, and sends nothing', async () => {
    await a.page.getByLabel('Attach files').setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: randomBytes(3 * 1024 * 1024) });
    await a.page.locator('.uploads li.failed').filter({ hasText: /huge\.bin is too large/ }).waitFor();
    expect(await a.sendError.textContent()).toMatch(/huge\.bin is too large/);
    await a.page.getByRole('button', { name: 'Remove huge.bin' }).click();
  });

  it.each([
    ['evil.html', '<!doctype html><script>document.title = "pwned"; alert(1)</script>'],
    ['evil.svg', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>document.title = "pwned"; alert(2)</script></svg>'],
  ])('an uploaded %s is a download in Chromium, never a page that runs', async (name, content) => {
    const { token } = await a.session();
    const roomId = decodeURIComponent(new URL(a.page.url()).hash.replace('#/rooms/', ''));
    const up = await fetch(`${chat.server.url}/api/rooms/${roomId}/attachments?name=${name}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
      body: content,
    });
    const attachment = (await up.json()) as { url: string };
    const context = await chat.newContext({ extraHTTPHeaders: { authorization: `Bearer ${token}` }, acceptDownloads: true });
    const page = await context.newPage();
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    const downloaded = page.waitForEvent('download');
    await page.goto(chat.server.url + attachment.url).catch(() => undefined); // "Download is starting"
    const download = await downloaded;
    expect(download.suggestedFilename()).toBe(name);
    expect(dialogs).toBe(0);
    expect(await page.title()).not.toBe('pwned');
  });
});
