import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isChorusError } from '@chorus/core';
import { FrameParser, type StompFrame } from '../../src/protocol/codec/index.js';
import { withOwnBody } from '../../src/stomp/own-frame.js';
import { ReplayBudget } from '../../src/stomp/replay-budget.js';
import { TransactionBuffer } from '../../src/stomp/transaction-buffer.js';
import { CaseCounter, FUZZ_SEED, runs } from './fuzz-config.js';

/**
 * The per-connection memory bounds, as properties over random abuse: what a connection buffers
 * for transactions, for replays and for frames waiting in its queue never passes its limit.
 */
const counter = new CaseCounter();
const opts = (base: number) => ({ seed: FUZZ_SEED, numRuns: runs(base) });

function send(tx: string, bodyBytes: number): StompFrame {
  return { command: 'SEND', headers: new Map([['destination', '/app/rooms/r'], ['transaction', tx]]), body: Buffer.alloc(bodyBytes, 'x') };
}

describe('memory bounds (properties)', () => {
  afterAll(() => console.log(counter.report('bounds')));

  it('a connection never holds more than maxOpen transactions of maxFrames SENDs and maxBytes each', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('begin' as const), tx: fc.nat(6) }),
      fc.record({ kind: fc.constant('add' as const), tx: fc.nat(6), bytes: fc.nat(3000) }),
      fc.record({ kind: fc.constant('take' as const), tx: fc.nat(6) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1024, max: 20_000 }), fc.array(op, { maxLength: 200 }), (maxOpen, maxFrames, maxBytes, ops) => {
        counter.add('transaction sequences');
        const buffer = new TransactionBuffer({ maxOpen, maxFrames, maxBytes });
        const held = new Map<string, StompFrame[]>();
        for (const o of ops) {
          const id = `t${o.tx}`;
          try {
            if (o.kind === 'begin') {
              buffer.begin(id);
              held.set(id, []);
            } else if (o.kind === 'add') {
              buffer.add(id, send(id, o.bytes));
              held.get(id)!.push(send(id, o.bytes));
            } else {
              expect(buffer.take(id)?.length).toBe(held.get(id)?.length);
              held.delete(id);
            }
          } catch (err) {
            if (!isChorusError(err)) throw err;
            if (o.kind === 'add') held.delete(id); // a transaction past its limit is aborted whole
          }
          expect(buffer.size).toBeLessThanOrEqual(maxOpen);
          expect(buffer.size).toBe(held.size);
          for (const frames of held.values()) {
            expect(frames.length).toBeLessThanOrEqual(maxFrames);
            const bytes = frames.reduce((n, f) => n + f.body.length + 'destination/app/rooms/r'.length + 'transaction'.length + id.length + 4, 0);
            expect(bytes).toBeLessThanOrEqual(maxBytes + 64);
          }
        }
      }),
      opts(300),
    );
  });

  it('replays never take a send buffer past SEND_BUFFER_BYTES + REPLAY_BUFFER_BYTES + one frame, however many there are', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('replay' as const), frames: fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 60 }) }),
      fc.record({ kind: fc.constant('live' as const), size: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ kind: fc.constant('read' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1024, max: 100_000 }), fc.integer({ min: 1024, max: 200_000 }), fc.array(step, { maxLength: 60 }), (sendBuffer, replayBuffer, steps) => {
        counter.add('replay sequences');
        const budget = new ReplayBudget(sendBuffer, replayBuffer);
        let buffered = 0;
        let cut = false;
        const write = (size: number, replay: boolean) => {
          if (cut) return;
          if (buffered > sendBuffer || replay) {
            if (!budget.allows(size, buffered, replay)) {
              cut = true;
              return;
            }
          }
          buffered += size;
          expect(buffered).toBeLessThanOrEqual(sendBuffer + replayBuffer + 5000);
        };
        for (const s of steps) {
          if (s.kind === 'replay') for (const size of s.frames) write(size, true);
          else if (s.kind === 'live') write(s.size, false);
          else buffered = Math.floor(buffered * (1 - s.fraction));
        }
      }),
      opts(300),
    );
  });

  it('a client that reads between replays is never cut off by a replay that fits REPLAY_BUFFER_BYTES', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 50 }), { maxLength: 20 }), (replays) => {
        counter.add('reading clients');
        const budget = new ReplayBudget(16_384, 100_000);
        for (const replay of replays) {
          let buffered = 0; // the client read everything before this SUBSCRIBE
          for (const size of replay) {
            expect(budget.allows(size, buffered, true)).toBe(true);
            buffered += size;
          }
          expect(budget.allows(34, buffered, false)).toBe(true); // the RECEIPT behind it
        }
      }),
      opts(200),
    );
  });

  it('a frame waiting in the queue keeps at most its own body, not the padding of its message', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.string({ maxLength: 300 }), fc.nat(100), (padding, text, junk) => {
        counter.add('padded frames');
        const parser = new FrameParser({ maxFrameBytes: 65_536, maxHeaders: 32, maxHeaderBytes: 4096 });
        const body = text.replace(/\0/g, '');
        const chunk = Buffer.from(`${'\r\n'.repeat(padding / 2)}SEND\ndestination:/app/rooms/r\n\n${body}\0${'\n'.repeat(junk)}`);
        for (const event of parser.push(chunk)) {
          if (event.type !== 'frame') continue;
          const kept = withOwnBody(event.frame);
          expect(kept.body.toString()).toBe(body);
          expect(kept.body.buffer.byteLength).toBeLessThanOrEqual(kept.body.length + 1024);
        }
      }),
      opts(200),
    );
  });
});
