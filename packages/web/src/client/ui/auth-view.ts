import { describeError } from '../api/api-error.js';
import { el, field, replaceChildren } from './dom.js';

export interface AuthActions {
  login(login: string, password: string): Promise<void>;
  signup(username: string, email: string, password: string): Promise<void>;
}

type Mode = 'login' | 'signup';

/** The signed-out screen: a log-in form and a sign-up form, one shown at a time. */
export class AuthView {
  readonly element: HTMLElement;
  readonly #actions: AuthActions;
  readonly #card = el('div', { class: 'card auth-card' });
  #notice: string | null = null;

  constructor(actions: AuthActions) {
    this.#actions = actions;
    this.element = el(
      'section',
      { class: 'auth', attrs: { 'aria-labelledby': 'auth-title' } },
      el('div', { class: 'auth-intro' },
        el('h2', { attrs: { id: 'auth-title' } }, 'Welcome to Chorus'),
        el('p', {}, 'Real-time rooms over STOMP. Sign up, create a room, share its ID, chat.'),
      ),
      this.#card,
    );
    this.show('login');
  }

  /** Shows a message above the form (e.g. "your session expired"). */
  setNotice(text: string | null): void {
    this.#notice = text;
    this.show('login');
  }

  show(mode: Mode): void {
    replaceChildren(this.#card, mode === 'login' ? this.#loginForm() : this.#signupForm());
    this.#card.querySelector('input')?.focus();
  }

  #loginForm(): HTMLFormElement {
    const login = el('input', {
      attrs: { name: 'login', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' },
    });
    const password = el('input', {
      attrs: { name: 'password', type: 'password', autocomplete: 'current-password', required: true },
    });
    return this.#form('login', 'Log in', [field('Username or email', login), field('Password', password)], () =>
      this.#actions.login(login.value.trim(), password.value),
    );
  }

  #signupForm(): HTMLFormElement {
    const username = el('input', {
      attrs: {
        name: 'username',
        autocomplete: 'username',
        required: true,
        minlength: 3,
        maxlength: 32,
        pattern: '[A-Za-z0-9_.\\-]+',
        autocapitalize: 'none',
        spellcheck: 'false',
      },
    });
    const email = el('input', { attrs: { name: 'email', type: 'email', autocomplete: 'email', required: true } });
    const password = el('input', {
      attrs: { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 },
    });
    return this.#form(
      'signup',
      'Sign up',
      [
        field('Username', username, '3 to 32 letters, digits, dots, dashes or underscores.'),
        field('Email', email),
        field('Password', password, 'At least 8 characters.'),
      ],
      () => this.#actions.signup(username.value.trim(), email.value.trim(), password.value),
    );
  }

  #form(mode: Mode, title: string, fields: HTMLElement[], submit: () => Promise<void>): HTMLFormElement {
    const error = el('p', { class: 'form-error', attrs: { role: 'alert' } });
    const button = el('button', { class: 'primary', attrs: { type: 'submit' } }, title);
    const other: Mode = mode === 'login' ? 'signup' : 'login';
    const form = el(
      'form',
      {
        class: 'stack',
        attrs: { 'aria-label': title },
        on: {
          submit: (event) => {
            event.preventDefault();
            error.textContent = '';
            button.disabled = true;
            submit()
              .catch((err: unknown) => (error.textContent = describeError(err)))
              .finally(() => (button.disabled = false));
          },
        },
      },
      el('h3', {}, title),
      this.#notice && mode === 'login' ? el('p', { class: 'info-note', attrs: { role: 'status' } }, this.#notice) : null,
      ...fields,
      error,
      button,
      el(
        'p',
        { class: 'switch' },
        mode === 'login' ? 'New here? ' : 'Already have an account? ',
        el(
          'button',
          { class: 'link', attrs: { type: 'button' }, on: { click: () => this.show(other) } },
          mode === 'login' ? 'Create an account' : 'Log in instead',
        ),
      ),
    );
    return form;
  }
}
