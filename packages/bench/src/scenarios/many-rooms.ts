import { cpuMsPer1k, DeliveryMeter, limitNote, sleep, waitFor, WindowMeter } from '../meter.js';
import type { Progress } from '../progress.js';
import type { ResultRow } from '../results.js';
import { round } from '../stats.js';
import { LoadPool } from '../load/pool.js';
import type { Target } from '../targets/target.js';

export interface ManyRoomsOptions {
  rooms: number;
  members: number;
  /** Total messages/s over all members (each member sends occasionally). */
  messagesPerSecond: number;
  seconds: number;
  messageBytes: number;
  /** Threads the members are spread over (0: this thread). */
  loadWorkers: number;
  /** Interleaved rounds per target (main.ts); each run here is one. */
  rounds: number;
}

/** R rooms × M members; every member subscribes to its room and sends now and then. */
export async function runManyRooms(target: Target, options: ManyRoomsOptions, progress: Progress, roundLabel = ''): Promise<ResultRow> {
  const label = `many-rooms ${target.name}${roundLabel}`;
  const rooms = await target.setupRooms(options.rooms, options.members, (d, t) => progress.update(`${label}: setup ${d}/${t}`));
  const meter = new DeliveryMeter();
  const pool = await LoadPool.start(options.loadWorkers, meter);
  try {
    const slots = rooms.flatMap((room) => Array.from({ length: options.members }, (_, member) => ({ room, member })));
    progress.update(`${label}: ${slots.length} members over ${Math.max(1, options.loadWorkers)} load thread(s)`);
    const members = await pool.open(
      slots.map(({ room, member }) => target.spec({ replica: 0, room, member, subscribe: true })),
      { concurrency: 64 },
    );
    const window = new WindowMeter(target.pids, meter, pool);
    progress.update(`${label}: ${options.messagesPerSecond} messages/s over ${members.opened} members`);
    // Each thread sends its share of the rate from its own members, shuffled over rooms.
    await pool.startPublishing(options.messagesPerSecond, options.messageBytes);
    await sleep(1000);
    window.start();
    await sleep(options.seconds * 1000);
    const w = window.stop();
    const lat = w.latency;
    const { sent, dropped, firstDropReason } = await pool.stopPublishing();
    const expected = sent * options.members;
    await waitFor(() => meter.received >= expected, 5000);
    const offered = options.messagesPerSecond * options.members;
    const notes: string[] = [];
    const deliveriesPerSec = w.deliveries / w.seconds;
    if (deliveriesPerSec < 0.95 * offered) notes.push(`fell behind: offered ${offered} deliveries/s`);
    if (meter.received < expected) notes.push(`${expected - meter.received} deliveries missing after 5 s`);
    if (dropped > 0) notes.push(`${dropped} member connections ended by the server: ${firstDropReason}`);
    const limit = limitNote(w);
    if (limit) notes.push(limit);
    return {
      scenario: 'many-rooms',
      target: target.name,
      variant: `${options.rooms}×${options.members}`,
      deliveriesPerSec: Math.round(deliveriesPerSec),
      p50Ms: lat.p50,
      p99Ms: lat.p99,
      maxMs: lat.max,
      ...(target.pids.length > 0 ? { cpuMsPer1kDeliveries: round(cpuMsPer1k(w), 3) } : {}),
      extra: { connections: members.opened, offeredDeliveriesPerSec: offered, loadWorkers: options.loadWorkers },
      notes,
    };
  } finally {
    await pool.stop();
  }
}
