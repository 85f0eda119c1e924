import { describeError } from '../api/api-error.js';
import type { SettingsPatch } from '../api/moderation-client.js';
import { isModerator, type RoomStanding } from '../state/room-standing.js';
import { el, field, replaceChildren } from './dom.js';
import { submitAction } from './form-action.js';

export interface RoomSettingsActions {
  update(patch: SettingsPatch): Promise<void>;
  /** Deletes the room for everyone (owner; asked to confirm first). */
  deleteRoom(): Promise<void>;
}

/** The settings part of the room panel: the owner's name, topic, announcement and delete; moderators' slow mode. */
export class RoomSettingsView {
  readonly element = el('div', { class: 'room-settings stack' });

  constructor(private readonly actions: RoomSettingsActions) {}

  render(standing: RoomStanding): void {
    const owner = standing.role === 'owner';
    replaceChildren(
      this.element,
      owner ? this.#textForm('Room name', 'name', standing.name, 'Rename') : null,
      owner ? this.#textForm('Topic', 'topic', standing.topic, 'Set topic') : null,
      owner ? this.#announcement(standing.announcement) : null,
      isModerator(standing.role) ? this.#slowMode(standing.slowModeSeconds) : null,
      owner ? this.#deleteRoom() : null,
      isModerator(standing.role) ? null : el('p', { class: 'hint' }, 'Only the owner and moderators change this room.'),
    );
  }

  #textForm(label: string, key: 'name' | 'topic', value: string, submit: string): HTMLFormElement {
    const input = el('input', { attrs: { name: key, value, autocomplete: 'off', maxlength: key === 'name' ? 100 : 250 } });
    const button = el('button', { class: 'secondary', attrs: { type: 'submit' } }, submit);
    const feedback = el('p', { class: 'form-error', attrs: { role: 'alert' } });
    return el(
      'form',
      { class: 'inline', attrs: { 'aria-label': label }, on: { submit: submitAction(button, feedback, () => this.actions.update({ [key]: input.value })) } },
      field(label, input),
      button,
      feedback,
    );
  }

  #announcement(on: boolean): HTMLElement {
    const box = el('input', { attrs: { type: 'checkbox', checked: on } });
    const feedback = el('p', { class: 'form-error', attrs: { role: 'alert' } });
    box.addEventListener('change', () => {
      feedback.textContent = '';
      box.disabled = true;
      this.actions
        .update({ announcement: box.checked })
        .catch((err: unknown) => {
          box.checked = !box.checked;
          feedback.textContent = describeError(err);
        })
        .finally(() => (box.disabled = false));
    });
    return el('div', {}, field('Announcement room (only moderators post)', box), feedback);
  }

  #slowMode(seconds: number): HTMLFormElement {
    const input = el('input', { attrs: { name: 'slowModeSeconds', type: 'number', min: 0, max: 3600, step: 1, value: seconds, inputmode: 'numeric' } });
    const button = el('button', { class: 'secondary', attrs: { type: 'submit' } }, 'Set slow mode');
    const feedback = el('p', { class: 'form-error', attrs: { role: 'alert' } });
    return el(
      'form',
      {
        class: 'inline',
        attrs: { 'aria-label': 'Slow mode' },
        on: { submit: submitAction(button, feedback, () => this.actions.update({ slowModeSeconds: Number(input.value || 0) })) },
      },
      field('Slow mode (seconds between messages, 0 = off)', input),
      button,
      feedback,
    );
  }

  #deleteRoom(): HTMLElement {
    const feedback = el('p', { class: 'form-error', attrs: { role: 'alert' } });
    const confirm = el('div', { class: 'inline confirm', attrs: { hidden: true } });
    const ask = el(
      'button',
      { class: 'danger small', attrs: { type: 'button' }, on: { click: () => ((confirm.hidden = false), (ask.hidden = true)) } },
      'Delete room…',
    );
    const yes = el('button', { class: 'danger small', attrs: { type: 'button' } }, 'Yes, delete this room and its history');
    const no = el('button', { class: 'secondary small', attrs: { type: 'button' }, on: { click: () => ((confirm.hidden = true), (ask.hidden = false)) } }, 'Cancel');
    yes.addEventListener('click', () => {
      yes.disabled = true;
      this.actions
        .deleteRoom()
        .catch((err: unknown) => (feedback.textContent = describeError(err)))
        .finally(() => (yes.disabled = false));
    });
    replaceChildren(confirm, el('p', {}, 'Everyone loses this room and all its messages. This cannot be undone.'), yes, no);
    return el('div', { class: 'danger-zone' }, ask, confirm, feedback);
  }
}
