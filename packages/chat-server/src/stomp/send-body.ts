import { badRequest, type SendContent } from '@chorus/core';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of a SEND to a room. `content-type: application/json` bodies must be
 * `{"text": "..."}`; `text/plain` bodies are the text. Without a content-type
 * (stompjs sets none by default) a body that is a JSON object with a string
 * `text` is read as JSON, anything else as plain text.
 */
export function readSendText(body: Buffer, contentType: string | undefined): string {
  const content = readSendBody(body, contentType);
  if (typeof content !== 'string') throw badRequest('attachments are not allowed here');
  return content;
}

/**
 * What a SEND to a room carries: its text, or, for a JSON body with `attachments`
 * (`{"text"?: "...", "attachments": ["<id>", ...]}`), the text with the attachment ids.
 */
export function readSendBody(body: Buffer, contentType: string | undefined): string | SendContent {
  let raw: string;
  try {
    raw = utf8.decode(body);
  } catch {
    throw badRequest('body is not valid UTF-8');
  }
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') {
    const text = parseJsonText(raw);
    if (text === undefined) throw badRequest('body must be a JSON object with a string "text" and/or "attachments"');
    return text;
  }
  if (type === undefined || type === '') {
    if (raw.startsWith('{')) {
      const text = parseJsonText(raw);
      if (text !== undefined) return text;
    }
    return raw;
  }
  if (type.startsWith('text/')) return raw;
  throw badRequest(`unsupported content-type ${type}: use application/json or text/plain`);
}

function parseJsonText(raw: string): string | SendContent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { text, attachments, replyTo } = value as { text?: unknown; attachments?: unknown; replyTo?: unknown };
  if (attachments !== undefined) {
    if (text !== undefined && typeof text !== 'string') return undefined;
    return { text: text ?? '', attachments, ...(replyTo !== undefined ? { replyTo } : {}) };
  }
  // A reply: ChatService checks the id (pipelined batching refuses it, so it takes the ordinary path).
  if (replyTo !== undefined) return typeof text === 'string' ? { text, replyTo } : undefined;
  return typeof text === 'string' ? text : undefined;
}

/** The JSON body of a SEND to /app/rooms/<id>/edit (`{"messageId","text"}`) or /delete (`{"messageId"}`). */
export function readLifecycleBody(body: Buffer, withText: boolean): { messageId: unknown; text: unknown } {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof (value as { messageId?: unknown }).messageId !== 'string') {
    throw badRequest(withText ? 'body must be JSON {"messageId": "<id>", "text": "..."}' : 'body must be JSON {"messageId": "<id>"}');
  }
  const { messageId, text } = value as { messageId: unknown; text?: unknown };
  return { messageId, text };
}

/** The JSON body of a SEND to /app/rooms/<id>/react: `{"messageId","emoji","remove"?: boolean}`. */
export function readReactionBody(body: Buffer): { messageId: unknown; emoji: unknown; remove: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch {
    value = undefined;
  }
  const v = value as { messageId?: unknown; emoji?: unknown; remove?: unknown } | null;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof v.messageId !== 'string' || typeof v.emoji !== 'string' || (v.remove !== undefined && typeof v.remove !== 'boolean')) {
    throw badRequest('body must be JSON {"messageId": "<id>", "emoji": "<one emoji>", "remove"?: true|false}');
  }
  return { messageId: v.messageId, emoji: v.emoji, remove: v.remove === true };
}
