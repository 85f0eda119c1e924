import { el, field } from './dom.js';
import { submitAction } from './form-action.js';

export interface AccountActions {
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  logoutEverywhere(): Promise<void>;
  deleteAccount(password: string): Promise<void>;
}

/**
 * The account menu's actions: change password, log out everywhere, delete the account
 * (confirmed by the password). Each is a small form; failures show beside it.
 */
export class AccountView {
  readonly element: HTMLElement;

  constructor(actions: AccountActions) {
    this.element = el('div', { class: 'account-actions stack' }, this.#passwordForm(actions), this.#logoutAllForm(actions), this.#deleteForm(actions));
  }

  #passwordForm(actions: AccountActions): HTMLElement {
    const current = el('input', { attrs: { name: 'current-password', type: 'password', autocomplete: 'current-password', required: true } });
    const next = el('input', { attrs: { name: 'new-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 256 } });
    return this.#form('Change password', 'Change password', [field('Current password', current), field('New password', next, 'At least 8 characters. Your other sessions are logged out.')], async () => {
      await actions.changePassword(current.value, next.value);
      current.value = '';
      next.value = '';
    });
  }

  #logoutAllForm(actions: AccountActions): HTMLElement {
    return this.#form('Log out everywhere', 'Log out everywhere', [el('p', { class: 'hint' }, 'Signs out every browser and device, this one included.')], () => actions.logoutEverywhere());
  }

  #deleteForm(actions: AccountActions): HTMLElement {
    const password = el('input', { attrs: { name: 'delete-password', type: 'password', autocomplete: 'current-password', required: true } });
    return this.#form(
      'Delete account',
      'Delete my account',
      [el('p', { class: 'hint' }, 'Your messages stay in their rooms as “deleted user”. This cannot be undone.'), field('Confirm with your password', password)],
      () => actions.deleteAccount(password.value),
      'danger',
    );
  }

  #form(title: string, submitLabel: string, fields: HTMLElement[], action: () => Promise<void>, buttonClass = 'secondary'): HTMLElement {
    const button = el('button', { class: `${buttonClass} small`, attrs: { type: 'submit' } }, submitLabel);
    const feedback = el('p', { class: 'error', attrs: { role: 'alert' } });
    const form = el('form', { class: 'stack', attrs: { 'aria-label': title } }, ...fields, button, feedback);
    form.addEventListener('submit', submitAction(button, feedback, action));
    return form;
  }
}
