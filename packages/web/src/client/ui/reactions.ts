import type { Message } from '../api/types.js';
import { el } from './dom.js';

/** The picker's fixed set (the server accepts any single emoji). */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'] as const;

export type ReactionToggle = (messageId: string, emoji: string, remove: boolean) => void;
type Reactions = NonNullable<Message['reactions']>;

/**
 * A message's reactions as toggle chips (emoji and count; pressed when mine) plus a small picker.
 * The change itself arrives live as a `reaction` entry (applyReactionEntry).
 */
export function reactionBar(messageId: string, reactions: Reactions, toggle: ReactionToggle): HTMLElement {
  const chips = reactions.map((r) =>
    el(
      'button',
      {
        class: `reaction-chip${r.mine ? ' mine' : ''}`,
        attrs: { type: 'button', 'data-emoji': r.emoji, 'data-count': r.count, 'aria-pressed': r.mine ? 'true' : 'false', 'aria-label': `${r.emoji} ${r.count}` },
        on: { click: () => toggle(messageId, r.emoji, r.mine === true) },
      },
      `${r.emoji} ${r.count}`,
    ),
  );
  const picker = el(
    'span',
    { class: 'reaction-picker', attrs: { hidden: true } },
    ...QUICK_REACTIONS.map((emoji) =>
      el('button', { class: 'link small', attrs: { type: 'button', 'aria-label': `React ${emoji}` }, on: { click: () => toggle(messageId, emoji, reactions.some((r) => r.emoji === emoji && r.mine)) } }, emoji),
    ),
  );
  const open = el('button', { class: 'link small reaction-add', attrs: { type: 'button', 'aria-label': 'Add reaction' }, on: { click: () => (picker.hidden = !picker.hidden) } }, '☺+');
  return el('div', { class: 'reactions', attrs: { 'data-message': messageId } }, ...chips, open, picker);
}

/** The reactions a bar shows (mine as rendered). */
function shown(bar: Element | null): Reactions {
  if (!bar) return [];
  return [...bar.querySelectorAll<HTMLElement>('.reaction-chip')].map((chip) => ({
    emoji: chip.dataset['emoji'] ?? '',
    count: Number(chip.dataset['count']),
    ...(chip.classList.contains('mine') ? { mine: true as const } : {}),
  }));
}

/**
 * Applies a `reaction` entry to its message, if rendered: the entry's aggregate replaces the
 * counts; `mine` is kept from what was shown, changed only by my own entries.
 */
export function applyReactionEntry(list: HTMLElement, entry: Message, myId: string, toggle: ReactionToggle): void {
  if (!entry.targetId || !entry.reactions) return;
  const item = list.querySelector<HTMLElement>(`li[data-id="${CSS.escape(entry.targetId)}"]`);
  if (!item || item.classList.contains('deleted')) return;
  const current = item.querySelector('.reactions');
  const mine = new Set(shown(current).filter((r) => r.mine).map((r) => r.emoji));
  if (entry.sender.id === myId && entry.reaction) {
    if (entry.reaction.removed) mine.delete(entry.reaction.emoji);
    else mine.add(entry.reaction.emoji);
  }
  const next = reactionBar(entry.targetId, entry.reactions.map((r) => (mine.has(r.emoji) ? { ...r, mine: true as const } : { emoji: r.emoji, count: r.count })), toggle);
  if (current) current.replaceWith(next);
  else item.appendChild(next);
}
