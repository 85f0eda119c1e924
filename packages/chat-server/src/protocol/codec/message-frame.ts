import { StompEncodeError } from './errors.js';
import { assembleFrame, encodeHead, encodeHeaderLine } from './encoder.js';
import { escapeHeader } from './escape.js';

/** Headers PreparedMessage sets itself; extraHeaders may not repeat them. */
const RESERVED = new Set(['destination', 'message-id', 'subscription', 'content-type', 'content-length']);

/** Subscription ids cached per message; clients reuse a handful ('sub-0', 'sub-1'…). */
const MAX_CACHED_IDS = 32;

/**
 * A MESSAGE frame prepared once per process for one broker payload; only the `subscription`
 * header differs per client. The frame is split around that header into two byte blocks,
 * so each subscription costs one escape check and one copy.
 *
 * forSubscription(id) is byte-identical to
 * `encodeFrame('MESSAGE', PreparedMessage.headers(destination, messageId, id, extraHeaders), body)`.
 */
export class PreparedMessage {
  private readonly prefix: Buffer;
  private readonly suffix: Buffer;
  private readonly cache = new Map<string, Buffer>();

  constructor(destination: string, messageId: string, body: string /* JSON, content-type application/json */, extraHeaders?: Record<string, string>) {
    const extra = extraHeaders ? Object.entries(extraHeaders) : [];
    for (const [name] of extra) {
      if (RESERVED.has(name)) throw new StompEncodeError(`PreparedMessage sets the ${name} header itself`);
    }
    // 'MESSAGE\ndestination:…\nmessage-id:…\nsubscription:' + id + '\ncontent-type:…\n…' + body + NUL
    const before = encodeHead('MESSAGE', [['destination', destination], ['message-id', messageId]]) + 'subscription:';
    let after = '\n' + encodeHeaderLine('content-type', 'application/json');
    for (const [name, value] of extra) after += encodeHeaderLine(name, value);
    this.prefix = Buffer.from(before, 'utf8');
    this.suffix = assembleFrame(after, body);
  }

  /** The header list (in wire order) forSubscription encodes. */
  static headers(destination: string, messageId: string, subscriptionId: string, extraHeaders?: Record<string, string>): [string, string][] {
    return [
      ['destination', destination],
      ['message-id', messageId],
      ['subscription', subscriptionId],
      ['content-type', 'application/json'],
      ...Object.entries(extraHeaders ?? {}),
    ];
  }

  /**
   * The complete encoded frame for one subscription id. Cached per id. The returned Buffer is
   * shared between callers and must not be modified.
   */
  forSubscription(subscriptionId: string): Buffer {
    const cached = this.cache.get(subscriptionId);
    if (cached) return cached;
    const frame = this.build(subscriptionId);
    if (this.cache.size < MAX_CACHED_IDS) this.cache.set(subscriptionId, frame);
    return frame;
  }

  private build(subscriptionId: string): Buffer {
    const id = escapeHeader(subscriptionId);
    const idBytes = Buffer.byteLength(id);
    const out = Buffer.allocUnsafe(this.prefix.length + idBytes + this.suffix.length);
    this.prefix.copy(out, 0);
    out.write(id, this.prefix.length, 'utf8');
    this.suffix.copy(out, this.prefix.length + idBytes);
    return out;
  }
}
