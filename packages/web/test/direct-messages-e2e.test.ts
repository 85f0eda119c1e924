import { describe, expect, it } from 'vitest';
import { runE2e, useChatBrowser, warnIfSkipped } from './support/chat-browser.js';
import type { ChatPage } from './support/chat-page.js';

const PASSWORD = 'correct horse battery';
const suffix = `_${Math.random().toString(36).slice(2, 8)}`;
const alice = `alice${suffix}`;
const bob = `bob${suffix}`;
const lobby = `dm-lobby${suffix}`;
const REFUSAL = 'You cannot message this user';

warnIfSkipped('direct messages e2e');

// Direct messages and blocking in Chromium, two users in two browser contexts (docs/conversations-dms.md).
describe.runIf(runE2e)('direct messages: people search, "Message @name", block and unblock', () => {
  const chat = useChatBrowser({ failureScreenshots: 'dm-failure' });
  let a: ChatPage;
  let b: ChatPage;
  let dmId = '';

  const roomIdOf = (page: ChatPage) => decodeURIComponent(new URL(page.page.url()).hash.replace('#/rooms/', ''));
  const peopleSearch = (page: ChatPage) => page.page.getByRole('region', { name: 'New message' });

  /** Types a username prefix into "New message" and picks the person from the results. */
  async function messageViaSearch(page: ChatPage, prefix: string, username: string): Promise<void> {
    const panel = peopleSearch(page);
    await panel.getByRole('searchbox', { name: 'Find a person' }).fill(prefix);
    await panel.getByRole('list', { name: 'People found' }).getByRole('button', { name: `@${username}`, exact: true }).click();
  }

  async function accountPanel(page: ChatPage) {
    if ((await page.page.locator('.account-menu').getAttribute('open')) === null) await page.page.locator('.account-menu summary').click();
    return page.page.locator('.account-panel');
  }

  it('alice finds bob by a prefix, opens the DM and writes; bob gets it in his sidebar live and replies', async () => {
    a = await chat.open();
    b = await chat.open();
    await a.signUp(alice, PASSWORD);
    await b.signUp(bob, PASSWORD);

    // A prefix of bob's name, typed as people do (with @, any case): one result, never alice herself.
    const panel = peopleSearch(a);
    await panel.getByRole('searchbox', { name: 'Find a person' }).fill(`@BOB${suffix}`.slice(0, 6));
    const results = panel.getByRole('list', { name: 'People found' });
    await results.getByRole('button', { name: `@${bob}`, exact: true }).waitFor();
    await messageViaSearch(a, `bob${suffix}`, bob);
    await a.roomHeading(`@${bob}`).waitFor();
    dmId = roomIdOf(a);
    expect(dmId).toMatch(/^[0-9a-f-]{36}$/);
    await a.page.locator('.room-meta').filter({ hasText: 'Direct message' }).waitFor();
    await a.roomLink(`@${bob}`).waitFor();
    // Direct conversations are blocked, not left.
    expect(await a.page.getByRole('button', { name: 'Leave room' }).count()).toBe(0);

    await a.send('hi bob, this is private');
    await b.roomLink(`@${alice}`).waitFor({ timeout: 15_000 });
    await b.roomLink(`@${alice}`).click();
    await b.roomHeading(`@${alice}`).waitFor();
    expect(roomIdOf(b)).toBe(dmId);
    await b.message('hi bob, this is private').waitFor();
    await b.send('hi alice');
    await a.message('hi alice').waitFor();
    // An edit is an entry of its own, which a block hides too (see the block test).
    const messageId = await a.log.locator('li.msg', { hasText: 'hi alice' }).getAttribute('data-id');
    const { token } = await b.session();
    const edit = await fetch(`${chat.server.url}/api/rooms/${dmId}/messages/${messageId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hi alice (typo fixed)' }),
    });
    expect(edit.status).toBe(200);
    await a.message('hi alice (typo fixed)').waitFor();
  });

  it('the same room every time: from the search again, and from "Message @bob" on his name in a group room', async () => {
    await a.page.goto(`${chat.server.url}/#/`);
    // From the keyboard: Enter takes the first person found for what is typed, not for an
    // earlier, shorter prefix still on screen (whose first person may be another "b…").
    const signup = await fetch(`${chat.server.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `ba${suffix}`, email: `ba${suffix}@example.test`, password: PASSWORD }),
    });
    expect(signup.status).toBe(201); // "ba…" is listed before bob under "b"
    const box = peopleSearch(a).getByRole('searchbox', { name: 'Find a person' });
    await box.fill('b');
    await peopleSearch(a).getByRole('status').filter({ hasText: /found/ }).waitFor();
    await box.fill(bob);
    await box.press('Enter');
    await a.roomHeading(`@${bob}`).waitFor();
    expect(roomIdOf(a)).toBe(dmId);

    await a.createRoom(lobby);
    await a.send('welcome');
    await a.message('welcome').waitFor();
    await b.page.getByRole('button', { name: 'Refresh public rooms' }).click();
    await b.page.getByRole('button', { name: `Join ${lobby}` }).click();
    await b.roomHeading(lobby).waitFor();
    await b.send('hello lobby');
    await a.message('hello lobby').waitFor();

    // My own name has no menu; bob's opens one.
    await a.log.locator('li.msg', { hasText: 'welcome' }).getByText(alice, { exact: true }).waitFor();
    expect(await a.log.getByRole('button', { name: alice, exact: true }).count()).toBe(0);
    await a.log.locator('li.msg', { hasText: 'hello lobby' }).getByRole('button', { name: bob, exact: true }).click();
    const menu = a.page.getByRole('menu', { name: `@${bob}` });
    await menu.getByRole('menuitem', { name: `Message @${bob}` }).click();
    await a.roomHeading(`@${bob}`).waitFor();
    expect(roomIdOf(a)).toBe(dmId);
    await menu.waitFor({ state: 'hidden' });
  });

  it('alice blocks bob: his messages are hidden for her, and he gets the refusal when he writes or opens the DM', async () => {
    await a.page.getByRole('button', { name: `Block @${bob}` }).click();
    await a.page.getByRole('status').filter({ hasText: `You block @${bob}` }).waitFor();
    // History reloaded: bob's message keeps its place, without its text; alice's own stays.
    await a.log.locator('.msg-hidden').filter({ hasText: 'Hidden: you block this person.' }).waitFor();
    expect(await a.log.locator('.msg-hidden').count()).toBe(1);
    expect(await a.log.getByText(/hi alice/).count()).toBe(0);
    await a.message('hi bob, this is private').waitFor();
    const blockList = (await accountPanel(a)).getByRole('list', { name: 'Blocked users' });
    await blockList.getByRole('button', { name: `Unblock ${bob}`, exact: true }).waitFor();
    await a.page.locator('.account-menu summary').click();

    // Bob, in the open DM: the send is refused with the server's words.
    await b.roomLink(`@${alice}`).click();
    await b.roomHeading(`@${alice}`).waitFor();
    await b.send('are you there?');
    await b.sendError.filter({ hasText: `Not sent: ${REFUSAL}` }).waitFor();
    // Opening the DM anew (search, or his name's menu) is refused the same way.
    await messageViaSearch(b, `alice${suffix}`, alice);
    await peopleSearch(b).getByRole('alert').filter({ hasText: REFUSAL }).waitFor();
    expect(roomIdOf(b)).toBe(dmId); // still where he was
    await b.roomLink(lobby).click();
    await b.log.locator('li.msg', { hasText: 'hello lobby' }).waitFor();
    expect(await a.message('are you there?').count()).toBe(0);
  });

  it('unblocking from the account menu restores everything', async () => {
    const blockList = (await accountPanel(a)).getByRole('list', { name: 'Blocked users' });
    await blockList.getByRole('button', { name: `Unblock ${bob}` }).click();
    await blockList.getByText('You block no one.').waitFor();
    await a.page.locator('.account-menu summary').click();
    await a.page.getByRole('button', { name: `Block @${bob}` }).waitFor();
    await a.message('hi alice (typo fixed)').waitFor();
    expect(await a.log.locator('.msg-hidden').count()).toBe(0);

    await messageViaSearch(b, `alice${suffix}`, alice);
    await b.roomHeading(`@${alice}`).waitFor();
    expect(roomIdOf(b)).toBe(dmId);
    await b.send('back again');
    await a.message('back again').waitFor();
    expect(await b.sendError.count()).toBe(0); // an empty alert is not shown
  });
});
