import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { WsTransport } from '../src/gateway/ws-transport.js';

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
});
