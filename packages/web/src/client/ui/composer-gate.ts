import { el } from './dom.js';
import { shortTime } from './format.js';

/**
 * Opens and closes the composer for moderation: a standing block (announcement room, timeout)
 * with its note, and the slow-mode countdown after a send or a `rate_limited` refusal. While
 * either holds, the message box and the send button are disabled.
 */
export class ComposerGate {
  readonly note = el('p', { class: 'composer-note', attrs: { role: 'status', hidden: true } });
  #block: { note: string; until: number | null } | null = null;
  /** Shown while the composer is open (e.g. that slow mode is on). */
  #hint = '';
  #cooldownUntil = 0;
  #timer: ReturnType<typeof setInterval> | null = null;
  #refocus: HTMLElement | null = null;

  constructor(private readonly controls: readonly (HTMLTextAreaElement | HTMLButtonElement)[]) {}

  get closed(): boolean {
    return this.#blocked() || this.#cooldownLeft() > 0;
  }

  /** A block that lasts until lifted (until: null) or until an instant (epoch ms). */
  setBlock(block: { note: string; until: number | null } | null): void {
    this.#block = block;
    this.#render();
  }

  setHint(hint: string): void {
    this.#hint = hint;
    this.#render();
  }

  /** No sending for `seconds` from now (never shortens a running countdown). */
  cooldown(seconds: number): void {
    if (!(seconds > 0)) return;
    this.#cooldownUntil = Math.max(this.#cooldownUntil, Date.now() + seconds * 1000);
    this.#render();
  }

  /** Slow mode went off: no countdown left to wait. */
  clearCooldown(): void {
    this.#cooldownUntil = 0;
    this.#render();
  }

  /** A different room: nothing carries over. */
  reset(): void {
    this.#block = null;
    this.#hint = '';
    this.#cooldownUntil = 0;
    this.#render();
  }

  #blocked(): boolean {
    return this.#block !== null && (this.#block.until === null || this.#block.until > Date.now());
  }

  #cooldownLeft(): number {
    return Math.max(0, Math.ceil((this.#cooldownUntil - Date.now()) / 1000));
  }

  #render(): void {
    const blocked = this.#blocked();
    const left = this.#cooldownLeft();
    let text = '';
    if (blocked) {
      const until = this.#block!.until;
      text = until === null ? this.#block!.note : `${this.#block!.note} until ${shortTime(new Date(until).toISOString())}`;
    } else if (left > 0) {
      text = `Slow mode: you can send again in ${left}s`;
    }
    const closed = text !== '';
    // A disabled control loses focus: give it back when the composer opens again.
    if (closed && this.controls.some((control) => control === document.activeElement)) this.#refocus = this.controls[0] ?? null;
    for (const control of this.controls) control.disabled = closed;
    if (!closed && this.#refocus) {
      this.#refocus.focus();
      this.#refocus = null;
    }
    this.note.textContent = closed ? text : this.#hint;
    this.note.hidden = this.note.textContent === '';
    const ticking = closed && (left > 0 || this.#block?.until != null);
    if (ticking && this.#timer === null) this.#timer = setInterval(() => this.#render(), 1000);
    if (!ticking && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }
}
