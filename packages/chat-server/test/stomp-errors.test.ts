import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { RawStompClient } from './support/raw-client.js';

const NUL = '\0';

describe('STOMP protocol errors and edge cases (raw ws client)', () => {
  let h: Harness;
  let alice: TestUser;
  let bob: TestUser;
  const open: RawStompClient[] = [];
  const track = (c: RawStompClient) => (open.push(c), c);
  const connect = async (user: TestUser, extra = '') => track(await RawStompClient.connected(h.wsUrl, user.token, extra));
  const raw = async () => track(await RawStompClient.open(h.wsUrl));

  beforeAll(async () => {
    h = await startHarness({
      env: {
        MAX_FRAME_BYTES: '2048',
        MAX_HEADERS: '8',
        MAX_HEADER_BYTES: '1024',
        MAX_MESSAGE_LENGTH: '100',
        SEND_RATE_PER_SECOND: '1',
        SEND_BURST: '10',
        MAX_OPEN_TRANSACTIONS: '2',
        TRANSACTION_MAX_FRAMES: '5',
        TRANSACTION_MAX_BYTES: '2048',
        HEARTBEAT_SERVER_MS: '100',
        HEARTBEAT_CLIENT_MS: '100',
      },
    });
    alice = await h.createUser('alice');
    bob = await h.createUser('bob');
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function expectFatal(client: RawStompClient, pattern: RegExp): Promise<void> {
    const frame = await client.next();
    expect(frame.command).toBe('ERROR');
    expect(frame.headers['message']).toMatch(pattern);
    await client.closed;
  }

  describe('authentication', () => {
    it('refuses CONNECT without a token with ERROR and closes', async () => {
      const c = await raw();
      c.send(`CONNECT\naccept-version:1.2\nhost:x\n\n${NUL}`);
      await expectFatal(c, /authentication required/);
    });

    it('refuses a garbage token, a token signed with another key and alg:none', async () => {
      const foreign = await new SignJWT({ name: alice.username })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(alice.id)
        .setIssuer('chorus')
        .setAudience('chorus')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const payload = Buffer.from(JSON.stringify({ sub: alice.id, name: 'x', iss: 'chorus', aud: 'chorus', exp: 9_999_999_999 })).toString('base64url');
      for (const token of ['garbage', foreign, `${header}.${payload}.`]) {
        const c = await raw();
        c.send(`CONNECT\naccept-version:1.2\nAuthorization:Bearer ${token}\n\n${NUL}`);
        await expectFatal(c, /invalid token/);
      }
    });

    it('says when a token has expired', async () => {
      const expired = await new SignJWT({ name: alice.username })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(alice.id)
        .setIssuer(h.config.jwt.issuer)
        .setAudience(h.config.jwt.audience)
        .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
        .sign(new TextEncoder().encode(h.config.jwt.secret));
      const c = await raw();
      c.send(`CONNECT\naccept-version:1.2\nAuthorization:Bearer ${expired}\n\n${NUL}`);
      await expectFatal(c, /token expired/);
    });

    it('accepts the token as passcode and negotiates the highest common version', async () => {
      const c = await raw();
      c.send(`STOMP\naccept-version:1.0,1.1\nhost:x\nlogin:alice\npasscode:${alice.token}\n\n${NUL}`);
      const frame = await c.next();
      expect(frame.command).toBe('CONNECTED');
      expect(frame.headers['version']).toBe('1.1');
      expect(frame.headers['user-name']).toBe(alice.username);
    });

    it('refuses a client that supports no version we speak', async () => {
      const c = await raw();
      c.send(`CONNECT\naccept-version:2.0\nAuthorization:Bearer ${alice.token}\n\n${NUL}`);
      const frame = await c.next();
      expect(frame.command).toBe('ERROR');
      expect(frame.headers['version']).toBe('1.2,1.1,1.0');
    });
  });

  describe('protocol violations close the connection with ERROR', () => {
    it('a frame before CONNECT', async () => {
      const c = await raw();
      c.send(`SEND\ndestination:/app/rooms/x\n\nhi${NUL}`);
      await expectFatal(c, /expected CONNECT, got SEND/);
    });

    it('a second CONNECT', async () => {
      const c = await connect(alice);
      c.send(`CONNECT\naccept-version:1.2\nAuthorization:Bearer ${alice.token}\n\n${NUL}`);
      await expectFatal(c, /already connected/);
    });

    it('an unknown command', async () => {
      const c = await connect(alice);
      c.send(`FROB\n\n${NUL}`);
      await expectFatal(c, /unknown command FROB/);
    });

    it('a frame over MAX_FRAME_BYTES, too many headers, a header too long, a bad escape, a bad content-length', async () => {
      const cases: Array<[string, RegExp]> = [
        [`SEND\ndestination:/app/rooms/x\n\n${'x'.repeat(4000)}${NUL}`, /malformed frame/],
        [`SEND\n${Array.from({ length: 20 }, (_, i) => `h${i}:v`).join('\n')}\n\n${NUL}`, /malformed frame/],
        [`SEND\ndestination:${'y'.repeat(1200)}\n\n${NUL}`, /malformed frame/],
        [`SEND\ndestination:bad\\qescape\n\n${NUL}`, /malformed frame/],
        [`SEND\ndestination:/x\ncontent-length:-4\n\nabcd${NUL}`, /malformed frame/],
      ];
      for (const [frame, pattern] of cases) {
        const c = await connect(alice);
        c.send(frame);
        await expectFatal(c, pattern);
      }
    });

    it('a frame that never ends hits the frame limit instead of buffering without bound', async () => {
      const c = await connect(alice);
      c.send('SEND\ndestination:/app/rooms/x\n\n');
      for (let i = 0; i < 10 && c.closeCode === undefined; i++) c.send('z'.repeat(500));
      await expectFatal(c, /malformed frame/);
    });
  });

  describe('frame transport', () => {
    it('handles several frames in one WebSocket message and one frame split across many', async () => {
      const room = await h.createRoom(alice);
      const c = await connect(alice);
      c.send(`SUBSCRIBE\nid:0\ndestination:/topic/rooms/${room.id}\nreceipt:s0\n\n${NUL}SEND\ndestination:/app/rooms/${room.id}\nreceipt:r1\n\none${NUL}`);
      const frames = [await c.next(), await c.next(), await c.next()];
      expect(frames.map((f) => f.command).sort()).toEqual(['MESSAGE', 'RECEIPT', 'RECEIPT']);
      const split = `SEND\ndestination:/app/rooms/${room.id}\ncontent-type:text/plain\nreceipt:r2\n\ntwo${NUL}`;
      for (const ch of split) c.send(ch);
      const more = [await c.next(), await c.next()];
      const message = more.find((f) => f.command === 'MESSAGE')!;
      expect(JSON.parse(message.body).text).toBe('two');
      expect(more.find((f) => f.command === 'RECEIPT')!.headers['receipt-id']).toBe('r2');
    });

    it("keeps each connection's incomplete frame its own while others send whole frames, split ones and garbage", async () => {
      // Sessions between frames share one parser; one mid-frame holds its own. Interleaving
      // pieces of frames of three connections (and a violation on a fourth) must not mix them.
      // Own users: SEND is limited to 1/s (burst 10) per user in this file.
      const [ua, ub, uc] = [await h.createUser('pa'), await h.createUser('pb'), await h.createUser('pc')];
      const room = await h.createRoom(ua);
      await h.chat.join(ub, room.id);
      await h.chat.join(uc, room.id);
      const a = await connect(ua);
      const b = await connect(ub);
      const c = await connect(uc);
      const bad = await connect(uc);
      const send = (text: string, receipt: string) => `SEND\ndestination:/app/rooms/${room.id}\ncontent-type:text/plain\nreceipt:${receipt}\n\n${text}${NUL}`;
      // c's receipt is the barrier: bytes written to a socket before c's frame have reached the
      // server (loopback queues them at once) and been read by the time it answers c.
      const barrier = async (text: string, receipt: string) => {
        c.send(`\n${send(text, receipt)}\n`); // heart-beats around a whole frame
        expect(await c.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': receipt } });
      };
      const fa = send('from a', 'ra');
      const fb = send('from b', 'rb');
      a.send(fa.slice(0, 7)); // inside the command line
      b.send(fb.slice(0, 30)); // inside a header
      await barrier('c one', 'rc1');
      bad.send('SEND\ndestination'); // a violation, parsed while a and b are mid-frame
      bad.send(`:/app/rooms/${room.id}\nbad\\qescape:x\n\n${NUL}`);
      await expectFatal(bad, /malformed frame/);
      const worse = await connect(uc); // a violation in one piece, with the shared parser
      worse.send(`SEND\nbad\\qescape:x\n\n${NUL}`);
      await expectFatal(worse, /malformed frame/);
      a.send(fa.slice(7, 40));
      await barrier('c two', 'rc2');
      b.send(fb.slice(30));
      expect(await b.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'rb' } });
      await barrier('c three', 'rc3');
      a.send(fa.slice(40));
      expect(await a.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'ra' } });
      const stored = await h.store.listMessages(room.id, { limit: 10 });
      expect(stored.filter((m) => m.type === 'text').map((m) => m.text).sort()).toEqual(['c one', 'c three', 'c two', 'from a', 'from b']);
    });

    it('skips a message that is only a heart-beat between frames, and parses one inside a frame', async () => {
      const [ua] = [await h.createUser('hb')];
      const room = await h.createRoom(ua);
      const c = await connect(ua);
      c.send('\n');
      c.send('\r\n');
      // A message of just LF that ends a frame's headers belongs to the frame: the body follows it.
      c.send(`SEND\ndestination:/app/rooms/${room.id}\nreceipt:split\n`);
      c.send('\n');
      c.send(`split body${NUL}`);
      expect(await c.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'split' } });
      c.send(`SEND\ndestination:/app/rooms/${room.id}\nreceipt:crlf\r\n`);
      c.send('\r\n');
      c.send(`crlf body${NUL}`);
      expect(await c.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'crlf' } });
      const stored = await h.store.listMessages(room.id, { limit: 10 });
      expect(stored.filter((m) => m.type === 'text').map((m) => m.text).sort()).toEqual(['crlf body', 'split body']);
    });

    it('handles the whole frames that precede a violation in the same message before the ERROR', async () => {
      const room = await h.createRoom(alice);
      const c = await connect(alice);
      c.send(`SEND\ndestination:/app/rooms/${room.id}\nreceipt:kept\n\nbefore the garbage${NUL}SEND\nbad\\qescape:x\n\n${NUL}`);
      expect(await c.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'kept' } });
      await expectFatal(c, /malformed frame/);
      const stored = await h.store.listMessages(room.id, { limit: 5 });
      expect(stored.map((m) => m.text)).toEqual(['before the garbage']);
    });

    it('sends heart-beats when negotiated', async () => {
      const c = await connect(alice, 'heart-beat:0,100\n');
      await c.waitForHeartbeats(2);
      expect(c.heartbeats).toBeGreaterThanOrEqual(2);
    });

    it('closes a client that stops sending heart-beats', async () => {
      const c = await connect(alice, 'heart-beat:100,0\n');
      expect(await c.closed).toBe(4009);
      expect(c.closeReason).toMatch(/heart-beat/);
    });

    it('answers DISCONNECT with its RECEIPT and then closes normally', async () => {
      const c = await connect(alice);
      c.send(`DISCONNECT\nreceipt:bye\n\n${NUL}`);
      const frame = await c.next();
      expect(frame).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'bye' } });
      expect(await c.closed).toBe(1000);
    });
  });

  describe('refused SEND and SUBSCRIBE', () => {
    it('without /user/queue/errors: ERROR with receipt-id and message, then close; nothing stored', async () => {
      const room = await h.createRoom(alice);
      const c = await connect(alice);
      c.send(`SEND\ndestination:/app/rooms/${room.id}\nreceipt:long-1\n\n${'x'.repeat(101)}${NUL}`);
      const frame = await c.next();
      expect(frame.command).toBe('ERROR');
      expect(frame.headers['receipt-id']).toBe('long-1');
      expect(frame.headers['message']).toMatch(/longer than 100 characters/);
      expect(frame.headers['error-code']).toBe('payload_too_large');
      await c.closed;
      expect(await h.store.lastSeq(room.id)).toBe(0);
    });

    it('with /user/queue/errors: each refusal arrives there and the connection stays open', async () => {
      const room = await h.createRoom(alice);
      const foreign = await h.createRoom(bob, { private: true });
      const c = await connect(alice);
      c.send(`SUBSCRIBE\nid:err\ndestination:/user/queue/errors\nreceipt:e\n\n${NUL}`);
      expect((await c.next()).command).toBe('RECEIPT');
      const refusals: Array<[string, string]> = [
        [`SEND\ndestination:/app/rooms/${room.id}\nreceipt:a\n\n${'x'.repeat(101)}${NUL}`, 'payload_too_large'],
        [`SEND\ndestination:/app/rooms/${room.id}\nreceipt:b\n\n   ${NUL}`, 'bad_request'],
        [`SEND\ndestination:/app/rooms/${foreign.id}\nreceipt:c\n\nhi${NUL}`, 'not_found'],
        [`SEND\ndestination:/app/rooms/00000000-0000-4000-8000-000000000000\nreceipt:d\n\nhi${NUL}`, 'not_found'],
        [`SEND\ndestination:/queue/elsewhere\nreceipt:e2\n\nhi${NUL}`, 'not_found'],
        [`SEND\ndestination:/app/rooms/${room.id}\ncontent-type:application/json\nreceipt:f\n\n{"text":${NUL}`, 'bad_request'],
        [`SUBSCRIBE\nid:s1\ndestination:/topic/rooms/${foreign.id}\nreceipt:g\n\n${NUL}`, 'not_found'],
        [`SUBSCRIBE\nid:s2\ndestination:/topic/elsewhere\nreceipt:h\n\n${NUL}`, 'not_found'],
        [`SUBSCRIBE\nid:s3\ndestination:/topic/rooms/${room.id}\nsince:abc\nreceipt:i\n\n${NUL}`, 'bad_request'],
        [`SUBSCRIBE\nid:s4\ndestination:/topic/rooms/${room.id}\nack:client\nreceipt:j\n\n${NUL}`, 'bad_request'],
        [`ACK\nid:1\nreceipt:k\n\n${NUL}`, 'bad_request'],
        [`UNSUBSCRIBE\nid:nope\nreceipt:l\n\n${NUL}`, 'not_found'],
      ];
      for (const [frame, code] of refusals) {
        c.send(frame);
        const reply = await c.next();
        expect(reply.command).toBe('MESSAGE');
        expect(reply.headers['destination']).toBe('/user/queue/errors');
        expect(reply.headers['subscription']).toBe('err');
        const body = JSON.parse(reply.body) as { code: string; message: string; receiptId?: string };
        expect(body.code).toBe(code);
        expect(body.message.length).toBeGreaterThan(0);
        expect(reply.headers['receipt-id']).toBe(body.receiptId);
      }
      // Still connected and working.
      c.send(`SEND\ndestination:/app/rooms/${room.id}\nreceipt:ok\n\nstill here${NUL}`);
      expect(await c.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'ok' } });
      expect(await h.store.lastSeq(room.id)).toBe(1);
    });

    it('rate-limits SEND per connection with a clear error', async () => {
      const room = await h.createRoom(bob);
      const c = await connect(bob);
      c.send(`SUBSCRIBE\nid:err\ndestination:/user/queue/errors\n\n${NUL}`);
      for (let i = 0; i < 11; i++) c.send(`SEND\ndestination:/app/rooms/${room.id}\nreceipt:r${i}\n\nmsg ${i}${NUL}`);
      const replies = [];
      for (let i = 0; i < 11; i++) replies.push(await c.next());
      const limited = replies.filter((f) => f.command === 'MESSAGE');
      expect(replies.filter((f) => f.command === 'RECEIPT')).toHaveLength(10);
      expect(limited).toHaveLength(1);
      expect(JSON.parse(limited[0]!.body)).toMatchObject({ code: 'rate_limited', receiptId: 'r10' });
      expect(await h.store.lastSeq(room.id)).toBe(10);
    });
  });

  describe('pipelined SENDs (group commit)', () => {
    it('stores SENDs pipelined in one message in order, each with its RECEIPT in order', async () => {
      const room = await h.createRoom(alice);
      const c = await connect(alice);
      c.send(`SUBSCRIBE\nid:err\ndestination:/user/queue/errors\n\n${NUL}`);
      const frames = Array.from({ length: 8 }, (_, i) => `SEND\ndestination:/app/rooms/${room.id}\nreceipt:p${i}\n\nmessage ${i}${NUL}`);
      // A refused frame in the middle splits the batch where it stands.
      frames.splice(4, 0, `SEND\ndestination:/app/rooms/${room.id}\nreceipt:bad\n\n${'x'.repeat(101)}${NUL}`);
      c.send(frames.join(''));
      const replies = [];
      for (let i = 0; i < frames.length; i++) replies.push(await c.next());
      expect(replies.map((f) => f.headers['receipt-id'])).toEqual(['p0', 'p1', 'p2', 'p3', 'bad', 'p4', 'p5', 'p6', 'p7']);
      // One frame per WebSocket message (clients that read one frame per message rely on it).
      expect(c.framesPerMessage.filter((n) => n > 0).every((n) => n === 1)).toBe(true);
      expect(replies[4]!.command).toBe('MESSAGE');
      expect(JSON.parse(replies[4]!.body)).toMatchObject({ code: 'payload_too_large', receiptId: 'bad' });
      const stored = await h.store.listMessages(room.id, { after: 0, limit: 20 });
      expect(stored.map((m) => [m.seq, m.text])).toEqual(Array.from({ length: 8 }, (_, i) => [i + 1, `message ${i}`]));
    });
  });

  describe('subscriptions and transactions', () => {
    it('UNSUBSCRIBE stops delivery', async () => {
      const room = await h.createRoom(alice);
      const c = await connect(alice);
      c.send(`SUBSCRIBE\nid:a\ndestination:/topic/rooms/${room.id}\nreceipt:s\n\n${NUL}`);
      expect((await c.next()).command).toBe('RECEIPT');
      c.send(`UNSUBSCRIBE\nid:a\nreceipt:u\n\n${NUL}`);
      expect((await c.next()).headers['receipt-id']).toBe('u');
      c.send(`SEND\ndestination:/app/rooms/${room.id}\nreceipt:after\n\nnot for me${NUL}`);
      expect(await c.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'after' } });
      // Prove no MESSAGE is pending: a further receipt arrives next.
      c.send(`SEND\ndestination:/app/rooms/${room.id}\nreceipt:after2\n\nagain${NUL}`);
      expect(await c.next()).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'after2' } });
    });

    it('keeps the subscriptions of one connection apart by id, through UNSUBSCRIBE and reuse in any order', async () => {
      const carol = await h.createUser('carol');
      const [first, second] = [await h.createRoom(carol), await h.createRoom(carol)];
      const c = await connect(carol);
      const reply = async (frame: string) => {
        c.send(frame);
        return c.next();
      };
      /** The subscriptions a SEND to `room` reaches: `expected` MESSAGEs and the RECEIPT are read, in any order. */
      const reachedBy = async (room: { id: string }, expected: number): Promise<string[]> => {
        c.send(`SEND\ndestination:/app/rooms/${room.id}\nreceipt:sent\n\nhello${NUL}`);
        const frames = [];
        for (let i = 0; i <= expected; i++) frames.push(await c.next());
        expect(frames.filter((f) => f.command === 'RECEIPT')).toHaveLength(1);
        return frames.filter((f) => f.command === 'MESSAGE').map((f) => f.headers['subscription']!).sort();
      };
      expect((await reply(`SUBSCRIBE\nid:err\ndestination:/user/queue/errors\nreceipt:e\n\n${NUL}`)).command).toBe('RECEIPT');
      for (const [id, room] of [['a', first], ['b', second], ['c', first]] as const) {
        expect(await reply(`SUBSCRIBE\nid:${id}\ndestination:/topic/rooms/${room.id}\nreceipt:${id}\n\n${NUL}`)).toMatchObject({ command: 'RECEIPT' });
      }
      for (const id of ['a', 'c', 'err']) {
        const refused = await reply(`SUBSCRIBE\nid:${id}\ndestination:/topic/rooms/${second.id}\nreceipt:dup-${id}\n\n${NUL}`);
        expect(JSON.parse(refused.body)).toMatchObject({ code: 'conflict', receiptId: `dup-${id}` });
      }
      expect(await reachedBy(first, 2)).toEqual(['a', 'c']);
      expect(await reachedBy(second, 1)).toEqual(['b']);
      expect(await reply(`UNSUBSCRIBE\nid:a\nreceipt:ua\n\n${NUL}`)).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'ua' } });
      expect(await reachedBy(first, 1)).toEqual(['c']);
      expect(await reply(`UNSUBSCRIBE\nid:b\nreceipt:ub\n\n${NUL}`)).toMatchObject({ command: 'RECEIPT', headers: { 'receipt-id': 'ub' } });
      expect(await reachedBy(second, 0)).toEqual([]);
      // A freed id can be used again; an ended one cannot be unsubscribed twice.
      expect(await reply(`SUBSCRIBE\nid:a\ndestination:/topic/rooms/${second.id}\nreceipt:again\n\n${NUL}`)).toMatchObject({ command: 'RECEIPT' });
      expect(await reachedBy(second, 1)).toEqual(['a']);
      const missing = await reply(`UNSUBSCRIBE\nid:b\nreceipt:ub2\n\n${NUL}`);
      expect(JSON.parse(missing.body)).toMatchObject({ code: 'not_found', receiptId: 'ub2' });
      expect(await reachedBy(first, 1)).toEqual(['c']);
    });

    it('stores the SENDs of a committed transaction in order and none of an aborted one', async () => {
      const room = await h.createRoom(alice);
      const c = await connect(alice);
      c.send(`BEGIN\ntransaction:t1\n\n${NUL}SEND\ndestination:/app/rooms/${room.id}\ntransaction:t1\n\ndropped${NUL}ABORT\ntransaction:t1\nreceipt:ab\n\n${NUL}`);
      expect((await c.next()).headers['receipt-id']).toBe('ab');
      expect(await h.store.lastSeq(room.id)).toBe(0);
      c.send(`BEGIN\ntransaction:t2\n\n${NUL}SEND\ndestination:/app/rooms/${room.id}\ntransaction:t2\n\nfirst${NUL}SEND\ndestination:/app/rooms/${room.id}\ntransaction:t2\n\nsecond${NUL}COMMIT\ntransaction:t2\nreceipt:cm\n\n${NUL}`);
      expect((await c.next()).headers['receipt-id']).toBe('cm');
      const stored = await h.store.listMessages(room.id, { limit: 10 });
      expect(stored.map((m) => m.text)).toEqual(['first', 'second']);
    });

    it('bounds a transaction: past TRANSACTION_MAX_FRAMES it is aborted whole and nothing is stored', async () => {
      const room = await h.createRoom(alice);
      const c = await connect(alice);
      c.send(`SUBSCRIBE\nid:err\ndestination:/user/queue/errors\nreceipt:e\n\n${NUL}BEGIN\ntransaction:big\n\n${NUL}`);
      expect((await c.next()).headers['receipt-id']).toBe('e');
      // The bucket allows SEND_BURST (10) SENDs; the transaction allows 5 (see beforeAll).
      for (let i = 0; i < 6; i++) c.send(`SEND\ndestination:/app/rooms/${room.id}\ntransaction:big\nreceipt:s${i}\n\nm${i}${NUL}`);
      for (let i = 0; i < 5; i++) expect((await c.next()).headers['receipt-id']).toBe(`s${i}`);
      const refusal = await c.next();
      expect(refusal.headers['error-code']).toBe('payload_too_large');
      expect(JSON.parse(refusal.body)).toMatchObject({ receiptId: 's5', message: expect.stringMatching(/aborted/) });
      c.send(`COMMIT\ntransaction:big\nreceipt:cm\n\n${NUL}`);
      expect(JSON.parse((await c.next()).body)).toMatchObject({ code: 'bad_request', message: 'unknown transaction big' });
      expect(await h.store.lastSeq(room.id)).toBe(0);
    });

    it('bounds a transaction in bytes, and the number of open transactions', async () => {
      const room = await h.createRoom(alice);
      const c = await connect(alice);
      c.send(`SUBSCRIBE\nid:err\ndestination:/user/queue/errors\n\n${NUL}`);
      for (let i = 0; i < 3; i++) c.send(`BEGIN\ntransaction:t${i}\nreceipt:b${i}\n\n${NUL}`);
      for (let i = 0; i < 2; i++) expect((await c.next()).headers['receipt-id']).toBe(`b${i}`);
      expect(JSON.parse((await c.next()).body)).toMatchObject({ code: 'bad_request', receiptId: 'b2', message: expect.stringMatching(/too many open transactions/) });
      // TRANSACTION_MAX_BYTES is 2048: two SENDs of 1500 bytes do not fit.
      const body = 'b'.repeat(1500);
      c.send(`SEND\ndestination:/app/rooms/${room.id}\ntransaction:t0\nreceipt:x1\n\n${body}${NUL}`);
      c.send(`SEND\ndestination:/app/rooms/${room.id}\ntransaction:t0\nreceipt:x2\n\n${body}${NUL}`);
      expect((await c.next()).headers['receipt-id']).toBe('x1');
      expect(JSON.parse((await c.next()).body)).toMatchObject({ code: 'payload_too_large', receiptId: 'x2' });
      // The aborted transaction freed its slot.
      c.send(`BEGIN\ntransaction:t9\nreceipt:b9\n\n${NUL}`);
      expect((await c.next()).headers['receipt-id']).toBe('b9');
    });

    it('counts buffered SENDs against the send rate when they are buffered, not at COMMIT', async () => {
      const room = await h.createRoom(alice);
      const c = await connect(bob);
      await h.chat.join(bob, room.id);
      c.send(`SUBSCRIBE\nid:err\ndestination:/user/queue/errors\n\n${NUL}`);
      // SEND_BURST is 10 and the rate 1/s: 4 plain SENDs, then 2 transactions of 5 and 2.
      for (let i = 0; i < 4; i++) c.send(`SEND\ndestination:/app/rooms/${room.id}\nreceipt:p${i}\n\np${i}${NUL}`);
      for (let i = 0; i < 4; i++) expect((await c.next()).headers['receipt-id']).toBe(`p${i}`);
      c.send(`BEGIN\ntransaction:a\n\n${NUL}BEGIN\ntransaction:b\n\n${NUL}`);
      for (let i = 0; i < 5; i++) c.send(`SEND\ndestination:/app/rooms/${room.id}\ntransaction:a\nreceipt:a${i}\n\na${i}${NUL}`);
      for (let i = 0; i < 5; i++) expect((await c.next()).headers['receipt-id']).toBe(`a${i}`);
      c.send(`SEND\ndestination:/app/rooms/${room.id}\ntransaction:b\nreceipt:b0\n\nb0${NUL}`);
      c.send(`SEND\ndestination:/app/rooms/${room.id}\ntransaction:b\nreceipt:b1\n\nb1${NUL}`);
      expect((await c.next()).headers['receipt-id']).toBe('b0');
      const limited = await c.next();
      expect(JSON.parse(limited.body)).toMatchObject({ code: 'rate_limited', receiptId: 'b1' });
      // Paid when buffered: COMMIT stores them without being refused again.
      c.send(`COMMIT\ntransaction:a\nreceipt:ca\n\n${NUL}`);
      expect((await c.next()).headers['receipt-id']).toBe('ca');
      const stored = await h.store.listMessages(room.id, { after: 0, limit: 20 });
      expect(stored.filter((m) => m.type === 'text').map((m) => m.text)).toEqual(['p0', 'p1', 'p2', 'p3', 'a0', 'a1', 'a2', 'a3', 'a4']);
    });

    it('refuses SUBSCRIBE to a public room the user has not joined (ERROR, no subscription)', async () => {
      const room = await h.createRoom(bob);
      const c = await connect(alice);
      c.send(`SUBSCRIBE\nid:x\ndestination:/topic/rooms/${room.id}\n\n${NUL}`);
      await expectFatal(c, /not a member/);
    });
  });
});
