import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '@chorus/core';
import { encodeFrame, FrameParser, StompParseError, type ParseEvent, type ParserLimits } from '../../src/protocol/codec/index.js';
import { startHarness, type Harness, type TestUser } from '../support/harness.js';
import { RawStompClient, type RawFrame } from '../support/raw-client.js';
import { CaseCounter, FUZZ_SEED, runs } from './fuzz-config.js';
import { bytesOf, cuts, garbage, hostilePiece, invalidUtf8 } from './generators.js';

/**
 * Fuzzes the live /ws endpoint of a real gateway (real store and broker) with random and mutated
 * STOMP, sent as text and binary WebSocket messages split at random points, before and after
 * CONNECT. For every case the server must answer as the spec says (ERROR then close, or carry on),
 * never crash or hang; meanwhile a bystander must keep receiving every message of its room.
 */
const counter = new CaseCounter();
const SERVER_FRAMES = new Set(['CONNECTED', 'RECEIPT', 'MESSAGE', 'ERROR']);
const FATAL_CLOSE = [1002, 1008];
const OUTCOME_TIMEOUT_MS = 15_000; // only reached when the server hangs

interface LiveCase {
  connect: boolean;
  /** Connected and subscribed to /user/queue/errors first, so refusals do not end the session. */
  errorsQueue: boolean;
  /** The byte stream, cut into WebSocket messages. */
  messages: Buffer[];
  /** Per message: send as a text message (only when the piece is valid UTF-8) or as binary. */
  text: boolean[];
}

/** What the server's parser will make of the stream (it uses the same limits). */
interface Prediction {
  commands: string[];
  /** The WebSocket message in which the first frame completed, and the one holding the violation. */
  firstFrameIn: number;
  errorIn: number;
  parseError: boolean;
  /** The stream ends between frames, so a further frame would be read as one. */
  idle: boolean;
}

function predict(messages: Buffer[], limits: ParserLimits): Prediction {
  const parser = new FrameParser(limits);
  const commands: string[] = [];
  let firstFrameIn = -1;
  const add = (events: readonly ParseEvent[], i: number) => {
    for (const e of events) {
      if (e.type !== 'frame') continue;
      if (commands.length === 0) firstFrameIn = i;
      commands.push(e.frame.command);
    }
  };
  for (const [i, message] of messages.entries()) {
    try {
      add(parser.push(message), i);
    } catch (err) {
      if (!(err instanceof StompParseError)) throw err;
      add(err.precedingEvents, i);
      return { commands, firstFrameIn, errorIn: i, parseError: true, idle: false };
    }
  }
  // A CR between frames holds no bytes but is not idle: only an LF may follow it.
  const lastByte = messages.findLast((m) => m.length > 0)?.at(-1);
  return { commands, firstFrameIn, errorIn: -1, parseError: false, idle: parser.bufferedBytes === 0 && lastByte !== 0x0d };
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = OUTCOME_TIMEOUT_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server hung: no ${what} within ${ms} ms`)), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (err: unknown) => (clearTimeout(timer), reject(err instanceof Error ? err : new Error(String(err)))),
    );
  });
}

/** A WebSocket ping answered proves the server still serves this socket. */
function pong(client: RawStompClient): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve, reject) => {
      client.socket.once('pong', () => resolve());
      client.socket.ping((err?: Error) => err && reject(err));
    }),
    'pong',
  );
}

/** Waits until the socket closes or, if it stays open, answers a ping. */
function pongOrClose(client: RawStompClient): Promise<unknown> {
  if (client.closeCode !== undefined) return Promise.resolve();
  return withTimeout(Promise.race([pong(client), client.closed]), 'pong or close');
}

/** The text of an ERROR frame: its body (the message header is escaped on the wire). */
const messageOf = (frame: RawFrame | undefined) => frame?.body ?? '';

async function allFrames(client: RawStompClient): Promise<RawFrame[]> {
  await withTimeout(client.closed, 'close');
  return client.frames;
}

/** Invariants of every exchange: only server frames, at most one ERROR and nothing after it. */
function checkFrames(frames: RawFrame[]): void {
  frames.forEach((frame, i) => {
    expect(SERVER_FRAMES.has(frame.command), `unexpected frame ${frame.command}`).toBe(true);
    if (frame.command === 'ERROR') {
      expect(i, 'nothing may follow an ERROR frame').toBe(frames.length - 1);
      expect(frame.headers['message']?.length ?? 0).toBeGreaterThan(0);
      expect(frame.headers['content-type']).toBe('text/plain');
      expect(frame.body.length).toBeGreaterThan(0);
    }
  });
}

describe(`live /ws endpoint fuzzing (FUZZ_SEED=${FUZZ_SEED})`, () => {
  let h: Harness;
  let fuzzer: TestUser;
  let bystanderUser: TestUser;
  let fuzzRoom: Room;
  let quietRoom: Room;
  /** Rooms the fuzzer may not write to: its DM with the bystander (who blocks it), one it is banned from, one it is timed out in. */
  let sanctioned: { dm: Room; banned: Room; timedOut: Room; seqs: Array<number | null> };
  /** A message of the fuzzer's in fuzzRoom (edits and reactions aim at it) and a member it can @mention. */
  let ownMessageId: string;
  let mentionee: TestUser;
  let bystander: RawStompClient;
  let pinger: RawStompClient;
  let pings = 0;
  const open = new Set<RawStompClient>();
  const memory = { before: 0, peak: 0 };

  const track = (c: RawStompClient) => (open.add(c), c);

  beforeAll(async () => {
    h = await startHarness({
      env: {
        MAX_FRAME_BYTES: '4096',
        MAX_HEADERS: '16',
        MAX_HEADER_BYTES: '512',
        SEND_RATE_PER_SECOND: '100000',
        SEND_BURST: '100000',
        SUBSCRIBE_RATE_PER_SECOND: '100000',
        SUBSCRIBE_BURST: '100000',
        HEARTBEAT_SERVER_MS: '0',
        HEARTBEAT_CLIENT_MS: '0',
      },
    });
    fuzzer = await h.createUser('fuzzer');
    bystanderUser = await h.createUser('bystander');
    fuzzRoom = await h.createRoom(fuzzer);
    quietRoom = await h.createRoom(bystanderUser);
    mentionee = await h.createUser('mentionee');
    await h.chat.join(mentionee, fuzzRoom.id);
    ownMessageId = (await h.chat.send(fuzzer, fuzzRoom.id, 'edit me', 'http')).id;
    const dm = (await h.store.openDirectRoom(fuzzer.id, bystanderUser.id))!.room;
    await h.store.blockUser(bystanderUser.id, fuzzer.id, 500);
    const [banned, timedOut] = [await h.createRoom(bystanderUser), await h.createRoom(bystanderUser)];
    for (const room of [banned, timedOut]) await h.chat.join(fuzzer, room.id);
    await h.store.removeMemberBy(banned.id, fuzzer.id, { ban: true, from: ['member'] }, { actorId: bystanderUser.id, action: 'ban', targetId: fuzzer.id });
    await h.store.setRoomTimeout(timedOut.id, fuzzer.id, new Date(Date.now() + 3_600_000).toISOString(), { actorId: bystanderUser.id, action: 'timeout', targetId: fuzzer.id });
    sanctioned = { dm, banned, timedOut, seqs: await Promise.all([dm, banned, timedOut].map((r) => h.store.lastSeq(r.id))) };
    bystander = await RawStompClient.connected(h.wsUrl, bystanderUser.token);
    bystander.send(`SUBSCRIBE\nid:q\ndestination:/topic/rooms/${quietRoom.id}\nreceipt:sub\n\n\0`);
    expect((await bystander.next()).headers['receipt-id']).toBe('sub');
    pinger = await RawStompClient.connected(h.wsUrl, bystanderUser.token);
    memory.before = process.memoryUsage().heapUsed;
  });

  afterAll(async () => {
    for (const c of open) c.close();
    bystander?.close();
    pinger?.close();
    await h?.close();
    const mib = (n: number) => (n / 1048576).toFixed(1);
    console.log(`${counter.report('live /ws endpoint')}\n  bystander pings delivered: ${pings}; heap ${mib(memory.before)} MiB before, ${mib(memory.peak)} MiB peak`);
  });

  /** The bystander's room keeps working: a SEND is stored, acknowledged and delivered. */
  async function bystanderStillServed(): Promise<void> {
    const n = ++pings;
    pinger.send(`SEND\ndestination:/app/rooms/${quietRoom.id}\ncontent-type:text/plain\nreceipt:p${n}\n\nping ${n}\0`);
    const receipt = await pinger.next();
    expect(receipt).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': `p${n}` } });
    const message = await bystander.next();
    expect(message.command).toBe('MESSAGE');
    expect(JSON.parse(message.body)).toMatchObject({ text: `ping ${n}`, seq: n });
    memory.peak = Math.max(memory.peak, process.memoryUsage().heapUsed);
  }

  function sendMessages(client: RawStompClient, c: LiveCase): void {
    c.messages.forEach((bytes, i) => {
      if (client.socket.readyState !== WebSocket.OPEN) return;
      client.socket.send(bytes, { binary: !c.text[i] });
    });
  }

  /** Checks one case against the spec, from what the server's parser will see. */
  async function runCase(c: LiveCase): Promise<string> {
    const client = track(c.connect ? await RawStompClient.connected(h.wsUrl, fuzzer.token) : await RawStompClient.open(h.wsUrl));
    const queued = c.connect && c.errorsQueue ? ' (errors queue)' : '';
    try {
      if (queued) {
        client.send('SUBSCRIBE\nid:fuzz-errors\ndestination:/user/queue/errors\nreceipt:fuzz-errors\n\n\0');
        expect((await client.next()).headers['receipt-id']).toBe('fuzz-errors');
      }
      sendMessages(client, c);
      const p = predict(c.messages, h.config.limits);
      const first = p.commands[0];
      if (!c.connect) {
        if (first === undefined && !p.parseError) {
          if (!p.idle) {
            await pong(client);
            expect(client.frames).toEqual([]);
            return 'before CONNECT: incomplete frame, still open';
          }
          // Only heart-beats so far: a real CONNECT still works.
          client.send(`CONNECT\naccept-version:1.2\nAuthorization:Bearer ${fuzzer.token}\n\n\0`);
          expect((await client.next()).command).toBe('CONNECTED');
          return 'before CONNECT: heart-beats, then CONNECT works';
        }
        const frames = await allFrames(client);
        checkFrames(frames);
        expect(frames).toHaveLength(1);
        const message = messageOf(frames[0]);
        if (first !== undefined && p.parseError && p.errorIn === p.firstFrameIn && /^malformed frame/.test(message)) {
          // Frames completed in the message that also holds a violation are dropped by the session
          // today (it does not act on StompParseError.precedingEvents); ERROR + close is still right.
          expect(client.closeCode).toBe(1002);
          return 'before CONNECT: a frame and a violation in one message, ERROR + close';
        }
        if (first === undefined) {
          expect(message).toMatch(/^malformed frame/);
          expect(client.closeCode).toBe(1002);
          return 'before CONNECT: malformed, ERROR + close';
        }
        if (first === 'CONNECT' || first === 'STOMP') {
          expect(FATAL_CLOSE).toContain(client.closeCode);
          return 'before CONNECT: a CONNECT without a valid token, ERROR + close';
        }
        expect(message).toBe(`expected CONNECT, got ${first}`);
        expect(client.closeCode).toBe(1002);
        return 'before CONNECT: another frame, ERROR + close';
      }

      const disconnects = p.commands.includes('DISCONNECT');
      if (p.parseError || disconnects) {
        const frames = await allFrames(client);
        checkFrames(frames);
        if (client.closeCode === 1000) {
          expect(disconnects).toBe(true);
          expect(frames.some((f) => f.command === 'ERROR')).toBe(false);
          return `connected${queued}: DISCONNECT, normal close`;
        }
        expect(FATAL_CLOSE).toContain(client.closeCode);
        expect(frames.at(-1)?.command).toBe('ERROR');
        if (p.commands.length === 0) expect(messageOf(frames.at(-1))).toMatch(/^malformed frame/);
        return p.parseError ? `connected${queued}: malformed, ERROR + close` : `connected${queued}: refused before DISCONNECT, ERROR + close`;
      }
      if (p.idle) {
        // Every frame was complete: a DISCONNECT now is read as one, after all of them.
        client.send('DISCONNECT\nreceipt:end\n\n\0');
        const frames = await allFrames(client);
        checkFrames(frames);
        if (client.closeCode === 1000) {
          expect(frames.at(-1)).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'end' } });
          return `connected${queued}: frames handled, then DISCONNECT`;
        }
        expect(FATAL_CLOSE).toContain(client.closeCode);
        expect(frames.at(-1)?.command).toBe('ERROR');
        return `connected${queued}: a frame refused, ERROR + close`;
      }
      // A whole frame before the incomplete one may have been refused for good (a second CONNECT,
      // a server command): the server then closes, and a ping is never answered.
      await pongOrClose(client);
      checkFrames(client.frames);
      if (client.closeCode !== undefined) {
        expect(FATAL_CLOSE).toContain(client.closeCode);
        expect(client.frames.at(-1)?.command).toBe('ERROR');
        return `connected${queued}: a frame refused before an incomplete one, ERROR + close`;
      }
      return `connected${queued}: incomplete frame, still open`;
    } finally {
      client.close();
      open.delete(client);
    }
  }

  /** STOMP-shaped frames aimed at real and bogus destinations, with random headers and bodies. */
  function stompFrame(): fc.Arbitrary<Buffer> {
    const destination = fc.constantFrom(
      `/app/rooms/${fuzzRoom.id}`,
      `/app/rooms/${quietRoom.id}`,
      `/app/rooms/${fuzzRoom.id}/edit`,
      `/app/rooms/${fuzzRoom.id}/delete`,
      `/app/rooms/${fuzzRoom.id}/react`,
      `/topic/rooms/${fuzzRoom.id}`,
      `/topic/rooms/${quietRoom.id}`,
      '/user/queue/errors',
      `/user/${bystanderUser.id}/queue/errors`,
      '/queue/elsewhere',
      '/topic/rooms/not-a-uuid',
      '',
    );
    const header = fc.oneof(
      destination.map((d): [string, string] => ['destination', d]),
      fc.nat(20).map((n): [string, string] => ['id', `s${n}`]),
      fc.nat(20).map((n): [string, string] => ['receipt', `r${n}`]),
      fc.nat(3).map((n): [string, string] => ['transaction', `t${n}`]),
      fc.constantFrom('text/plain', 'application/json', 'application/octet-stream', '').map((t): [string, string] => ['content-type', t]),
      fc.constantFrom('auto', 'client', 'client-individual').map((a): [string, string] => ['ack', a]),
      fc.oneof(fc.nat().map(String), fc.constantFrom('-1', 'abc', '1e9')).map((s): [string, string] => ['since', s]),
      fc.constantFrom('1.2', '1.0,1.1', '9.9').map((v): [string, string] => ['accept-version', v]),
      fc.constantFrom('0,0', '10,10', 'x,y', '-1,5').map((v): [string, string] => ['heart-beat', v]),
      fc.constantFrom('Bearer garbage', `Bearer ${bystanderUser.token.slice(0, -3)}abc`).map((v): [string, string] => ['Authorization', v]),
      fc.tuple(fc.stringMatching(/^[a-z-]{1,10}$/), fc.string({ maxLength: 20 })).map(([n, v]): [string, string] => [n, v.replaceAll('\0', '')]),
    );
    const body = fc.oneof(
      fc.constant(''),
      fc.string({ maxLength: 40 }).map((t) => JSON.stringify({ text: t })),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('{"text":', '{"text":42}', '[]', 'null', '   ', '{"messageId":"00000000-0000-0000-0000-000000000000","emoji":"👍"}', `{"messageId":"x","emoji":"${'👍'.repeat(500)}"}`),

      invalidUtf8.map((b) => Buffer.from(b)),
    );
    const command = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'BEGIN', 'COMMIT', 'ABORT', 'ACK', 'NACK') },
      { weight: 1, arbitrary: fc.constantFrom('DISCONNECT', 'CONNECT', 'STOMP', 'FROB', 'MESSAGE', 'ERROR') },
    );
    return fc.record({ command, headers: fc.array(header, { maxLength: 6 }), body }).map(({ command: cmd, headers, body: b }) => {
      try {
        return encodeFrame(cmd, headers, b);
      } catch {
        return encodeFrame(cmd, [], b); // a header the encoder cannot represent (CONNECT is verbatim)
      }
    });
  }

  /**
   * Well-formed SEND/SUBSCRIBE/UNSUBSCRIBE frames for the newer destinations: typing and presence,
   * the fuzzer's DM (its peer blocks it), a room it is banned from, one it is timed out in, and
   * edits and reactions on a real message of its own (mention-heavy edits re-resolve mentions).
   */
  function newerFeatureFrame(): fc.Arbitrary<Buffer> {
    const rooms = [fuzzRoom, sanctioned.dm, sanctioned.banned, sanctioned.timedOut];
    const destination = fc.oneof(
      fc.constantFrom(...rooms.flatMap((r) => [`/app/rooms/${r.id}`, `/app/rooms/${r.id}/edit`, `/app/rooms/${r.id}/react`, `/app/rooms/${r.id}/delete`, `/topic/rooms/${r.id}`])),
      fc.constantFrom(`/app/rooms/${fuzzRoom.id}/typing`, `/topic/rooms/${fuzzRoom.id}/typing`, `/topic/rooms/${fuzzRoom.id}/presence`, '/user/queue/unread'),
    );
    const body = fc.constantFrom(
      JSON.stringify({ messageId: ownMessageId, text: `@${mentionee.username} `.repeat(60) }),
      JSON.stringify({ messageId: ownMessageId, text: Array.from({ length: 200 }, (_, i) => `@ghost${i}`).join(' ') }),
      JSON.stringify({ messageId: ownMessageId, text: 'no mention' }),
      JSON.stringify({ messageId: ownMessageId, emoji: '👍' }),
      JSON.stringify({ messageId: ownMessageId, emoji: '🎉', remove: true }),
      JSON.stringify({ messageId: ownMessageId, emoji: '👍'.repeat(30) }),
      JSON.stringify({ messageId: ownMessageId, text: 42 }),
      `@${mentionee.username} @${bystanderUser.username} @${fuzzer.username}`,
      '',
    );
    const headers = fc.tuple(
      destination,
      fc.nat(20),
      fc.constantFrom('text/plain', 'application/json'),
      fc.option(fc.constantFrom('0', '1', 'abc'), { nil: undefined }),
    );
    return fc.record({ command: fc.constantFrom('SEND', 'SUBSCRIBE', 'UNSUBSCRIBE'), headers, body }).map(({ command, headers: [d, n, type, since], body: b }) =>
      encodeFrame(command, [['destination', d], ['id', `s${n}`], ['receipt', `r${n}`], ['content-type', type], ...(since === undefined ? [] : [['since', since] as [string, string]])], command === 'SEND' ? b : ''),
    );
  }

  function liveCase(): fc.Arbitrary<LiveCase> {
    const mutation = fc.record({ at: fc.nat(), op: fc.constantFrom('set', 'insert', 'delete'), byte: fc.integer({ min: 0, max: 255 }) });
    const piece = fc.oneof({ weight: 8, arbitrary: stompFrame() }, { weight: 3, arbitrary: hostilePiece }, { weight: 1, arbitrary: garbage });
    const stream = fc
      .tuple(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 2 })))
      .map(([pieces, mutations]) => {
        const out = [...Buffer.concat(pieces)];
        for (const { at, op, byte } of mutations) {
          const i = at % (out.length + 1);
          if (op === 'insert') out.splice(i, 0, byte);
          else if (i < out.length && op === 'set') out[i] = byte;
          else if (i < out.length) out.splice(i, 1);
        }
        return Buffer.from(out);
      })
      .filter((b) => b.length > 0);
    return fc.record({ connect: fc.boolean(), errorsQueue: fc.boolean(), stream, cuts: cuts.map((c) => c.slice(0, 6)), text: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }) }).map(
      ({ connect, errorsQueue, stream: bytes, cuts: offsets, text }) => {
        const at = [...new Set(offsets.map((o) => o % bytes.length))].filter((o) => o > 0).sort((a, b) => a - b);
        const messages: Buffer[] = [];
        let start = 0;
        for (const cut of [...at, bytes.length]) {
          messages.push(bytes.subarray(start, cut));
          start = cut;
        }
        return { connect, errorsQueue, messages, text: messages.map((m, i) => Boolean(text[i % text.length]) && isUtf8(m)) };
      },
    );
  }

  it('random and mutated frames, before and after CONNECT, text and binary, split at random points', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(liveCase(), async (c) => {
        counter.add(await runCase(c));
        if (++n % 40 === 0) await bystanderStillServed();
      }),
      { seed: FUZZ_SEED, numRuns: runs(600) },
    );
    await bystanderStillServed();
  });

  it('frames aimed at the newer destinations: DMs, bans, timeouts, typing, presence, mention-heavy edits and reactions', async () => {
    const newer = fc
      .record({ errorsQueue: fc.boolean(), frames: fc.array(newerFeatureFrame(), { minLength: 1, maxLength: 6 }) })
      .map(({ errorsQueue, frames }): LiveCase => ({ connect: true, errorsQueue, messages: frames, text: frames.map(() => true) }));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(newer, async (c) => {
        counter.add(await runCase(c));
        if (++n % 40 === 0) await bystanderStillServed();
      }),
      { seed: FUZZ_SEED, numRuns: runs(300) },
    );
    await bystanderStillServed();
    // Nothing reached the rooms the fuzzer is refused in.
    expect(await Promise.all([sanctioned.dm, sanctioned.banned, sanctioned.timedOut].map((r) => h.store.lastSeq(r.id)))).toEqual(sanctioned.seqs);
    // An edit mentions each member once at most, however often it names them.
    const own = await h.store.getMessage(fuzzRoom.id, ownMessageId);
    expect(own!.mentions ?? []).toEqual(own!.mentions?.length ? [mentionee.id] : []);
  });

  it('a valid exchange split at every byte, as single-byte binary messages, works', async () => {
    const client = track(await RawStompClient.open(h.wsUrl));
    const stream = bytesOf(
      `CONNECT\naccept-version:1.2\nAuthorization:Bearer ${fuzzer.token}\n\n\0`,
      `SUBSCRIBE\nid:a\ndestination:/topic/rooms/${fuzzRoom.id}\nreceipt:s\n\n\0`,
      `SEND\ndestination:/app/rooms/${fuzzRoom.id}\ncontent-type:text/plain\nreceipt:m\n\nbyte by byte é😀\0`,
    );
    for (const byte of stream) client.socket.send(Buffer.from([byte]), { binary: true });
    counter.add('fixed: a valid exchange split at every byte', stream.length);
    expect((await client.next()).command).toBe('CONNECTED');
    const replies = [await client.next(), await client.next(), await client.next()];
    expect(replies.filter((f) => f.command === 'RECEIPT').map((f) => f.headers['receipt-id']).sort()).toEqual(['m', 's']);
    expect(JSON.parse(replies.find((f) => f.command === 'MESSAGE')!.body).text).toBe('byte by byte é😀');
    client.close();
    await bystanderStillServed();
  });

  it('a second CONNECT, a frame before CONNECT and an unknown command each get ERROR and a close', async () => {
    const cases: Array<[boolean, string, RegExp, number]> = [
      [true, `CONNECT\naccept-version:1.2\nAuthorization:Bearer ${fuzzer.token}\n\n\0`, /^already connected$/, 1002],
      [true, `STOMP\naccept-version:1.2\n\n\0`, /^already connected$/, 1002],
      [false, `SEND\ndestination:/app/rooms/${fuzzRoom.id}\n\nhi\0`, /^expected CONNECT, got SEND$/, 1002],
      [false, `SUBSCRIBE\nid:0\ndestination:/topic/rooms/${fuzzRoom.id}\n\n\0`, /^expected CONNECT, got SUBSCRIBE$/, 1002],
      [true, 'FROB\n\n\0', /^unknown command FROB$/, 1002],
      [false, 'connect\n\n\0', /^malformed frame/, 1002],
    ];
    for (const [connect, frame, message, code] of cases) {
      const client = track(connect ? await RawStompClient.connected(h.wsUrl, fuzzer.token) : await RawStompClient.open(h.wsUrl));
      client.socket.send(Buffer.from(frame), { binary: true });
      const frames = await allFrames(client);
      checkFrames(frames);
      expect(messageOf(frames.at(-1))).toMatch(message);
      expect(client.closeCode).toBe(code);
      counter.add('fixed: protocol-order violations');
    }
    await bystanderStillServed();
  });

  it('transport-level violations close the socket: invalid UTF-8 in a text message (1007), a message over maxPayload (1009)', async () => {
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80]]) {
      const client = track(await RawStompClient.connected(h.wsUrl, fuzzer.token));
      client.socket.send(bytesOf('SEND\ndestination:/x\n\n', bad, '\0'), { binary: false });
      expect(await withTimeout(client.closed, 'close')).toBe(1007);
      counter.add('fixed: invalid UTF-8 in a text message');
    }
    const client = track(await RawStompClient.connected(h.wsUrl, fuzzer.token));
    client.socket.send(Buffer.alloc(h.config.limits.maxFrameBytes * 4 + 1, 0x41));
    expect(await withTimeout(client.closed, 'close')).toBe(1009);
    counter.add('fixed: a message over maxPayload');
    await bystanderStillServed();
  });

  it('a frame that never ends is cut off near maxFrameBytes, however slowly it arrives', async () => {
    const { maxFrameBytes } = h.config.limits;
    const heads = ['SEND\ndestination:/app/rooms/x\n\n', 'SEND\nx:', 'SEND\n', ''];
    const fillers = ['z', 'h:v\n', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
    for (const head of heads) {
      for (const filler of fillers) {
        const client = track(await RawStompClient.connected(h.wsUrl, fuzzer.token));
        client.socket.send(Buffer.from(head));
        const chunk = Buffer.from(filler.repeat(Math.ceil(97 / filler.length)).slice(0, 97));
        // Each chunk is written only after the previous one left, until the server gives up.
        let sent = head.length;
        while (client.closeCode === undefined && sent < maxFrameBytes * 64) {
          await new Promise<void>((resolve) => client.socket.send(chunk, () => resolve()));
          sent += chunk.length;
          if (sent > maxFrameBytes * 2) await pongOrClose(client); // let the close arrive
        }
        const frames = await allFrames(client);
        checkFrames(frames);
        expect(messageOf(frames.at(-1))).toMatch(/^malformed frame/);
        expect(client.closeCode).toBe(1002);
        expect(sent).toBeLessThan(maxFrameBytes * 64);
        counter.add('fixed: endless frames');
      }
    }
    await bystanderStillServed();
  });

  it('many slow clients holding partial frames do not disturb others and are each bounded', async () => {
    const { maxFrameBytes } = h.config.limits;
    const slow: RawStompClient[] = [];
    for (let i = 0; i < 30; i++) {
      const client = track(await RawStompClient.connected(h.wsUrl, fuzzer.token));
      client.socket.send(`SEND\ndestination:/app/rooms/${fuzzRoom.id}\n\n${'x'.repeat(maxFrameBytes - 100)}`);
      slow.push(client);
    }
    await Promise.all(slow.map((c) => pong(c)));
    await bystanderStillServed();
    // One more byte over the limit each: every one of them is cut off.
    for (const c of slow) c.socket.send('y'.repeat(200));
    for (const c of slow) {
      const frames = await allFrames(c);
      expect(messageOf(frames.at(-1))).toMatch(/^malformed frame: frame larger than/);
      counter.add('fixed: slow clients holding partial frames');
    }
    await bystanderStillServed();
    expect(h.gateway.connectionCount).toBe(2); // the bystander and the pinger
  });
});
