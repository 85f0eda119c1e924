import type { LoadConnection } from '../clients/connection.js';
import { cpuMsPer1k, DeliveryMeter, limitNote, sleep, waitFor, WindowMeter } from '../meter.js';
import type { Progress } from '../progress.js';
import { RatePublisher } from '../publisher.js';
import type { ResultRow } from '../results.js';
import { round } from '../stats.js';
import { inPool, type Target } from '../targets/target.js';

export interface ManyRoomsOptions {
  rooms: number;
  members: number;
  /** Total messages/s over all members (each member sends occasionally). */
  messagesPerSecond: number;
  seconds: number;
  messageBytes: number;
}

/** R rooms × M members; every member subscribes to its room and sends now and then. */
export async function runManyRooms(target: Target, options: ManyRoomsOptions, progress: Progress): Promise<ResultRow> {
  const label = `many-rooms ${target.name}`;
  const rooms = await target.setupRooms(options.rooms, options.members, (d, t) => progress.update(`${label}: setup ${d}/${t}`));
  const meter = new DeliveryMeter();
  const members: LoadConnection[] = [];
  try {
    const slots = rooms.flatMap((room) => Array.from({ length: options.members }, (_, member) => ({ room, member })));
    let opened = 0;
    await inPool(slots, 64, async ({ room, member }) => {
      members.push(await target.connect({ replica: 0, room, member, subscribe: true, onMessage: meter.onMessage }));
      if (++opened % 250 === 0) progress.update(`${label}: ${opened}/${slots.length} members connected`);
    });
    // Shuffle so consecutive sends go to different rooms.
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    const publisher = new RatePublisher(members, options.messageBytes);
    const window = new WindowMeter(target.pids, meter);
    progress.update(`${label}: ${options.messagesPerSecond} messages/s over ${members.length} members`);
    publisher.start(options.messagesPerSecond);
    await sleep(1000);
    window.start();
    await sleep(options.seconds * 1000);
    const w = window.stop();
    const lat = meter.latency.summary();
    publisher.stop();
    const expected = publisher.sent * options.members;
    await waitFor(() => meter.received >= expected, 5000);
    const offered = options.messagesPerSecond * options.members;
    const notes: string[] = [];
    const deliveriesPerSec = w.deliveries / w.seconds;
    if (deliveriesPerSec < 0.95 * offered) notes.push(`fell behind: offered ${offered} deliveries/s`);
    if (meter.received < expected) notes.push(`${expected - meter.received} deliveries missing after 5 s`);
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
      cpuMsPer1kDeliveries: round(cpuMsPer1k(w), 3),
      extra: { connections: members.length, offeredDeliveriesPerSec: offered },
      notes,
    };
  } finally {
    for (const c of members) c.close();
  }
}
