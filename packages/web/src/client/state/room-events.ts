import type { MessageSender } from '../api/types.js';

/** A change to a room's online list, read from whatever shape the server sends. */
export type PresenceChange =
  | { kind: 'snapshot'; online: MessageSender[] }
  | { kind: 'online' | 'offline'; user: MessageSender };

/** Accepts `{online:[users]}` snapshots and `{type|event|status, user}` or `{userId, username, online}` deltas. */
export function parsePresence(body: unknown): PresenceChange | null {
  if (!isRecord(body)) return null;
  if (Array.isArray(body.online)) {
    return { kind: 'snapshot', online: body.online.map(toUser).filter((u): u is MessageSender => u !== null) };
  }
  const user = toUser(body.user) ?? toUser(body);
  if (!user) return null;
  const word = [body.type, body.event, body.status, body.state].find((v) => typeof v === 'string');
  if (typeof body.online === 'boolean') return { kind: body.online ? 'online' : 'offline', user };
  if (typeof word !== 'string') return null;
  if (/^(online|join|joined|connect|connected|enter|present)$/i.test(word)) return { kind: 'online', user };
  if (/^(offline|leave|left|disconnect|disconnected|exit|absent)$/i.test(word)) return { kind: 'offline', user };
  return null;
}

export interface TypingSignal {
  user: MessageSender;
  typing: boolean;
}

/** Accepts `{user:{id,username}, typing?}`, `{sender:{...}}` or `{userId, username, typing?}`. */
export function parseTyping(body: unknown): TypingSignal | null {
  if (!isRecord(body)) return null;
  const user = toUser(body.user) ?? toUser(body.sender) ?? toUser(body);
  if (!user) return null;
  return { user, typing: body.typing !== false };
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
  const id = value.id ?? value.userId;
  const username = value.username ?? value.name;
  if (typeof id !== 'string' || typeof username !== 'string') return null;
  return { id, username };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
