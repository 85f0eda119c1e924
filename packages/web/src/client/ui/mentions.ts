import { el, type Child } from './dom.js';

const MENTION = /(@[A-Za-z0-9_.-]{3,32})/;

/**
 * A message's text with its `@username`s as highlighted spans (text nodes only). `myName`: the
 * message mentions someone (null: no highlighting); `@myName` gets the `me` class too.
 */
export function withMentions(text: string, myName: string | null): Child[] {
  if (myName === null || !text.includes('@')) return [text];
  const me = `@${myName}`.toLowerCase();
  return text.split(MENTION).map((part, i) => {
    if (i % 2 === 0) return part;
    const mine = myName !== '' && part.replace(/[.-]+$/, '').toLowerCase() === me.replace(/[.-]+$/, '');
    return el('span', { class: mine ? 'mention me' : 'mention' }, part);
  });
}

/** The room list's mention badge ("@ 2"), or nothing. */
export function mentionBadge(count: number | undefined): HTMLElement | null {
  if (!count) return null;
  return el('span', { class: 'badge mention-badge', attrs: { 'data-mentions': count, 'aria-label': `${count} mentions` } }, `@${count}`);
}
