import { open } from 'node:fs/promises';
import { fileTypeFromBuffer } from 'file-type';

/** Bytes read to detect a type (file-type's reasonable detection size). */
const SNIFF_BYTES = 4100;

/**
 * The content type of a stored upload, from its bytes, never from the client: binary
 * formats by their magic numbers (file-type); text by a look at its start, where anything
 * that a browser could render as markup (HTML, SVG, XML) is named so, so it is never served
 * inline. Unknown binary is application/octet-stream.
 */
export async function detectContentType(file: string): Promise<string> {
  const handle = await open(file, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;
  return textType(head) ?? 'application/octet-stream';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function textType(head: Buffer): string | undefined {
  if (head.length === 0) return 'text/plain';
  if (head.includes(0)) return undefined;
  let text: string;
  try {
    // The sniffed prefix may end inside a multi-byte character: allow up to 3 bytes short.
    text = decodePrefix(head);
  } catch {
    return undefined;
  }
  const start = text.replace(/^\uFEFF/, '').trimStart().slice(0, 1024).toLowerCase();
  if (/<svg[\s>]/.test(start)) return 'image/svg+xml';
  if (start.startsWith('<!doctype html') || /<(html|head|body|script|iframe|meta)[\s>]/.test(start)) return 'text/html';
  if (start.startsWith('<?xml')) return 'application/xml';
  if (start.startsWith('<')) return 'text/html';
  return 'text/plain';
}

function decodePrefix(head: Buffer): string {
  for (let cut = 0; cut < 4 && cut < head.length; cut++) {
    try {
      return utf8.decode(head.subarray(0, head.length - cut));
    } catch {
      // try a shorter prefix
    }
  }
  return utf8.decode(head);
}

/**
 * Types served inline: ones browsers render without running anything (images that are not
 * SVG, audio, video, plain text). Everything else is served as a download.
 */
const INLINE = /^(image\/(png|jpeg|gif|webp|avif|bmp)|video\/(mp4|webm|ogg|quicktime)|audio\/[a-z0-9.+-]+|text\/plain)$/;

export function isInlineSafe(contentType: string): boolean {
  return INLINE.test(contentType);
}

/** Whether `contentType` passes ATTACHMENT_ALLOWED_TYPES (empty list: everything; `image/*` wildcards). */
export function isAllowedType(contentType: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  return allowed.some((pattern) => (pattern.endsWith('/*') ? contentType.startsWith(pattern.slice(0, -1)) : contentType === pattern));
}
