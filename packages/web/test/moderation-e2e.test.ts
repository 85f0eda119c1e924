import type { Locator } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runE2e, useChatBrowser } from './support/chat-browser.js';
import type { ChatPage } from './support/chat-page.js';

const PASSWORD = 'correct horse battery';
const suffix = `_${Math.random().toString(36).slice(2, 8)}`;

/** The owner and a member in two browsers: settings arrive live, the composer follows the room's rules, a kick closes the room. */
describe.runIf(runE2e)('room moderation in the browser client', () => {
  const chat = useChatBrowser({ context: { viewport: { width: 1280, height: 900 } } });
  let owner: ChatPage;
  let member: ChatPage;
  const ownerName = `olga${suffix}`;
  const memberName = `mike${suffix}`;
  const room = `modroom${suffix}`;

  const panel = (p: ChatPage): Locator => p.page.getByRole('region', { name: 'Room settings' });
  const sendButton = (p: ChatPage): Locator => p.page.getByRole('form', { name: 'Send a message' }).getByRole('button', { name: 'Send' });
  const composerNote = (p: ChatPage): Locator => p.page.getByRole('form', { name: 'Send a message' }).locator('.composer-note');

  /** The member's entry in the owner's panel, its menu open (the list is redrawn after each action). */
  async function memberMenu(settings: Locator): Promise<Locator> {
    const item = settings.getByRole('list', { name: 'Members' }).locator(`li:has-text("${memberName}")`);
    await expect
      .poll(async () => {
        if ((await item.locator('details').getAttribute('open')) === null) await item.locator('summary').click();
        return item.locator('details[open]').count();
      })
      .toBe(1);
    return item;
  }

  async function openPanel(p: ChatPage): Promise<Locator> {
    const toggle = p.page.getByRole('button', { name: 'Room settings' });
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    return panel(p);
  }

  beforeAll(async () => {
    owner = await chat.open();
    member = await chat.open();
    await owner.signUp(ownerName, PASSWORD);
    await member.signUp(memberName, PASSWORD);
    await owner.createRoom(room);
    await member.page.getByRole('button', { name: 'Refresh public rooms' }).click();
    await member.page.getByRole('button', { name: `Join ${room}` }).click();
    await member.roomHeading(room).waitFor();
  }, 120_000);

  it('a member sees no moderation controls; the owner sets the topic and the member sees it live', async () => {
    const mine = await openPanel(member);
    await mine.getByText('Only the owner and moderators change this room.').waitFor();
    expect(await mine.getByRole('form', { name: 'Topic' }).count()).toBe(0);

    const settings = await openPanel(owner);
    // A name half typed survives the panel showing the new settings (a rebuild would reset it).
    const nameBox = settings.getByRole('form', { name: 'Room name' }).getByRole('textbox', { name: 'Room name' });
    await nameBox.fill('a name not sent yet');
    const topicForm = settings.getByRole('form', { name: 'Topic' });
    // The server trims the topic: the field then shows what was stored, not what was typed.
    await topicForm.getByRole('textbox', { name: 'Topic' }).fill('  Release day: ship it  ');
    await topicForm.getByRole('button', { name: 'Set topic' }).click();
    await member.page.locator('.chat-head .room-topic').getByText('Release day: ship it').waitFor();
    await owner.page.locator('.chat-head .room-topic').getByText('Release day: ship it').waitFor();
    expect(await nameBox.inputValue()).toBe('a name not sent yet');
    await expect.poll(() => topicForm.getByRole('textbox', { name: 'Topic' }).inputValue()).toBe('Release day: ship it');
  });

  it('slow mode: the member sends, sees the countdown with the composer disabled, then it opens again; a refused send counts down too', async () => {
    const settings = await openPanel(owner);
    const slow = settings.getByRole('form', { name: 'Slow mode' });
    await slow.getByRole('spinbutton').fill('5');
    await slow.getByRole('button', { name: 'Set slow mode' }).click();
    // The member's client learns it live.
    await composerNote(member).getByText('Slow mode is on: one message every 5s').waitFor();
    await member.send('first under slow mode');
    await member.message('first under slow mode').waitFor();
    await composerNote(member).getByText(/Slow mode: you can send again in \ds/).waitFor();
    expect(await member.composer.isDisabled()).toBe(true);
    expect(await sendButton(member).isDisabled()).toBe(true);

    await member.page.waitForFunction(() => !(document.querySelector('form.composer textarea') as HTMLTextAreaElement).disabled, null, { timeout: 15_000 });
    expect(await composerNote(member).textContent()).toBe('Slow mode is on: one message every 5s');

    // Raised to 60 s, the member's last message (a few seconds old) is inside the interval again. A
    // fresh page knows no countdown: the server refuses (rate_limited, retryAfter) and the countdown
    // starts from that.
    await slow.getByRole('spinbutton').fill('60');
    await slow.getByRole('button', { name: 'Set slow mode' }).click();
    await composerNote(member).getByText('Slow mode is on: one message every 60s').waitFor();
    await member.page.reload();
    await member.waitConnected();
    await member.roomLink(room).click();
    await composerNote(member).getByText('Slow mode is on: one message every 60s').waitFor();
    await member.send('too soon');
    await member.sendError.getByText(/Rate limited/).waitFor();
    await composerNote(member).getByText(/Slow mode: you can send again in \d+s/).waitFor();
    expect(await member.composer.isDisabled()).toBe(true);
    expect(await member.composer.inputValue()).toBe('too soon'); // the refused draft is kept
    // The owner is exempt: no countdown after their message.
    await owner.send('owner talks freely');
    await owner.message('owner talks freely').waitFor();
    expect(await owner.composer.isDisabled()).toBe(false);
    await slow.getByRole('spinbutton').fill('0');
    await slow.getByRole('button', { name: 'Set slow mode' }).click();
    // Slow mode off: the countdown ends at once, and the kept draft goes.
    await expect.poll(() => composerNote(member).isHidden(), { timeout: 5000 }).toBe(true);
    expect(await member.composer.isDisabled()).toBe(false);
    await member.composer.press('Enter');
    await member.message('too soon').waitFor();
  });

  it('an announcement room closes the member composer with a note, live, and opens it again', async () => {
    const settings = await openPanel(owner);
    await settings.getByRole('checkbox', { name: /Announcement room/ }).check();
    await composerNote(member).getByText('Only moderators can post here').waitFor();
    expect(await member.composer.isDisabled()).toBe(true);
    expect(await owner.composer.isDisabled()).toBe(false);
    await settings.getByRole('checkbox', { name: /Announcement room/ }).uncheck();
    await member.page.waitForFunction(() => !(document.querySelector('form.composer textarea') as HTMLTextAreaElement).disabled);
  });

  it('the owner promotes the member (who learns it live), demotes them, kicks them (their room closes), and the log lists it all', async () => {
    await openPanel(member);
    const settings = await openPanel(owner);
    const menu = () => memberMenu(settings);
    await (await menu()).getByRole('button', { name: 'Make moderator' }).click();
    await (await menu()).locator('.role-badge').getByText('moderator').waitFor();
    // The member's client refetches its standing: the slow-mode form appears in their panel.
    await panel(member).getByRole('form', { name: 'Slow mode' }).waitFor();
    await (await menu()).getByRole('button', { name: 'Remove moderator' }).click();
    await (await menu()).getByRole('button', { name: 'Make moderator' }).waitFor();

    // A timeout closes the member's composer at once (their client rereads its standing); 0 lifts it.
    const timeoutForm = (await menu()).getByRole('form', { name: `Time out ${memberName}` });
    await timeoutForm.getByRole('spinbutton').fill('1');
    await timeoutForm.getByRole('button', { name: 'Time out' }).click();
    await composerNote(member).getByText(/You are timed out in this room until/).waitFor();
    expect(await member.composer.isDisabled()).toBe(true);
    // The list is drawn anew after each action and refresh: what was typed must survive one, or
    // this "0" would submit as the default 10 minutes. Force a redraw between typing and submitting.
    const lift = (await menu()).getByRole('spinbutton');
    await lift.fill('0');
    await lift.evaluate((input) => input.setAttribute('data-typed-before-redraw', ''));
    await settings.getByRole('button', { name: 'Refresh log' }).click();
    await expect.poll(() => settings.locator('[data-typed-before-redraw]').count()).toBe(0);
    expect(await (await menu()).getByRole('spinbutton').inputValue()).toBe('0');
    await (await menu()).getByRole('button', { name: 'Time out' }).click();
    await member.page.waitForFunction(() => !(document.querySelector('form.composer textarea') as HTMLTextAreaElement).disabled);
    await panel(member).getByText('Only the owner and moderators change this room.').waitFor();

    await (await menu()).getByRole('button', { name: 'Kick' }).click();
    // The member's room closes: gone from their list, the view offers to join again.
    await expect.poll(() => member.roomLink(room).count()).toBe(0);
    await member.page.getByRole('button', { name: 'Join room' }).waitFor();
    await settings.getByRole('list', { name: 'Members' }).locator(`li:has-text("${memberName}")`).waitFor({ state: 'detached' });

    await settings.getByRole('button', { name: 'Refresh log' }).click();
    const log = settings.getByRole('list', { name: 'Moderation log' });
    await log.getByText(`kicked ${memberName}`).waitFor();
    const actions = await log.locator('li').evaluateAll((items) => items.map((item) => item.getAttribute('data-action')));
    expect(actions).toEqual(['kick', 'timeout', 'timeout', 'role', 'role', 'announcement', 'announcement', 'slow-mode', 'slow-mode', 'slow-mode', 'topic']);
    await log.getByText('set the topic to “Release day: ship it”').waitFor();
  });

  it('a rename shows live, even when it crosses the standing read; an own change answered late keeps newer settings; a ban closes the room until the unban; deleting the room takes it from everyone', async () => {
    // The member's standing read on joining is served before the rename and answered only after the
    // rename's live event has arrived: the client must not put the old name back. Later reads (the
    // unread pushes that follow a rename trigger some) are held meanwhile, so none can repair it.
    const first = { served: deferred(), release: deferred() };
    const later = deferred();
    const held: Array<Promise<void>> = [];
    const settingsReads = '**/api/rooms/*/settings';
    await member.page.route(settingsReads, (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      const isFirst = held.length === 0;
      const answered = (async () => {
        const response = await route.fetch();
        if (isFirst) first.served.resolve();
        await (isFirst ? first.release.promise : later.promise);
        await route.fulfill({ response });
      })();
      held.push(answered);
      return answered;
    });
    await member.page.getByRole('button', { name: 'Join room' }).click();
    await member.roomHeading(room).waitFor();
    await first.served.promise;
    const settings = await openPanel(owner);
    const renamed = `${room}-renamed`;
    const nameForm = settings.getByRole('form', { name: 'Room name' });
    await nameForm.getByRole('textbox', { name: 'Room name' }).fill(renamed);
    await nameForm.getByRole('button', { name: 'Rename' }).click();
    await member.roomLink(renamed).waitFor(); // the live event has arrived
    first.release.resolve();
    await member.roomHeading(renamed).waitFor({ timeout: 5000 });
    later.resolve();
    await Promise.all(held);
    await member.page.unroute(settingsReads);

    // The owner's own change answered late: a slow-mode change is served and its answer held, a topic
    // change made after it is answered at once, then the held answer (older settings: the old topic)
    // arrives. The tab must keep the newer settings. The panel reloads its members after each
    // answer is applied, which tells when the held one has been.
    const slowFirst = { served: deferred(), release: deferred() };
    let slowAnswered: Promise<void> | undefined;
    await owner.page.route(settingsReads, (route) => {
      if (route.request().method() !== 'PATCH' || slowAnswered) return route.continue();
      slowAnswered = (async () => {
        const response = await route.fetch();
        slowFirst.served.resolve();
        await slowFirst.release.promise;
        await route.fulfill({ response });
      })();
      return slowAnswered;
    });
    let memberReads = 0;
    owner.page.on('request', (request) => void (new URL(request.url()).pathname.endsWith('/members') && memberReads++));
    const slow = settings.getByRole('form', { name: 'Slow mode' });
    await slow.getByRole('spinbutton').fill('7');
    await slow.getByRole('button', { name: 'Set slow mode' }).click();
    await slowFirst.served.promise;
    const topicForm = settings.getByRole('form', { name: 'Topic' });
    await topicForm.getByRole('textbox', { name: 'Topic' }).fill('set after slow mode');
    await topicForm.getByRole('button', { name: 'Set topic' }).click();
    await owner.page.locator('.chat-head .room-topic').getByText('set after slow mode').waitFor();
    await expect.poll(() => memberReads).toBe(1); // the topic's answer was applied
    slowFirst.release.resolve();
    await slowAnswered;
    await expect.poll(() => memberReads).toBe(2); // and now the slow-mode answer
    expect(await owner.page.locator('.chat-head .room-topic').textContent()).toBe('set after slow mode');
    expect(await slow.getByRole('spinbutton').inputValue()).toBe('7');
    await owner.page.unroute(settingsReads);

    await (await memberMenu(settings)).getByRole('button', { name: 'Ban' }).click();
    await expect.poll(() => member.roomLink(renamed).count()).toBe(0);
    await settings.getByRole('list', { name: 'Banned users' }).getByText(memberName).waitFor();
    await member.page.getByRole('button', { name: 'Join room' }).click();
    await member.page.getByText('You are banned from this room').waitFor();

    await settings.getByRole('button', { name: `Unban ${memberName}` }).click();
    await settings.getByRole('list', { name: 'Banned users' }).getByText('Nobody is banned.').waitFor();
    await member.page.getByRole('button', { name: 'Join room' }).click();
    await member.roomHeading(renamed).waitFor();

    await settings.getByRole('button', { name: 'Delete room…' }).click();
    await settings.getByRole('button', { name: 'Yes, delete this room and its history' }).click();
    await expect.poll(() => owner.roomLink(renamed).count()).toBe(0);
    await owner.page.getByRole('heading', { name: 'No room open' }).waitFor();
    // The member's subscriptions end and their room list drops it.
    await expect.poll(() => member.roomLink(renamed).count(), { timeout: 5000 }).toBe(0);
    await member.page.getByRole('heading', { name: 'Room not available' }).waitFor();
  });
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
