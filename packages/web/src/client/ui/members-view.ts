import { describeError } from '../api/api-error.js';
import { memberActions, type MemberAction, type RoomMember, type RoomRole } from '../state/room-standing.js';
import { el, field, replaceChildren, userText } from './dom.js';

export interface MemberActions {
  act(action: Exclude<MemberAction, 'timeout'>, member: RoomMember): Promise<void>;
  timeout(member: RoomMember, minutes: number): Promise<void>;
}

const LABELS: Record<Exclude<MemberAction, 'timeout'>, string> = {
  promote: 'Make moderator',
  demote: 'Remove moderator',
  transfer: 'Transfer ownership',
  kick: 'Kick',
  ban: 'Ban',
};

/** The room's members with their roles, and a menu of what I may do to each (by room-rules). */
export class MembersView {
  readonly element = el('ul', { class: 'member-list', attrs: { 'aria-label': 'Members' } });
  readonly feedback = el('p', { class: 'form-error', attrs: { role: 'alert' } });
  /** The member whose menu is open: it stays open when the list is drawn again after an action. */
  #openUserId: string | null = null;
  /**
   * Minutes typed into each member's timeout field. The list is drawn anew after every action and
   * panel refresh; without this a redraw between typing and submitting would put the default back,
   * and "0" (lift) typed just before would submit as a 10-minute timeout.
   */
  readonly #typedMinutes = new Map<string, string>();

  constructor(private readonly actions: MemberActions) {}

  render(members: readonly RoomMember[], myRole: RoomRole | null, meId: string): void {
    replaceChildren(this.element, ...members.map((member) => this.#item(member, memberActions(myRole, meId, member))));
  }

  #item(member: RoomMember, allowed: MemberAction[]): HTMLLIElement {
    const name = el('span', { class: 'member-name' }, userText(member.username), member.role === 'member' ? null : el('span', { class: 'role-badge' }, ` ${member.role}`));
    if (allowed.length === 0) return el('li', { attrs: { 'data-user-id': member.userId } }, name);
    const menu = el('div', { class: 'member-menu stack' });
    for (const action of allowed) {
      if (action === 'timeout') menu.append(this.#timeoutForm(member));
      else menu.append(this.#button(LABELS[action], () => this.actions.act(action, member), action === 'kick' || action === 'ban' || action === 'transfer'));
    }
    const summary = el('summary', {}, name);
    const details = el('details', { attrs: { open: this.#openUserId === member.userId } }, summary, menu);
    // On click, not on the (later, asynchronous) toggle event: a redraw in between keeps the menu open.
    summary.addEventListener('click', () => (this.#openUserId = details.open ? null : member.userId));
    return el('li', { attrs: { 'data-user-id': member.userId } }, details);
  }

  #button(label: string, run: () => Promise<void>, danger: boolean): HTMLButtonElement {
    const button = el('button', { class: danger ? 'danger small' : 'secondary small', attrs: { type: 'button' } }, label);
    button.addEventListener('click', () => this.#run(button, run));
    return button;
  }

  #timeoutForm(member: RoomMember): HTMLFormElement {
    const typed = this.#typedMinutes.get(member.userId) ?? '10';
    const minutes = el('input', { attrs: { type: 'number', min: 0, max: 10080, step: 1, value: typed, inputmode: 'numeric' } });
    minutes.addEventListener('input', () => this.#typedMinutes.set(member.userId, minutes.value));
    const button = el('button', { class: 'secondary small', attrs: { type: 'submit' } }, 'Time out');
    return el(
      'form',
      {
        class: 'inline',
        attrs: { 'aria-label': `Time out ${member.username}` },
        on: {
          submit: (event) => {
            event.preventDefault();
            this.#run(button, () => this.actions.timeout(member, Number(minutes.value)));
          },
        },
      },
      field('Minutes (0 lifts a timeout)', minutes),
      button,
    );
  }

  #run(button: HTMLButtonElement, run: () => Promise<void>): void {
    this.feedback.textContent = '';
    button.disabled = true;
    run()
      .catch((err: unknown) => (this.feedback.textContent = describeError(err)))
      .finally(() => (button.disabled = false));
  }
}
