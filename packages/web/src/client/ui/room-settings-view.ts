import { describeError } from '../api/api-error.js';
import type { SettingsPatch } from '../api/moderation-client.js';
import { isModerator, type RoomRole, type RoomStanding } from '../state/room-standing.js';
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

  /** The room and role the forms were built for: a redraw with either changed builds them anew. */
  #builtFor: string | null = null;
  #fields: { name?: ShownValue; topic?: ShownValue; slowMode?: ShownValue; announcement?: HTMLInputElement } = {};

  constructor(private readonly actions: RoomSettingsActions) {}

  /**
   * Shows `standing`. The forms are built once per room and role and then updated in place: this
   * runs on every settings event and standing reread (each unread push triggers one), and a
   * rebuild would throw away what the owner is typing, with its focus and any error shown.
   */
  render(standing: RoomStanding): void {
    const key = `${standing.roomId}\u0000${standing.role}`;
    if (key !== this.#builtFor) {
      this.#builtFor = key;
      this.#build(standing.role);
    }
    const { name, topic, slowMode, announcement } = this.#fields;
    name?.show(standing.name);
    topic?.show(standing.topic);
    slowMode?.show(String(standing.slowModeSeconds));
    // While a change is in flight the box shows the user's choice; its answer renders again.
    if (announcement && !announcement.disabled) announcement.checked = standing.announcement;
  }

  #build(role: RoomRole | null): void {
    const owner = role === 'owner';
    const moderator = isModerator(role);
    const name = owner ? this.#textForm('Room name', 'name', 'Rename') : null;
    const topic = owner ? this.#textForm('Topic', 'topic', 'Set topic') : null;
    const announcement = owner ? this.#announcement() : null;
    const slowMode = moderator ? this.#slowMode() : null;
    this.#fields = { name: name?.value, topic: topic?.value, slowMode: slowMode?.value, announcement: announcement?.box };
    replaceChildren(
      this.element,
      name?.form,
      topic?.form,
      announcement?.element,
      slowMode?.form,
      owner ? this.#deleteRoom() : null,
      moderator ? null : el('p', { class: 'hint' }, 'Only the owner and moderators change this room.'),
    );
  }

  #textForm(label: string, key: 'name' | 'topic', submit: string): { form: HTMLFormElement; value: ShownValue } {
    const input = el('input', { attrs: { name: key, autocomplete: 'off', maxlength: key === 'name' ? 100 : 250 } });
    const value = new ShownValue(input);
    const button = el('button', { class: 'secondary', attrs: { type: 'submit' } }, submit);
    const feedback = el('p', { class: 'form-error', attrs: { role: 'alert' } });
    const form = el(
      'form',
      { class: 'inline', attrs: { 'aria-label': label }, on: { submit: submitAction(button, feedback, () => this.actions.update({ [key]: value.sent() })) } },
      field(label, input),
      button,
      feedback,
    );
    return { form, value };
  }

  #announcement(): { element: HTMLElement; box: HTMLInputElement } {
    const box = el('input', { attrs: { type: 'checkbox' } });
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
    return { element: el('div', {}, field('Announcement room (only moderators post)', box), feedback), box };
  }

  #slowMode(): { form: HTMLFormElement; value: ShownValue } {
    const input = el('input', { attrs: { name: 'slowModeSeconds', type: 'number', min: 0, max: 3600, step: 1, inputmode: 'numeric' } });
    const value = new ShownValue(input);
    const button = el('button', { class: 'secondary', attrs: { type: 'submit' } }, 'Set slow mode');
    const feedback = el('p', { class: 'form-error', attrs: { role: 'alert' } });
    const form = el(
      'form',
      {
        class: 'inline',
        attrs: { 'aria-label': 'Slow mode' },
        on: { submit: submitAction(button, feedback, () => this.actions.update({ slowModeSeconds: Number(value.sent() || 0) })) },
      },
      field('Slow mode (seconds between messages, 0 = off)', input),
      button,
      feedback,
    );
    return { form, value };
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

/**
 * An input showing a value the server holds. A new value replaces what the field shows only while
 * the user has not edited it since the last one was shown; an edit in progress is kept.
 */
class ShownValue {
  #shown = '';

  constructor(private readonly input: HTMLInputElement) {}

  show(value: string): void {
    if (this.input.value === this.#shown) this.input.value = value;
    this.#shown = value;
  }

  /**
   * The field's text, submitted: no longer an edit to keep, so the answer's value (trimmed or
   * normalised by the server) replaces it.
   */
  sent(): string {
    this.#shown = this.input.value;
    return this.#shown;
  }
}
