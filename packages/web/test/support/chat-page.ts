import type { Locator, Page } from 'playwright-core';

/** Drives the Chorus client the way a person would: by role and accessible name. */
export class ChatPage {
  constructor(readonly page: Page) {}

  get connection(): Locator {
    return this.page.locator('header [role="status"]');
  }

  get log(): Locator {
    return this.page.getByRole('log', { name: 'Messages' });
  }

  get composer(): Locator {
    return this.page.getByRole('textbox', { name: 'Message', exact: true });
  }

  get sendError(): Locator {
    return this.page.getByRole('form', { name: 'Send a message' }).getByRole('alert');
  }

  get myRooms(): Locator {
    return this.page.getByRole('list', { name: 'Your rooms' });
  }

  async signUp(username: string, password: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Create an account' }).click();
    const form = this.page.getByRole('form', { name: 'Sign up' });
    await form.getByRole('textbox', { name: 'Username' }).fill(username);
    await form.getByRole('textbox', { name: 'Email' }).fill(`${username}@example.test`);
    await form.getByLabel('Password').fill(password);
    await form.getByRole('button', { name: 'Sign up' }).click();
    await this.waitConnected();
  }

  async logIn(login: string, password: string, transport: 'WebSocket' | 'SockJS' = 'WebSocket'): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Log in' });
    await form.getByRole('textbox', { name: 'Username or email' }).fill(login);
    await form.getByLabel('Password').fill(password);
    await form.getByRole('button', { name: 'Log in' }).click();
    await this.waitConnected(transport);
  }

  async waitConnected(transport: 'WebSocket' | 'SockJS' = 'WebSocket'): Promise<void> {
    await this.page.locator(`header [role="status"][data-state="connected"][data-transport="${transport.toLowerCase()}"]`).waitFor();
  }

  async createRoom(name: string, isPrivate = false): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Create a room' });
    await form.getByRole('textbox', { name: 'Room name' }).fill(name);
    if (isPrivate) await form.getByRole('checkbox', { name: /Private room/ }).check();
    await form.getByRole('button', { name: 'Create room' }).click();
    await this.roomHeading(name).waitFor();
  }

  roomHeading(name: string): Locator {
    return this.page.getByRole('heading', { name, exact: true, level: 2 });
  }

  /** Types into the composer and presses Enter. */
  async send(text: string): Promise<void> {
    await this.composer.fill(text);
    await this.composer.press('Enter');
  }

  /**
   * A stored message's text in the log, matched exactly. Messages still being sent are left out:
   * a refused send shows there until its refusal arrives, and must not pass for a stored one.
   */
  message(text: string): Locator {
    return this.log.locator('ol.messages:not(.pending-list) .msg-text').getByText(text, { exact: true });
  }

  notice(text: string): Locator {
    return this.log.locator('.notice').getByText(text, { exact: true });
  }

  /** Texts of all stored messages in the log, in order. */
  async messageTexts(): Promise<string[]> {
    return this.log.locator('ol.messages:not(.pending-list) .msg-text').allTextContents();
  }

  roomLink(name: string): Locator {
    return this.myRooms.getByRole('link', { name: new RegExp(`^${escapeRegExp(name)}\\b`) });
  }

  async session(): Promise<{ token: string; user: { id: string; username: string } }> {
    const raw = await this.page.evaluate(() => localStorage.getItem('chorus.session'));
    if (raw === null) throw new Error('not signed in');
    return JSON.parse(raw) as { token: string; user: { id: string; username: string } };
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
