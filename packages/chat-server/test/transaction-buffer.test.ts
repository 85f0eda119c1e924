import { describe, expect, it } from 'vitest';
import { FrameParser } from '../src/protocol/codec/index.js';
import { TransactionBuffer } from '../src/stomp/transaction-buffer.js';

describe('TransactionBuffer', () => {
  it('keeps only a buffered frame\'s own bytes, not the WebSocket message it was parsed from', () => {
    // A small SEND after 190 KB of EOL padding, in one chunk, as one WebSocket message carries it.
    const chunk = Buffer.from(`${'\n'.repeat(190_000)}SEND\ndestination:/app/rooms/r\ntransaction:t\n\nhello\0`);
    const events = new FrameParser({ maxFrameBytes: 65_536, maxHeaders: 32, maxHeaderBytes: 4096 }).push(chunk);
    const event = events.find((e) => e.type === 'frame');
    if (event?.type !== 'frame') throw new Error('expected a frame');
    expect(event.frame.body.buffer.byteLength).toBeGreaterThan(190_000); // the parser's view of the chunk

    const buffer = new TransactionBuffer({ maxOpen: 1, maxFrames: 10, maxBytes: 10_000 });
    buffer.begin('t');
    buffer.add('t', event.frame);
    const [kept] = buffer.take('t')!;
    expect(kept!.body.toString()).toBe('hello');
    expect(kept!.body.buffer.byteLength).toBe(5);
    expect(kept!.headers.get('destination')).toBe('/app/rooms/r');
  });
});
