import { beforeAll, describe, expect, it } from 'vitest';
import { runE2e, useChatBrowser } from './support/chat-browser.js';
import type { ChatPage } from './support/chat-page.js';

const PASSWORD = 'correct horse battery';
const suffix = `_${Math.random().toString(36).slice(2, 8)}`;

describe.runIf(runE2e)('reactions and mentions in the browser client', () => {
  const chat = useChatBrowser();
  let a: ChatPage;
  let b: ChatPage;
  const alice = `alice${suffix}`;
  const bob = `bob${suffix}`;
  const room = `react${suffix}`;

  beforeAll(async () => {
    a = await chat.open();
    b = await chat.open();
    await a.signUp(alice, PASSWORD);
    await b.signUp(bob, PASSWORD);
    await a.createRoom(room);
    await b.page.getByRole('button', { name: 'Refresh public rooms' }).click();
    await b.page.getByRole('button', { name: `Join ${room}` }).click();
    await b.roomHeading(room).waitFor();
  }, 120_000);

  it('alice reacts from the picker; bob sees the chip live and after a reload, and toggles his own', async () => {
    await a.send('react to this');
    await b.message('react to this').waitFor();
    const aliceItem = a.log.locator('li.msg').filter({ hasText: 'react to this' });
    await aliceItem.getByRole('button', { name: 'Add reaction' }).click();
    await aliceItem.getByRole('button', { name: 'React 🎉' }).click();
    await aliceItem.locator('.reaction-chip.mine[data-emoji="🎉"]').waitFor();

    const bobItem = b.log.locator('li.msg').filter({ hasText: 'react to this' });
    const chip = bobItem.locator('.reaction-chip[data-emoji="🎉"]');
    await chip.waitFor();
    expect(await chip.textContent()).toBe('🎉 1');
    expect(await chip.getAttribute('aria-pressed')).toBe('false');

    // Bob adds his: 2, pressed for him; alice sees 2 live.
    await chip.click();
    await bobItem.locator('.reaction-chip.mine[data-emoji="🎉"][data-count="2"]').waitFor();
    await aliceItem.locator('.reaction-chip.mine[data-emoji="🎉"][data-count="2"]').waitFor();

    // After a reload, history carries the reactions and bob's own mark.
    await b.page.reload();
    await b.roomLink(room).click();
    const reloaded = b.log.locator('li.msg').filter({ hasText: 'react to this' }).locator('.reaction-chip[data-emoji="🎉"]');
    await reloaded.waitFor();
    expect(await reloaded.textContent()).toBe('🎉 2');
    expect(await reloaded.getAttribute('aria-pressed')).toBe('true');
  });

  it('bob mentions alice with the autocomplete: she sees a mention badge in her room list and the mention highlighted', async () => {
    // Alice looks at another room, so the mention counts as unread for her.
    await a.createRoom(`elsewhere${suffix}`);
    await b.roomLink(room).click();
    // Bob picks alice from the @-autocomplete (names of the room's history and who is online).
    await b.composer.fill(`hey @${alice.slice(0, 6)}`);
    await b.page.getByRole('listbox', { name: 'Mention someone' }).getByRole('button', { name: `@${alice}` }).click();
    expect(await b.composer.inputValue()).toBe(`hey @${alice} `);
    await b.composer.pressSequentially('look');
    await b.composer.press('Enter');
    const badge = a.roomLink(room).locator('.mention-badge');
    await badge.waitFor();
    expect(await badge.textContent()).toBe('@1');

    await a.roomLink(room).click();
    const mention = a.log.locator('li.msg').filter({ hasText: 'look' }).locator('.mention.me');
    await mention.waitFor();
    expect(await mention.textContent()).toBe(`@${alice}`);
    // Reading the room clears the badge.
    await expect.poll(() => a.roomLink(room).locator('.mention-badge').count()).toBe(0);
  });

  it('an edit that mentions alice highlights it for her live, without a reload', async () => {
    await b.send('plain note');
    const note = a.log.locator('li.msg', { has: a.page.locator('.msg-text', { hasText: 'plain note' }) });
    await note.waitFor();
    expect(await note.locator('.mention').count()).toBe(0);
    const mine = b.log.locator('li.msg', { has: b.page.locator('.msg-text', { hasText: 'plain note' }) });
    // It follows bob's earlier message, so it is grouped under it: its menu shows when pointed at.
    expect(await mine.getAttribute('class')).toContain('cont');
    await mine.hover();
    b.page.once('dialog', (dialog) => void dialog.accept(`plain note for @${alice}`));
    await mine.getByRole('button', { name: 'Edit message' }).click();
    const mention = a.log.locator('li.msg', { has: a.page.locator('.msg-text', { hasText: 'plain note for' }) }).locator('.mention.me');
    await mention.waitFor();
    expect(await mention.textContent()).toBe(`@${alice}`);
  });
});
