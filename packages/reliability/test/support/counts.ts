import type { RoomReader, Sender } from './clients.js';

export interface DeliveryCounts {
  sent: number;
  acknowledged: number;
  refused: number;
  unacknowledged: number;
  stored: number;
  subscribers: number;
  /** Per subscriber, summed: distinct messages received. */
  received: number;
  /** Acknowledged messages some subscriber never received (summed over subscribers). */
  lost: number;
  /** Frames carrying a message id the subscriber had already received. */
  duplicated: number;
  /** Messages that did not arrive as exactly last seq + 1. */
  outOfOrder: number;
  /** Refused messages that were nevertheless delivered (must be 0: never half-delivered). */
  refusedButDelivered: number;
  reconnects: number;
}

/** What the senders and subscribers of one scenario counted, checked against the room's stored seqs. */
export function countDeliveries(senders: Sender[], readers: RoomReader[], storedLastSeq: number): DeliveryCounts {
  const acked = senders.flatMap((s) => s.acked);
  const refused = senders.flatMap((s) => s.refused.map((r) => r.text));
  let lost = 0;
  let refusedButDelivered = 0;
  for (const reader of readers) {
    for (const text of acked) if (!reader.texts.has(text)) lost++;
    for (const text of refused) if (reader.texts.has(text)) refusedButDelivered++;
  }
  return {
    sent: senders.reduce((n, s) => n + s.acked.length + s.refused.length + s.unacknowledged.length, 0),
    acknowledged: acked.length,
    refused: refused.length,
    unacknowledged: senders.reduce((n, s) => n + s.unacknowledged.length, 0),
    stored: storedLastSeq,
    subscribers: readers.length,
    received: readers.reduce((n, r) => n + r.seqs.length, 0),
    lost,
    duplicated: readers.reduce((n, r) => n + r.duplicates, 0),
    outOfOrder: readers.reduce((n, r) => n + r.orderErrors, 0),
    refusedButDelivered,
    reconnects: readers.reduce((n, r) => n + r.reconnects, 0) + senders.reduce((n, s) => n + s.reconnects, 0),
  };
}

/** Prints one line of counts (shown in the `pnpm test` output). */
export function report(scenario: string, counts: object): void {
  const line = Object.entries(counts)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
  process.stdout.write(`[reliability] ${scenario}: ${line}\n`);
}
