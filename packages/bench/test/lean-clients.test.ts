import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketIoServer } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { LeanSocketIoClient } from '../src/clients/lean-socketio.js';
import { LeanStompClient } from '../src/clients/lean-stomp.js';

/** A tiny STOMP server: enough of the protocol to exercise the lean client's parser. */
function tinyStompServer(onFrame: (socket: WebSocket, frame: string) => void): Promise<{ url: string; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = wss.address() as AddressInfo;
      resolve({
        url: `ws://127.0.0.1:${port}`,
        close: () =>
          new Promise((r) => {
            for (const client of wss.clients) client.terminate();
            wss.close(() => r());
          }),
      });
    });
    wss.on('connection', (socket) => {
      socket.on('message', (data: Buffer) => {
        for (const frame of data.toString().split('\0')) if (frame.trim() !== '') onFrame(socket, frame.replace(/^\n+/, ''));
      });
    });
  });
}

const header = (frame: string, name: string) => new RegExp(`\\n${name}:([^\\n]*)`).exec(frame)?.[1];
const message = (sentAt: number, id: number) =>
  `MESSAGE\ndestination:/topic/rooms/r\nmessage-id:${id}\nsubscription:sub-0\ncontent-type:application/json\n\n` +
  JSON.stringify({ id: `m${id}`, roomId: 'r', seq: id, type: 'text', sender: { id: 'u', username: 'text' }, text: `${sentAt}|xxxx`, createdAt: 'now' }) +
  '\0';

describe('LeanStompClient', () => {
  let server: { url: string; close: () => Promise<void> };
  const frames: string[] = [];

  beforeAll(async () => {
    server = await tinyStompServer((socket, frame) => {
      frames.push(frame);
      const command = frame.split('\n')[0];
      if (command === 'CONNECT') {
        if (header(frame, 'Authorization') !== 'Bearer good') socket.send('ERROR\nmessage:invalid token\n\ninvalid token\0');
        else socket.send('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
      } else if (command === 'SUBSCRIBE') {
        socket.send(`RECEIPT\nreceipt-id:${header(frame, 'receipt')}\n\n\0`);
        // Two MESSAGE frames in one WebSocket message, with heart-beat EOLs around them.
        socket.send('\n' + message(1234.5, 1) + '\n' + message(99.25, 2));
      } else if (command === 'SEND') {
        if (header(frame, 'receipt')) socket.send(`RECEIPT\nreceipt-id:${header(frame, 'receipt')}\n\n\0`);
        if (frame.endsWith('fail')) socket.send('ERROR\nmessage:rate limited\n\nrate limited\0');
      }
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('connects with a bearer token, subscribes with a receipt and reads send stamps of MESSAGE frames', async () => {
    const stamps: number[] = [];
    const client = await LeanStompClient.connect({ url: server.url, token: 'good', onMessage: (t) => stamps.push(t) });
    await client.subscribe('/topic/rooms/r');
    await expect.poll(() => stamps).toEqual([1234.5, 99.25]);
    expect(frames.find((f) => f.startsWith('SUBSCRIBE'))).toContain('destination:/topic/rooms/r');
    const confirmed = await new Promise<Error | undefined>((resolve) => client.target('/app/rooms/r').publishConfirmed('42.5|x', resolve));
    expect(confirmed).toBeUndefined();
    expect(frames.at(-1)).toBe('SEND\ndestination:/app/rooms/r\ncontent-type:text/plain\nreceipt:r2\n\n42.5|x');
    client.close();
  });

  it('rejects the connect on ERROR and fails pending receipts when the server errors', async () => {
    await expect(LeanStompClient.connect({ url: server.url, token: 'bad' })).rejects.toThrow('STOMP ERROR: invalid token');
    const errors: string[] = [];
    const client = await LeanStompClient.connect({ url: server.url, token: 'good', onError: (m) => errors.push(m) });
    client.target('/app/rooms/r');
    const results = await new Promise<(Error | undefined)[]>((resolve) => {
      const out: (Error | undefined)[] = [];
      const done = (err?: Error) => {
        out.push(err);
        if (out.length === 2) resolve(out);
      };
      client.publishConfirmed('1|fail', done);
      client.publishConfirmed('2|never', done);
    });
    expect(results[0]).toBeUndefined(); // its RECEIPT came before the ERROR
    expect(results[1]?.message).toBe('STOMP ERROR: rate limited');
    expect(errors).toEqual(['STOMP ERROR: rate limited']);
    client.close();
  });
});

describe('LeanSocketIoClient', () => {
  let http: Server;
  let io: SocketIoServer;
  let url: string;

  beforeAll(async () => {
    http = createServer();
    io = new SocketIoServer(http, { transports: ['websocket'], serveClient: false });
    io.on('connection', (socket) => {
      socket.on('join', (room: string, ack: () => void) => {
        void socket.join(room);
        ack();
      });
      socket.on('pub', (room: string, payload: string) => io.to(room).emit('msg', payload));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => io.close(() => r()));
  });

  it('joins a room (acked) and reads stamps of broadcast messages from a real Socket.IO 4 server', async () => {
    const stamps: number[] = [];
    const member = await LeanSocketIoClient.connect(url, (t) => stamps.push(t));
    await member.join('room-a');
    const publisher = (await LeanSocketIoClient.connect(url)).target('room-a');
    publisher.publish('17.25|xxxx');
    publisher.publish('18|yy');
    await expect.poll(() => stamps).toEqual([17.25, 18]);
    member.close();
    publisher.close();
  });
});
