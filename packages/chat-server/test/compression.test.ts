import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { perMessageDeflateOptions } from '../src/gateway/endpoints.js';
import { compressedFrameHeader, SharedDeflate } from '../src/gateway/shared-deflate.js';
import { constants, inflateRawSync } from 'node:zlib';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { RawStompClient } from './support/raw-client.js';
import { STOMP_SUBPROTOCOLS } from './support/stomp-clients.js';

/** A STOMP client over a socket that offers permessage-deflate (or not), subscribed to a room. */
async function subscriber(
  h: Harness,
  user: TestUser,
  roomId: string,
  offerDeflate: boolean | { serverMaxWindowBits: number },
): Promise<{ client: RawStompClient; socket: WebSocket; negotiated: string }> {
  const socket = new WebSocket(h.wsUrl, STOMP_SUBPROTOCOLS, { perMessageDeflate: offerDeflate });
  let negotiated = '';
  socket.once('upgrade', (response) => (negotiated = String(response.headers['sec-websocket-extensions'] ?? '')));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const client = RawStompClient.wrap(socket);
  client.send(`CONNECT\naccept-version:1.2\nhost:chorus\nAuthorization:Bearer ${user.token}\n\n\0`);
  expect((await client.next()).command).toBe('CONNECTED');
  client.send(`SUBSCRIBE\nid:0\ndestination:/topic/rooms/${roomId}\nreceipt:r\n\n\0`);
  expect((await client.next()).command).toBe('RECEIPT');
  return { client, socket, negotiated };
}

/** Bytes the client's TCP socket read while `fn` ran and its frame arrived. */
async function bytesForNextFrame(client: RawStompClient, socket: WebSocket, fn: () => Promise<unknown>): Promise<{ bytes: number; body: string }> {
  const tcp = (socket as unknown as { _socket: { bytesRead: number } })._socket;
  const before = tcp.bytesRead;
  await fn();
  const frame = await client.next();
  return { bytes: tcp.bytesRead - before, body: frame.body };
}

describe('permessage-deflate on /ws (WS_COMPRESSION)', () => {
  let h: Harness | undefined;
  const clients: RawStompClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await h?.close();
    h = undefined;
  });

  // Compressible, as chat text often is, and over the default 1 KiB threshold.
  const text = 'the quick brown fox jumps over the lazy dog; '.repeat(60);

  it('is off by default: a client offering it gets plain frames', async () => {
    h = await startHarness();
    const alice = await h.createUser('alice');
    const room = await h.createRoom(alice);
    const { client, socket } = await subscriber(h, alice, room.id, true);
    clients.push(client);
    expect(socket.extensions).toBe('');
    const { bytes, body } = await bytesForNextFrame(client, socket, () => h!.chat.send(alice, room.id, text, 'http'));
    expect(JSON.parse(body).text).toBe(text);
    expect(bytes).toBeGreaterThan(text.length);
  });

  it('when on, compresses large frames for clients that offer it, without context takeover', async () => {
    h = await startHarness({ env: { WS_COMPRESSION: 'true' } });
    const alice = await h.createUser('alice');
    const room = await h.createRoom(alice);
    const { client, socket, negotiated } = await subscriber(h, alice, room.id, true);
    clients.push(client);
    expect(negotiated).toContain('permessage-deflate');
    expect(negotiated).toContain('server_no_context_takeover');
    expect(negotiated).toContain('client_no_context_takeover');
    // No window is imposed on the client in the handshake (see perMessageDeflateOptions).
    expect(negotiated).not.toContain('max_window_bits');
    const { bytes, body } = await bytesForNextFrame(client, socket, () => h!.chat.send(alice, room.id, text, 'http'));
    expect(JSON.parse(body).text).toBe(text);
    expect(bytes).toBeLessThan(text.length / 4);
    // The client's own compressed SENDs are inflated and stored like any other.
    client.send(`SEND\ndestination:/app/rooms/${room.id}\ncontent-type:text/plain\nreceipt:s\n\n${text}\0`);
    const frames = [await client.next(), await client.next()];
    expect(frames.map((f) => f.command).sort()).toEqual(['MESSAGE', 'RECEIPT']);
    expect(JSON.parse(frames.find((f) => f.command === 'MESSAGE')!.body).text).toBe(text);
  });

  it('when on, sends every subscriber the same frames, compressed once, in order with the small ones', async () => {
    h = await startHarness({ env: { WS_COMPRESSION: 'true' } });
    const alice = await h.createUser('alice');
    const room = await h.createRoom(alice);
    const subscribers = [];
    for (let i = 0; i < 3; i++) subscribers.push(await subscriber(h, alice, room.id, true));
    // A client that asks for a smaller window than the server's is compressed by ws itself.
    subscribers.push(await subscriber(h, alice, room.id, { serverMaxWindowBits: 9 }));
    // Firefox offers plain "permessage-deflate", without client_max_window_bits.
    subscribers.push(await subscriber(h, alice, room.id, { clientMaxWindowBits: false } as never));
    clients.push(...subscribers.map((s) => s.client));
    expect(subscribers[3]!.negotiated).toContain('server_max_window_bits=9');
    expect(subscribers[4]!.negotiated).toContain('permessage-deflate');
    const texts = ['short one', text, 'another short', text.toUpperCase(), 'end'];
    for (const t of texts) await h.chat.send(alice, room.id, t, 'http');
    for (const { client } of subscribers) {
      const received = [];
      for (let i = 0; i < texts.length; i++) received.push(JSON.parse((await client.next()).body).text);
      expect(received).toEqual(texts);
    }
  });

  it('when on, serves clients that do not offer it uncompressed', async () => {
    h = await startHarness({ env: { WS_COMPRESSION: 'true' } });
    const alice = await h.createUser('alice');
    const room = await h.createRoom(alice);
    const { client, socket } = await subscriber(h, alice, room.id, false);
    clients.push(client);
    expect(socket.extensions).toBe('');
    const { bytes, body } = await bytesForNextFrame(client, socket, () => h!.chat.send(alice, room.id, text, 'http'));
    expect(JSON.parse(body).text).toBe(text);
    expect(bytes).toBeGreaterThan(text.length);
  });

  it('frames a compressed payload as RFC 6455 says, and deflates a frame once however often it is sent', () => {
    expect([...compressedFrameHeader(125)]).toEqual([0xc1, 125]);
    expect([...compressedFrameHeader(126)]).toEqual([0xc1, 126, 0, 126]);
    expect([...compressedFrameHeader(65_535)]).toEqual([0xc1, 126, 0xff, 0xff]);
    expect([...compressedFrameHeader(65_536)]).toEqual([0xc1, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    const deflate = new SharedDeflate({ enabled: true, thresholdBytes: 1024, windowBits: 11, memLevel: 4, contextTakeover: false });
    const frame = Buffer.from(`MESSAGE\ndestination:/topic/rooms/x\n\n${text}\0`);
    const payload = deflate.payload(frame);
    expect(deflate.payload(frame)).toBe(payload);
    // RFC 7692 §7.2.2: the receiver appends the sync-flush tail the sender stripped.
    expect(inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH }).equals(frame)).toBe(true);
    expect(deflate.compresses(1023)).toBe(false);
    expect(deflate.compresses(1024)).toBe(true);
  });

  it('maps the settings onto ws options, and off onto false', () => {
    expect(perMessageDeflateOptions({ enabled: false, thresholdBytes: 1024, windowBits: 11, memLevel: 4, contextTakeover: false })).toBe(false);
    expect(perMessageDeflateOptions({ enabled: true, thresholdBytes: 512, windowBits: 9, memLevel: 2, contextTakeover: true })).toMatchObject({
      threshold: 512,
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      zlibDeflateOptions: { memLevel: 2 },
    });
  });
});
