import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { stampedText } from '../src/clients/payload.js';
import type { ConnectSpec } from '../src/clients/spec.js';
import { defaultLoadWorkers, LoadPool, loopbackAddresses } from '../src/load/pool.js';
import { DeliveryMeter, WindowMeter } from '../src/meter.js';

/** A raw-ws echo room: every message from a publisher goes to every receiver; records each peer's source address. */
function roomServer(): Promise<{ port: number; peers: string[]; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const peers: string[] = [];
    const wss: WebSocketServer = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () =>
      resolve({
        port: (wss.address() as AddressInfo).port,
        peers,
        close: () =>
          new Promise((r) => {
            for (const c of wss.clients) c.terminate();
            wss.close(() => r());
          }),
      }),
    );
    const receivers = new Set<WebSocket>();
    wss.on('connection', (socket, req) => {
      peers.push(req.socket.remoteAddress ?? '');
      if (!req.url?.includes('pub=1')) receivers.add(socket);
      socket.on('close', () => receivers.delete(socket));
      socket.on('message', (data: Buffer) => {
        for (const r of receivers) r.send(data);
      });
    });
  });
}

describe('LoadPool', () => {
  let server: Awaited<ReturnType<typeof roomServer>>;
  beforeAll(async () => {
    server = await roomServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('defaults to a quarter of the cores, between 1 and 8 workers', () => {
    expect([1, 2, 4, 7, 8, 16, 32, 128].map((c) => defaultLoadWorkers(c))).toEqual([1, 1, 1, 1, 2, 4, 8, 8]);
  });

  it('spreads connections over worker threads and source addresses, and merges their samples', async () => {
    const meter = new DeliveryMeter();
    const pool = await LoadPool.start(2, meter);
    try {
      server.peers.length = 0;
      const receiver: ConnectSpec = { kind: 'raw-ws', url: `ws://127.0.0.1:${server.port}/?room=a`, receive: true };
      const result = await pool.open(Array.from({ length: 300 }, () => receiver), { concurrency: 50, localAddresses: loopbackAddresses(3) });
      expect(result).toMatchObject({ opened: 300, failures: 0 });
      expect(result.connectMs).toHaveLength(300);
      expect(Math.min(...result.connectMs)).toBeGreaterThan(0);
      const byAddress = new Map<string, number>();
      for (const p of server.peers) byAddress.set(p, (byAddress.get(p) ?? 0) + 1);
      expect(Object.fromEntries(byAddress)).toEqual({ '127.0.0.1': 100, '127.0.0.2': 100, '127.0.0.3': 100 });

      // One publisher in this thread: each message reaches all 300 receivers, in both workers.
      const publisher = await LoadPool.start(0, new DeliveryMeter());
      await publisher.open([{ kind: 'raw-ws', url: `ws://127.0.0.1:${server.port}/?room=a&pub=1`, receive: false }], { concurrency: 1 });
      const window = new WindowMeter([], meter, pool);
      window.start();
      await publisher.startPublishing(200, 64);
      await expect.poll(() => meter.received, { timeout: 10_000 }).toBeGreaterThanOrEqual(300 * 20);
      const { sent, dropped } = await publisher.stopPublishing();
      expect(dropped).toBe(0);
      await expect.poll(() => meter.received, { timeout: 10_000 }).toBe(sent * 300);
      const w = window.stop();
      await publisher.stop();
      // The window holds every sample of both workers: counts add up, percentiles come from the merged buckets.
      expect(w.deliveries).toBe(sent * 300);
      expect(w.latency.count).toBe(sent * 300);
      expect(w.latency.p50).toBeGreaterThan(0);
      expect(w.latency.p99).toBeGreaterThanOrEqual(w.latency.p50);
      expect(w.latency.max).toBeGreaterThanOrEqual(w.latency.p99);
      expect(w.loadgenBusy).toBeGreaterThan(0);
      expect(meter.bad).toBe(0);
    } finally {
      await pool.stop();
    }
  });

  it('counts failures without throwing when failures are allowed (connect storm)', async () => {
    const pool = await LoadPool.start(1, new DeliveryMeter());
    try {
      const bad: ConnectSpec = { kind: 'raw-ws', url: 'ws://127.0.0.1:1/', receive: true };
      const result = await pool.open([bad, bad, bad], { concurrency: 1, maxFailures: 2 });
      expect(result.opened).toBe(0);
      expect(result.failures).toBe(2);
      expect(result.firstError).toMatch(/ECONNREFUSED/);
      await expect(pool.open([bad], { concurrency: 1 })).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await pool.stop();
    }
  });
});

describe('LoadPool with STOMP connections the server ends', () => {
  it('counts connections ended by a server ERROR (a send limit) and keeps the first reason', async () => {
    let closed = 0;
    const wss: WebSocketServer = await new Promise((resolve) => {
      const server: WebSocketServer = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () => resolve(server));
    });
    wss.on('connection', (socket) => {
      socket.on('close', () => closed++);
      socket.on('message', (data: Buffer) => {
        const frame = data.toString();
        if (frame.startsWith('CONNECT')) socket.send('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
        else if (frame.startsWith('SEND')) socket.send('ERROR\nmessage:sending too fast; slow down\n\n\0');
      });
    });
    const pool = await LoadPool.start(1, new DeliveryMeter());
    try {
      const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
      const spec: ConnectSpec = { kind: 'stomp', url, token: 't', subscribe: null, publishTo: '/app/rooms/r', heartbeat: false };
      expect((await pool.open([spec, spec], { concurrency: 2 })).opened).toBe(2);
      await pool.startPublishing(200, 40);
      await expect.poll(() => closed, { timeout: 10_000 }).toBe(2);
      const result = await pool.stopPublishing();
      expect(result.dropped).toBe(2);
      expect(result.firstDropReason).toBe('STOMP ERROR: sending too fast; slow down');
    } finally {
      await pool.stop();
      await new Promise<void>((r) => wss.close(() => r()));
    }
  });
});

it('stamps are comparable across threads (shared clock origin)', () => {
  const stamp = Number(stampedText(40).split('|')[0]);
  expect(Math.abs(stamp - Date.now())).toBeLessThan(1000);
});
