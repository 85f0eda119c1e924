import { describeError } from '../api/api-error.js';
import type { RoomBan } from '../state/room-standing.js';
import { el, replaceChildren, userText } from './dom.js';
import { fullTime } from './format.js';

/** The room's bans, newest first, each with an Unban button (moderators). */
export class BansView {
  readonly element = el('ul', { class: 'ban-list', attrs: { 'aria-label': 'Banned users' } });
  readonly feedback = el('p', { class: 'form-error', attrs: { role: 'alert' } });

  constructor(private readonly unban: (ban: RoomBan) => Promise<void>) {}

  render(bans: readonly RoomBan[]): void {
    if (bans.length === 0) return replaceChildren(this.element, el('li', { class: 'hint' }, 'Nobody is banned.'));
    replaceChildren(this.element, ...bans.map((ban) => this.#item(ban)));
  }

  #item(ban: RoomBan): HTMLLIElement {
    const button = el('button', { class: 'secondary small', attrs: { type: 'button', 'aria-label': `Unban ${ban.username}` } }, 'Unban');
    button.addEventListener('click', () => {
      this.feedback.textContent = '';
      button.disabled = true;
      this.unban(ban)
        .catch((err: unknown) => (this.feedback.textContent = describeError(err)))
        .finally(() => (button.disabled = false));
    });
    return el('li', {}, userText(ban.username), el('span', { class: 'meta' }, ` since ${fullTime(ban.createdAt)} `), button);
  }
}
