import type { LoadConnection } from '../clients/connection.js';
import { stampedProse } from '../clients/payload.js';
import { cpuMsPer1k, DeliveryMeter, sleep, waitFor, WindowMeter } from '../meter.js';
import { histogramDelta, quantileAtMost } from '../prom-histogram.js';
import { sampleProcesses } from '../proc-stats.js';
import type { Progress } from '../progress.js';
import { RatePublisher } from '../publisher.js';
import type { ResultRow } from '../results.js';
import { round } from '../stats.js';
import type { Target } from '../targets/target.js';

export interface CompressionOptions {
  /** Subscribers in the room, all offering permessage-deflate as browsers do. */
  subscribers: number;
  messagesPerSecond: number;
  /** Text size; above the default WS_COMPRESSION_THRESHOLD_BYTES (1024) so that it is compressed. */
  messageBytes: number;
  seconds: number;
}

/**
 * permessage-deflate on and off, on the same room: bytes on the wire per delivery (read by the
 * clients' sockets), server CPU per delivery, latency, and the memory each connection keeps
 * after it has received compressed messages (the zlib state ws holds per connection: the known
 * memory trap of compression). Run once per variant, on a server started with that setting.
 */
export async function runCompression(target: Target, variant: 'off' | 'on', options: CompressionOptions, progress: Progress): Promise<ResultRow> {
  const label = `compression ${variant}`;
  const [room] = await target.setupRooms(1, options.subscribers + 1, (d, t) => progress.update(`${label}: setup ${d}/${t}`));
  const meter = new DeliveryMeter();
  const clients: LoadConnection[] = [];
  try {
    await target.collectGarbage();
    const before = sampleProcesses(target.pids);
    const heapBefore = await target.heapUsedBytes();
    for (let i = 0; i < options.subscribers; i++) {
      clients.push(await target.connect({ replica: 0, room: room!, member: i, subscribe: true, compression: true, onMessage: meter.onMessage }));
      if (i % 50 === 0) progress.update(`${label}: ${i}/${options.subscribers} subscribers`);
    }
    const sender = await target.connect({ replica: 0, room: room!, member: options.subscribers, subscribe: false, compression: true });
    clients.push(sender);
    const publisher = new RatePublisher([sender], options.messageBytes, stampedProse);
    const readBytes = () => clients.reduce((sum, c) => sum + (c.bytesRead?.() ?? 0), 0);
    progress.update(`${label}: ${options.messagesPerSecond} msg/s of ${options.messageBytes} bytes to ${options.subscribers} subscribers`);
    publisher.start(options.messagesPerSecond);
    await sleep(1000);
    const window = new WindowMeter(target.pids, meter);
    const bytes0 = readBytes();
    const fanout0 = await target.fanoutLatency?.();
    window.start();
    await sleep(options.seconds * 1000);
    const w = window.stop();
    const fanout1 = await target.fanoutLatency?.();
    const serverFanout = fanout0 && fanout1 ? histogramDelta(fanout0, fanout1) : undefined;
    const wireBytes = readBytes() - bytes0;
    publisher.stop();
    await waitFor(() => meter.received >= publisher.sent * options.subscribers, 5000);
    // What the connections keep once the traffic stops: their zlib contexts, if any.
    await sleep(1000);
    await target.collectGarbage();
    const after = sampleProcesses(target.pids);
    const heapAfter = await target.heapUsedBytes();
    const n = clients.length;
    return {
      scenario: 'compression',
      target: target.name,
      variant,
      deliveriesPerSec: Math.round(w.deliveries / w.seconds),
      p50Ms: w.latency.p50,
      p99Ms: w.latency.p99,
      maxMs: w.latency.max,
      cpuMsPer1kDeliveries: round(cpuMsPer1k(w), 3),
      rssKbPerConn: round((after.rssBytes - before.rssBytes) / 1024 / n, 1),
      heapKbPerConn: round((heapAfter - heapBefore) / 1024 / n, 1),
      extra: {
        wireBytesPerDelivery: w.deliveries > 0 ? Math.round(wireBytes / w.deliveries) : 0,
        messageBytes: options.messageBytes,
        subscribers: options.subscribers,
        ...(serverFanout && serverFanout.count > 0
          ? { serverFanoutMeanMs: round((serverFanout.sum / serverFanout.count) * 1000, 2), serverFanoutP99AtMostMs: boundMs(quantileAtMost(serverFanout, 0.99)) }
          : {}),
      },
      notes: [
        `${options.subscribers} subscribers offering permessage-deflate, ${options.messagesPerSecond} msg/s of ${options.messageBytes}-byte prose; WS_COMPRESSION=${variant === 'on' ? 'true' : 'false'} (defaults otherwise); memory per connection after the traffic, GC'd`,
        'p50/p99/max: measured by the clients, which inflate in one thread of the bench (ws: zlib on libuv\'s pool), so with compression on they include the load generator\'s queue; serverFanout*: the server\'s own stored → written to every subscriber (chorus_fanout_latency_seconds over the window; p99 as its bucket\'s upper bound)',
      ],
    };
  } finally {
    for (const c of clients) c.close();
  }
}

/** A bucket bound in ms; past the last finite bucket, the text says so. */
function boundMs(seconds: number | undefined): number | string {
  if (seconds === undefined) return 'none';
  return Number.isFinite(seconds) ? round(seconds * 1000, 1) : 'above the last bucket';
}
