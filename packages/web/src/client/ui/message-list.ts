import type { Message } from '../api/types.js';
import { attachmentList, type BlobLoader } from './attachment-view.js';
import { el, userText } from './dom.js';
import { continuesGroup, dayLabel, displayText, fullTime, noticeVerb, sameDay, shortTime } from './format.js';

/**
 * Renders a room's messages into an <ol>. Every piece of user text goes in via
 * text nodes (see dom.ts), so a message like `<script>` shows up as exactly that.
 */
export class MessageList {
  readonly element = el('ol', { class: 'messages' });
  #last: Message | undefined;
  #myId = '';

  /** `load` fetches attachments (authenticated) for display. */
  constructor(private readonly load: BlobLoader = () => Promise.reject(new Error('attachments are not available'))) {}

  reset(myId: string, messages: readonly Message[]): void {
    this.#myId = myId;
    this.#last = undefined;
    this.element.replaceChildren();
    this.append(messages);
  }

  append(messages: readonly Message[]): void {
    for (const message of messages) {
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

  #item(message: Message, continued: boolean): HTMLLIElement {
    const time = el('time', { attrs: { datetime: message.createdAt, title: fullTime(message.createdAt) } }, shortTime(message.createdAt));
    if (message.type !== 'text') {
      return el('li', { class: `notice ${message.type}`, attrs: { 'data-seq': message.seq } }, el('span', {}, userText(message.sender.username), ' ', noticeVerb(message)), ' ', time);
    }
    const mine = message.sender.id === this.#myId;
    return el(
      'li',
      { class: ['msg', mine ? 'mine' : '', continued ? 'cont' : ''].filter(Boolean).join(' '), attrs: { 'data-seq': message.seq } },
      el('div', { class: 'msg-head' }, el('span', { class: 'sender' }, userText(message.sender.username)), ' ', time),
      message.text !== '' ? el('p', { class: 'msg-text', attrs: { dir: 'auto' } }, displayText(message.text)) : null,
      message.attachments?.length ? attachmentList(message.attachments, this.load) : null,
    );
  }
}
