import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { PlainTextFrames, textFrameHeader } from '../src/gateway/websocket-frame.js';
import { WsTransport } from '../src/gateway/ws-transport.js';
import { HEARTBEAT_EOL } from '../src/protocol/codec/index.js';

/** A real ws server and client; resolves with the server-side transport and its socket. */
async function connectedPair(): Promise<{ transport: WsTransport; stream: Duplex; client: WebSocket; close: () => Promise<void> }> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  const accepted = new Promise<{ transport: WsTransport; stream: Duplex }>((resolve) => {
    http.on('upgrade', (req, socket: Duplex, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => resolve({ transport: new WsTransport(ws, socket), stream: socket }));
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`);
  await once(client, 'open');
  const { transport, stream } = await accepted;
  return {
    transport,
    stream,
    client,
    close: async () => {
      client.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

describe('WsTransport', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('coalesces the sends of one turn into one write, each still its own WebSocket message, in order', async () => {
    const pair = await connectedPair();
    close = pair.close;
    const received: string[] = [];
    const allArrived = new Promise<void>((resolve) =>
      pair.client.on('message', (data: Buffer) => {
        received.push(data.toString());
        if (received.length === 5) resolve();
      }),
    );
    for (let i = 1; i <= 3; i++) pair.transport.send(Buffer.from(`frame ${i}`));
    // Held in the socket until the end of this turn...
    expect(pair.stream.writableCorked).toBe(1);
    expect(pair.stream.writableLength).toBeGreaterThan(0);
    await new Promise((resolve) => process.nextTick(resolve));
    // ...then written out together.
    expect(pair.stream.writableCorked).toBe(0);
    pair.transport.send(Buffer.from('frame 4'));
    pair.transport.send(Buffer.from('frame 5'));
    await allArrived;
    expect(received).toEqual(['frame 1', 'frame 2', 'frame 3', 'frame 4', 'frame 5']);
  });

  it('writes a heart-beat at once, uncorked, and behind the frames of its turn when there are some', async () => {
    const pair = await connectedPair();
    close = pair.close;
    const received: string[] = [];
    const arrived = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => received.length >= count && resolve();
        pair.client.on('message', (data: Buffer) => {
          received.push(data.toString());
          check();
        });
      });
    const first = arrived(1);
    pair.transport.send(HEARTBEAT_EOL);
    expect(pair.stream.writableCorked).toBe(0); // not held for a flush tick
    await first;
    expect(received).toEqual(['\n']);

    pair.client.removeAllListeners('message');
    received.length = 0;
    const next = arrived(3);
    pair.transport.send(Buffer.from('frame 1'));
    pair.transport.send(HEARTBEAT_EOL); // corked behind frame 1, not ahead of it
    pair.transport.send(Buffer.from('frame 2'));
    await next;
    expect(received).toEqual(['frame 1', '\n', 'frame 2']);
  });

  it('flushes every client corked in a turn with one tick, as a fan-out does', async () => {
    const pairs = [await connectedPair(), await connectedPair(), await connectedPair()];
    close = async () => {
      for (const pair of pairs) await pair.close();
    };
    const arrived = pairs.map((pair) => once(pair.client, 'message'));
    for (const pair of pairs) pair.transport.send(Buffer.from('to everyone'));
    expect(pairs.map((pair) => pair.stream.writableCorked)).toEqual([1, 1, 1]);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(pairs.map((pair) => pair.stream.writableCorked)).toEqual([0, 0, 0]);
    const messages = await Promise.all(arrived);
    expect(messages.map(([data]) => (data as Buffer).toString())).toEqual(['to everyone', 'to everyone', 'to everyone']);
  });

  it('closes cleanly while corked: the frames sent before close arrive, then the close code', async () => {
    const pair = await connectedPair();
    close = pair.close;
    const received: string[] = [];
    pair.client.on('message', (data: Buffer) => received.push(data.toString()));
    const closed = once(pair.client, 'close');
    pair.transport.send(Buffer.from('last words'));
    pair.transport.close(1012, 'service restart');
    const [code] = (await closed) as [number];
    expect(code).toBe(1012);
    expect(received).toEqual(['last words']);
  });

  it('frames every payload length class as ws would: 7-bit, 16-bit and 64-bit lengths, UTF-8 intact', async () => {
    const pair = await connectedPair();
    close = pair.close;
    const sizes = [0, 1, 125, 126, 127, 65_535, 65_536, 16 * 1024, 16 * 1024 + 1, 300_000];
    const payloads = sizes.map((size, i) => Buffer.from(('é' + String(i)).repeat(size).slice(0, size)));
    const received: Buffer[] = [];
    const allArrived = new Promise<void>((resolve) =>
      pair.client.on('message', (data: Buffer, isBinary: boolean) => {
        expect(isBinary).toBe(false);
        received.push(data);
        if (received.length === payloads.length) resolve();
      }),
    );
    for (const payload of payloads) pair.transport.send(payload);
    await allArrived;
    expect(received.map((data) => data.length)).toEqual(payloads.map((payload) => payload.length));
    received.forEach((data, i) => expect(data.equals(payloads[i]!)).toBe(true));
  });

  it('shares one framed buffer between the clients of a fan-out, and frames a new payload afresh', () => {
    const frames = new PlainTextFrames();
    const first = Buffer.from('MESSAGE\n\nhello\0');
    const framed = frames.for(first);
    expect(frames.for(first)).toBe(framed);
    expect([...framed[0]!]).toEqual([0x81, first.length, ...first]);
    const second = Buffer.from(first); // equal bytes, another frame: framed again, not confused
    expect(frames.for(second)).not.toBe(framed);
    expect([...textFrameHeader(70_000, false)]).toEqual([0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    const large = Buffer.alloc(20_000, 0x61);
    const [head, body] = frames.for(large);
    expect([...head!]).toEqual([0x81, 126, 0x4e, 0x20]);
    expect(body).toBe(large); // large payloads are not copied
  });

  it('keeps its frames in order with the control frames ws writes (ping), and sends nothing after close', async () => {
    const pair = await connectedPair();
    close = pair.close;
    const events: string[] = [];
    pair.client.on('message', (data: Buffer) => events.push(`message ${data.toString()}`));
    pair.client.on('ping', (data: Buffer) => events.push(`ping ${data.toString()}`));
    const closed = once(pair.client, 'close');
    pair.transport.send(Buffer.from('one'));
    (pair.transport as unknown as { socket: WebSocket }).socket.ping('between');
    pair.transport.send(Buffer.from('two'));
    pair.transport.close(1000, 'bye');
    pair.transport.send(Buffer.from('after close'));
    const [code] = (await closed) as [number];
    expect(code).toBe(1000);
    expect(events).toEqual(['message one', 'ping between', 'message two']);
  });
});
