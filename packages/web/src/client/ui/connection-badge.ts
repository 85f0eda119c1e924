import type { ConnectionState } from '../realtime/connection.js';
import { el } from './dom.js';

const TRANSPORT_NAMES = { websocket: 'WebSocket', sockjs: 'SockJS' } as const;

/** The always-visible connection indicator, with a countdown and "Reconnect now" while down. */
export class ConnectionBadge {
  readonly element: HTMLElement;
  readonly #text = document.createTextNode('');
  readonly #transport = el('span', { class: 'transport' });
  readonly #retry: HTMLButtonElement;
  #state: ConnectionState | null = null;
  #online = navigator.onLine;
  #ticker: ReturnType<typeof setInterval> | null = null;

  constructor(reconnectNow: () => void) {
    this.#retry = el('button', { class: 'link small', attrs: { type: 'button', hidden: true }, on: { click: reconnectNow } }, 'Reconnect now');
    this.element = el(
      'div',
      { class: 'connection', attrs: { role: 'status', 'aria-live': 'polite', 'data-state': 'stopped' } },
      el('span', { class: 'dot', attrs: { 'aria-hidden': 'true' } }),
      el('span', { class: 'connection-text' }, this.#text, this.#transport),
      this.#retry,
    );
    window.addEventListener('online', () => this.#setOnline(true));
    window.addEventListener('offline', () => this.#setOnline(false));
  }

  update(state: ConnectionState): void {
    this.#state = state;
    this.#render();
    const counting = state.retryAt !== null;
    if (counting && this.#ticker === null) this.#ticker = setInterval(() => this.#render(), 1000);
    if (!counting && this.#ticker !== null) {
      clearInterval(this.#ticker);
      this.#ticker = null;
    }
  }

  #setOnline(online: boolean): void {
    this.#online = online;
    this.#render();
  }

  #render(): void {
    const state = this.#state;
    if (!state) return;
    this.element.dataset.state = state.status;
    this.element.dataset.transport = state.transport;
    const transport = TRANSPORT_NAMES[state.transport];
    let text: string;
    let via = '';
    switch (state.status) {
      case 'connected':
        text = 'Connected';
        via = ` · ${transport}`;
        break;
      case 'stopped':
        text = state.lastError ? `Disconnected: ${state.lastError}` : 'Disconnected';
        break;
      default: {
        const verb = state.status === 'connecting' ? 'Connecting' : 'Reconnecting';
        if (!this.#online) text = 'Offline · waiting for the network';
        else if (state.retryAt === null) {
          text = `${verb}…`;
          via = ` · ${transport}`;
        } else text = `${verb} in ${Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000))}s`;
      }
    }
    this.#transport.textContent = via;
    this.#text.data = text;
    this.element.title = state.lastError ? `Last error: ${state.lastError}` : '';
    this.#retry.hidden = state.retryAt === null;
  }
}
