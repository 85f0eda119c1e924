import type { Message } from '../api/types.js';
import { attachmentList, type BlobLoader } from './attachment-view.js';
import { el, userText } from './dom.js';
import { withMentions } from './mentions.js';
import { applyReactionEntry, reactionBar } from './reactions.js';
import { userNameButton } from './user-menu.js';
import { continuesGroup, dayLabel, displayText, fullTime, noticeVerb, sameDay, shortTime } from './format.js';

/** What the menu of one of my messages does (edit asks for the new text first). */
export interface MessageMenuActions {
  edit(messageId: string, text: string): void;
  delete(messageId: string): void;
  /** Adds or takes back a reaction (any message; the server checks). */
  react?(messageId: string, emoji: string, remove: boolean): void;
}

/**
 * Renders a room's messages into an <ol>. Every piece of user text goes in via
 * text nodes (see dom.ts), so a message like `<script>` shows up as exactly that.
 */
export class MessageList {
  readonly element = el('ol', { class: 'messages' });
  #last: Message | undefined;
  #myId = '';
  /** My username: `@me` in a message that mentions me is highlighted. */
  #myName = '';

  /** Who I am, for mention highlighting (set before reset). */
  setMyName(username: string): void {
    this.#myName = username;
  }

  /** `load` fetches attachments (authenticated) for display. */
  constructor(
    private readonly load: BlobLoader = () => Promise.reject(new Error('attachments are not available')),
    private readonly menu?: MessageMenuActions,
  ) {}

  reset(myId: string, messages: readonly Message[]): void {
    this.#myId = myId;
    this.#last = undefined;
    this.element.replaceChildren();
    this.append(messages);
  }

  append(messages: readonly Message[]): void {
    for (const message of messages) {
      // Edits and deletes are entries of the sequence that change an earlier message in place.
      if (message.type === 'edit' || message.type === 'delete') {
        // A hidden edit (of a blocked person's message, itself hidden) has no text to show.
        if (!message.hidden) this.#change(message);
        continue;
      }
      if (message.type === 'reaction') {
        if (this.menu?.react) applyReactionEntry(this.element, message, this.#myId, (id, emoji, remove) => this.menu?.react?.(id, emoji, remove));
        continue;
      }
      if (!this.#last || !sameDay(this.#last.createdAt, message.createdAt)) {
        this.element.appendChild(
          el('li', { class: 'day', attrs: { role: 'separator', 'aria-label': dayLabel(message.createdAt) } }, dayLabel(message.createdAt)),
        );
      }
      this.element.appendChild(this.#item(message, continuesGroup(this.#last, message)));
      this.#last = message;
    }
  }

  /** The element of a message, if rendered. */
  item(seq: number): HTMLElement | null {
    return this.element.querySelector(`[data-seq="${seq}"]`);
  }

  /** Applies an edit or delete entry to its message, if rendered (entries come in seq order). */
  #change(entry: Message): void {
    if (!entry.targetId) return;
    const current = this.element.querySelector<HTMLLIElement>(`li[data-id="${CSS.escape(entry.targetId)}"]`);
    const seq = Number(current?.dataset['seq']);
    if (!current || current.classList.contains('deleted')) return;
    const sender = { id: current.dataset['sender'] ?? '', username: current.querySelector('.sender')?.textContent ?? '' };
    const createdAt = current.querySelector('time')?.getAttribute('datetime') ?? entry.createdAt;
    const base = { id: entry.targetId, roomId: entry.roomId, seq, type: 'text' as const, sender, createdAt };
    const mentions = [...new Set([...(current.dataset['mentions']?.split(' ').filter(Boolean) ?? []), ...(entry.mentions ?? [])])];
    const changed: Message =
      entry.type === 'delete' ? { ...base, text: '', deleted: true } : { ...base, text: entry.text, editedAt: entry.createdAt, ...(mentions.length ? { mentions } : {}) };
    const next = this.#item(changed, current.classList.contains('cont'));
    // An edit keeps the quote and the attachments already shown.
    if (entry.type === 'edit') {
      const quote = current.querySelector('.reply-quote');
      if (quote) next.querySelector('.msg-head')!.after(quote);
      const files = current.querySelector('.attachments');
      if (files) next.appendChild(files);
      const reactions = current.querySelector('.reactions');
      if (reactions) next.appendChild(reactions);
    }
    current.replaceWith(next);
    // Replies quoting it show the change too.
    for (const quote of this.element.querySelectorAll<HTMLElement>(`.reply-quote[data-reply-to="${CSS.escape(entry.targetId)}"]`)) {
      quote.replaceWith(this.#quote({ id: entry.targetId, sender, text: entry.type === 'delete' ? '' : entry.text.slice(0, 100), ...(entry.type === 'delete' ? { deleted: true as const } : {}) }));
    }
  }

  #quote(quote: NonNullable<Message['replyTo']>): HTMLElement {
    const attrs = { 'data-reply-to': quote.id };
    if (quote.deleted) return el('p', { class: 'reply-quote deleted', attrs }, '↪ a deleted message');
    return el('p', { class: 'reply-quote', attrs }, '↪ ', userText(quote.sender.username), ': ', el('span', { attrs: { dir: 'auto' } }, displayText(quote.text)));
  }

  /** Edit and Delete for one of my messages (the server enforces who may, and the edit window). */
  #menu(message: Message): HTMLElement {
    const menu = this.menu!;
    const edit = () => {
      const current = this.element.querySelector(`li[data-id="${CSS.escape(message.id)}"] .msg-text`)?.textContent ?? message.text;
      const text = window.prompt('Edit message', current);
      if (text !== null && text.trim() !== '' && text !== current) menu.edit(message.id, text);
    };
    const remove = () => {
      if (window.confirm('Delete this message for everyone?')) menu.delete(message.id);
    };
    return el(
      'span',
      { class: 'msg-actions' },
      ' ',
      el('button', { class: 'link small', attrs: { type: 'button', 'aria-label': 'Edit message' }, on: { click: edit } }, 'Edit'),
      ' ',
      el('button', { class: 'link small', attrs: { type: 'button', 'aria-label': 'Delete message' }, on: { click: remove } }, 'Delete'),
    );
  }

  #item(message: Message, continued: boolean): HTMLLIElement {
    const time = el('time', { attrs: { datetime: message.createdAt, title: fullTime(message.createdAt) } }, shortTime(message.createdAt));
    if (message.type !== 'text') {
      return el('li', { class: `notice ${message.type}`, attrs: { 'data-seq': message.seq } }, el('span', {}, userText(message.sender.username), ' ', noticeVerb(message)), ' ', time);
    }
    const mine = message.sender.id === this.#myId;
    const classes = ['msg', mine ? 'mine' : '', continued ? 'cont' : '', message.deleted ? 'deleted' : ''];
    const attrs: Record<string, string | number> = { 'data-seq': message.seq, 'data-id': message.id, 'data-sender': message.sender.id };
    // Kept on the element so an edit entry, which lists only the members it newly mentions, can add to them.
    if (message.mentions?.length) attrs['data-mentions'] = message.mentions.join(' ');
    if (message.deleted) {
      return el('li', { class: classes.filter(Boolean).join(' '), attrs }, el('div', { class: 'msg-head' }, el('span', { class: 'sender' }, userText(message.sender.username)), ' ', time), el('p', { class: 'msg-text' }, 'message deleted'));
    }
    return el(
      'li',
      { class: classes.filter(Boolean).join(' '), attrs },
      el(
        'div',
        { class: 'msg-head' },
        userNameButton(message.sender, this.#myId, 'sender'),
        ' ',
        time,
        message.editedAt ? el('span', { class: 'edited' }, ' (edited)') : null,
        mine && this.menu ? this.#menu(message) : null,
      ),
      message.replyTo ? this.#quote(message.replyTo) : null,
      // A blocked person's message in my direct conversation: the server withholds its text.
      message.hidden ? el('p', { class: 'msg-hidden' }, 'Hidden: you block this person.') : null,
      message.text !== '' ? el('p', { class: 'msg-text', attrs: { dir: 'auto' } }, ...withMentions(displayText(message.text), message.mentions?.length ? this.#myName : null)) : null,
      message.attachments?.length ? attachmentList(message.attachments, this.load) : null,
      this.menu?.react && !message.hidden ? reactionBar(message.id, message.reactions ?? [], (id, emoji, remove) => this.menu?.react?.(id, emoji, remove)) : null,
    );
  }
}
