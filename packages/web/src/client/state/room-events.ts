import type { PresenceEvent, TypingEvent } from '@chorus/protocol';
import type { MessageSender } from '../api/types.js';

/** A change to a room's online list: a REST snapshot, or a STOMP presence event. */
export type PresenceChange =
  | { kind: 'snapshot'; online: MessageSender[] }
  | { kind: 'online' | 'offline'; user: MessageSender };

/** Reads a `/topic/rooms/<id>/presence` body (a PresenceEvent), or null. */
export function parsePresence(body: unknown): PresenceChange | null {
  if (!isRecord(body) || body.type !== ('presence' satisfies PresenceEvent['type']) || typeof body.online !== 'boolean') return null;
  const user = toUser(body.user);
  return user && { kind: body.online ? 'online' : 'offline', user };
}

export interface TypingSignal {
  user: MessageSender;
  typing: boolean;
}

/** Reads a `/topic/rooms/<id>/typing` body (a TypingEvent), or null. */
export function parseTyping(body: unknown): TypingSignal | null {
  if (!isRecord(body) || body.type !== ('typing' satisfies TypingEvent['type'])) return null;
  const user = toUser(body.user);
  return user && { user, typing: true };
}

/** Applies a presence change to an online list (kept sorted by name). */
export function applyPresence(online: readonly MessageSender[], change: PresenceChange): MessageSender[] {
  let next: MessageSender[];
  if (change.kind === 'snapshot') next = [...change.online];
  else {
    next = online.filter((u) => u.id !== change.user.id);
    if (change.kind === 'online') next.push(change.user);
  }
  const unique = new Map(next.map((u) => [u.id, u]));
  return [...unique.values()].sort((a, b) => a.username.localeCompare(b.username));
}

function toUser(value: unknown): MessageSender | null {
  if (!isRecord(value)) return null;
  const { id, username } = value;
  if (typeof id !== 'string' || typeof username !== 'string') return null;
  return { id, username };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
