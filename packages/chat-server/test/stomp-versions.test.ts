import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { RawStompClient } from './support/raw-client.js';

const NUL = '\0';

describe('version-specific escaping and subprotocols on a live /ws endpoint', () => {
  let h: Harness;
  let alice: TestUser;
  const open: RawStompClient[] = [];

  beforeAll(async () => {
    h = await startHarness();
    alice = await h.createUser('alice');
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function connect(version: string): Promise<RawStompClient> {
    const c = await RawStompClient.open(h.wsUrl);
    open.push(c);
    c.send(`CONNECT\naccept-version:${version}\nhost:chorus\nAuthorization:Bearer ${alice.token}\n\n${NUL}`);
    const connected = await c.next();
    expect(connected).toMatchObject({ command: 'CONNECTED', headers: { version } });
    return c;
  }

  it('1.0: a header with backslashes and colons is taken and echoed as it is', async () => {
    const c = await connect('1.0');
    c.send(`SUBSCRIBE\nid:errors\ndestination:/user/queue/errors\nreceipt:C:\\temp\\x\n\n${NUL}`);
    const receipt = await c.next();
    expect(receipt.command).toBe('RECEIPT');
    // The raw client does not unescape: this is the header exactly as written on the wire.
    expect(receipt.headers['receipt-id']).toBe('C:\\temp\\x');
  });

  it('1.0: a subscription id with ":" is refused clearly (MESSAGE frames escape it as 1.2 does)', async () => {
    const c = await connect('1.0');
    c.send(`SUBSCRIBE\nid:a:b\ndestination:/user/queue/errors\n\n${NUL}`);
    const error = await c.next();
    expect(error.command).toBe('ERROR');
    expect(error.headers['message']).toMatch(/STOMP 1.0 a subscription id cannot contain/);
  });

  it('1.1: escapes are decoded and encoded, except \\r', async () => {
    const c = await connect('1.1');
    c.send(`SUBSCRIBE\nid:errors\ndestination:/user/queue/errors\nreceipt:a\\cb\\\\c\n\n${NUL}`);
    expect((await c.next()).headers['receipt-id']).toBe('a\\cb\\\\c');
    c.send(`SUBSCRIBE\nid:e2\ndestination:/user/queue/errors\nreceipt:a\\rb\n\n${NUL}`);
    const error = await c.next();
    expect(error.command).toBe('ERROR');
    expect(error.headers['message']).toMatch(/invalid escape/);
  });

  it('1.2: all four escapes round-trip', async () => {
    const c = await connect('1.2');
    c.send(`SUBSCRIBE\nid:errors\ndestination:/user/queue/errors\nreceipt:a\\cb\\rc\\nd\n\n${NUL}`);
    expect((await c.next()).headers['receipt-id']).toBe('a\\cb\\rc\\nd');
  });

  describe('WebSocket subprotocols', () => {
    function handshake(protocols: string[]): Promise<{ protocol: string } | { status: number; body: string }> {
      return new Promise((resolve, reject) => {
        const socket = new WebSocket(h.wsUrl, protocols);
        socket.once('open', () => {
          resolve({ protocol: socket.protocol });
          socket.terminate();
        });
        socket.once('unexpected-response', (_req, res: IncomingMessage) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        socket.once('error', reject);
      });
    }

    it('selects v12.stomp first, then accepts the common aliases (plain "stomp")', async () => {
      expect(await handshake(['v10.stomp', 'v12.stomp'])).toEqual({ protocol: 'v12.stomp' });
      expect(await handshake(['stomp'])).toEqual({ protocol: 'stomp' });
      expect(await handshake(['mqtt', 'v1.2.stomp'])).toEqual({ protocol: 'v1.2.stomp' });
      expect(await handshake([])).toEqual({ protocol: '' });
    });

    it('refuses an upgrade that offers only unknown subprotocols with 400 and a reason', async () => {
      const reply = await handshake(['mqtt', 'wamp']);
      expect(reply).toMatchObject({ status: 400 });
      expect((reply as { body: string }).body).toMatch(/unsupported WebSocket subprotocol "mqtt, ?wamp": offer v12.stomp/);
    });

    it('a client that offered only "stomp" speaks STOMP normally', async () => {
      const socket = new WebSocket(h.wsUrl, ['stomp']);
      const first = new Promise<string>((resolve) => socket.once('message', (data: Buffer) => resolve(data.toString())));
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(`CONNECT\naccept-version:1.2\nhost:x\nAuthorization:Bearer ${alice.token}\n\n${NUL}`);
      expect(await first).toMatch(/^CONNECTED\n/);
      socket.terminate();
    });
  });
});
