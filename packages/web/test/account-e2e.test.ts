import { describe, expect, it } from 'vitest';
import { runE2e, useChatBrowser, warnIfSkipped } from './support/chat-browser.js';
import type { ChatPage } from './support/chat-page.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'battery staple horse';
const suffix = `_${Math.random().toString(36).slice(2, 8)}`;
const dana = `dana${suffix}`;

warnIfSkipped('account e2e');

// The account menu in Chromium, against its own server: two browser contexts of the same user.
describe.runIf(runE2e)('account menu: log out everywhere, change password, delete account', () => {
  const { open } = useChatBrowser();

  async function menu(page: ChatPage) {
    const summary = page.page.locator('.account-menu summary');
    if ((await page.page.locator('.account-menu').getAttribute('open')) === null) await summary.click();
    return page.page.locator('.account-panel');
  }

  const loginForm = (page: ChatPage) => page.page.getByRole('form', { name: 'Log in' });

  it('"Log out everywhere" in one browser signs the other out when its socket is closed', async () => {
    const first = await open();
    await first.signUp(dana, PASSWORD);
    const second = await open();
    await second.logIn(dana, PASSWORD);

    const panel = await menu(first);
    await panel.getByRole('form', { name: 'Log out everywhere' }).getByRole('button', { name: 'Log out everywhere' }).click();
    await loginForm(first).waitFor();
    // The other context did nothing: the server closed its socket, and it is signed out.
    await loginForm(second).waitFor({ timeout: 15_000 });
    expect(await second.session().catch(() => null)).toBeNull();
  });

  it('changing the password keeps this browser signed in and signs the other out; deleting the account ends it', async () => {
    const first = await open();
    await first.logIn(dana, PASSWORD);
    const second = await open();
    await second.logIn(dana, PASSWORD);

    const panel = await menu(first);
    const change = panel.getByRole('form', { name: 'Change password' });
    await change.getByLabel('Current password').fill(PASSWORD);
    await change.getByLabel('New password').fill(NEW_PASSWORD);
    await change.getByRole('button', { name: 'Change password' }).click();
    await loginForm(second).waitFor({ timeout: 15_000 });
    await first.waitConnected();
    expect(await loginForm(first).count()).toBe(0);

    const remove = panel.getByRole('form', { name: 'Delete account' });
    await remove.getByLabel('Confirm with your password').fill(NEW_PASSWORD);
    await remove.getByRole('button', { name: 'Delete my account' }).click();
    await loginForm(first).waitFor();
    await loginForm(first).getByRole('textbox', { name: 'Username or email' }).fill(dana);
    await loginForm(first).getByLabel('Password').fill(NEW_PASSWORD);
    await loginForm(first).getByRole('button', { name: 'Log in' }).click();
    await first.page.getByText(/invalid login or password/i).waitFor();
  });
});
