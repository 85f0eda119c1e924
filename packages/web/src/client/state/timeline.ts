import type { Message } from '../api/types.js';

export interface AddResult {
  /** Messages that were new and now sit at the end, in order. */
  added: Message[];
  /** A message arrived past a hole: fetch everything after `newestSeq` to fill it. */
  gap: boolean;
}

/**
 * The loaded part of one room's history: a contiguous run of messages by seq
 * (seq is gap-free per room). Live messages, replays and REST pages may
 * overlap or arrive out of order; this keeps them deduplicated and in order,
 * and says when a hole has to be filled from history.
 */
export class Timeline {
  #messages: Message[] = [];
  #loaded = false;
  #reachedStart = false;

  /** Whether the latest page has been loaded (until then, live messages are not kept). */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** No older messages exist than the first loaded one. */
  get reachedStart(): boolean {
    return this.#reachedStart;
  }

  get messages(): readonly Message[] {
    return this.#messages;
  }

  /** Seq of the oldest loaded message, or null when empty. */
  get oldestSeq(): number | null {
    return this.#messages[0]?.seq ?? null;
  }

  /** Seq of the newest loaded message, 0 when the loaded room is empty. */
  get newestSeq(): number {
    return this.#messages.at(-1)?.seq ?? 0;
  }

  /** Installs the latest page (ascending), fetched with `limit`. */
  loadLatest(page: readonly Message[], limit: number): void {
    this.#messages = sortedUnique(page);
    this.#loaded = true;
    this.#reachedStart = page.length < limit || this.#messages[0]?.seq === 1;
  }

  /** Adds an older page (ascending, fetched with before = oldestSeq); returns the messages put in front. */
  prependOlder(page: readonly Message[], limit: number): Message[] {
    const oldest = this.oldestSeq ?? Number.POSITIVE_INFINITY;
    const older = sortedUnique(page).filter((m) => m.seq < oldest);
    // Keep the run contiguous: drop anything that would leave a hole before the current oldest.
    const kept: Message[] = [];
    let expected = oldest;
    for (let i = older.length - 1; i >= 0; i--) {
      const message = older[i]!;
      if (Number.isFinite(expected) && message.seq !== expected - 1) break;
      kept.unshift(message);
      expected = message.seq;
    }
    this.#messages = [...kept, ...this.#messages];
    if (page.length < limit || this.#messages[0]?.seq === 1) this.#reachedStart = true;
    return kept;
  }

  /** Adds live, replayed or fetched newer messages. */
  addNewer(incoming: readonly Message[]): AddResult {
    const added: Message[] = [];
    let gap = false;
    for (const message of sortedUnique(incoming)) {
      const newest = this.newestSeq;
      if (message.seq <= newest) continue;
      if (message.seq !== newest + 1) {
        gap = true;
        break;
      }
      this.#messages.push(message);
      added.push(message);
    }
    return { added, gap };
  }
}

function sortedUnique(messages: readonly Message[]): Message[] {
  const bySeq = new Map<number, Message>();
  for (const message of messages) bySeq.set(message.seq, message);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
