import type { Message } from '../api/types.js';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });

export function shortTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : timeFormat.format(date);
}

export function fullTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : fullFormat.format(date);
}

export function dayLabel(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : dayFormat.format(date);
}

export function sameDay(a: string, b: string): boolean {
  return new Date(a).toDateString() === new Date(b).toDateString();
}

/**
 * Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069). In user
 * text they can reverse how the rest of a line renders (a name or message that "reads" as
 * something else). Display drops them; every piece of user text is also isolated (<bdi>), so
 * whatever direction it has cannot reorder what surrounds it.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

export function displayText(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

/** The verb of a join or leave notice (the name is rendered apart, isolated). */
export function noticeVerb(message: Message): string {
  return message.type === 'join' ? 'joined the room' : 'left the room';
}


/** Whether `message` continues `previous`'s group (same sender, text, within five minutes). */
export function continuesGroup(previous: Message | undefined, message: Message): boolean {
  if (!previous || previous.type !== 'text' || message.type !== 'text') return false;
  if (previous.sender.id !== message.sender.id) return false;
  return new Date(message.createdAt).getTime() - new Date(previous.createdAt).getTime() < 5 * 60_000;
}

export function typingText(names: readonly string[]): string {
  if (names.length === 0) return '';
  // Typing names land in a plain text node, so their bidi controls are dropped here.
  const [a, b] = names.map(displayText);
  if (names.length === 1) return `${a} is typing…`;
  if (names.length === 2) return `${a} and ${b} are typing…`;
  return 'Several people are typing…';
}
