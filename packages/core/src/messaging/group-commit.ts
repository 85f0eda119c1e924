export interface GroupCommitOptions<T, R> {
  /** Writes a batch in one round trip; result i answers item i. */
  commit(items: T[]): Promise<R[]>;
  /** Most items per commit (a submission is never split, so one may exceed it alone). */
  maxBatch: number;
  /** Commits allowed in flight at once; submissions queue behind them and form the next batch. */
  maxInFlight: number;
  /**
   * Whether a failed batch should be retried one submission at a time, so that one bad
   * submission fails only itself. False for failures every submission would share (the
   * database being down).
   */
  isolate(err: unknown): boolean;
  /** Called with each batch's item count (for metrics). */
  onBatch?(items: number): void;
  /**
   * Milliseconds a submission that finds the queue idle waits for others before it commits
   * (default 0: the next turn of the event loop). Submissions that queue behind a commit in
   * flight never wait longer than that commit.
   */
  lingerMs?: number;
}

interface Submission<T, R> {
  items: T[];
  resolve(results: R[]): void;
  reject(err: unknown): void;
}

/**
 * Group commit: concurrent callers' writes share one round trip (and one WAL flush)
 * instead of paying one each. Under light load a submission commits on the next turn
 * of the event loop, alone; under load, submissions that arrive while `maxInFlight`
 * commits are running are written together by the next one. Each submission commits
 * atomically with its batch, and its items stay together and in order.
 */
export class GroupCommit<T, R> {
  readonly #options: GroupCommitOptions<T, R>;
  readonly #queue: Array<Submission<T, R>> = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(options: GroupCommitOptions<T, R>) {
    if (options.maxBatch < 1 || options.maxInFlight < 1) throw new RangeError('maxBatch and maxInFlight must be at least 1');
    this.#options = options;
  }

  /** Commits `items` together (with other submissions); resolves with their results in order. */
  submit(items: T[]): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<R[]>((resolve, reject) => {
      this.#queue.push({ items, resolve, reject });
      this.#schedule();
    });
  }

  /** Submissions waiting for a commit slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Plans the next commit. `linger`: the queue was idle, so the first submission may wait
   * lingerMs for company; after a commit, what queued behind it goes at once.
   */
  #schedule(linger = true): void {
    if (this.#scheduled || this.#inFlight >= this.#options.maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    const run = () => {
      this.#scheduled = false;
      this.#pump();
    };
    // setImmediate runs after the current I/O phase: the SENDs read from every socket in this
    // turn of the event loop land in the same batch (also when a commit's reply arrives: the
    // other sockets read in that turn still join the next batch). A linger gathers the SENDs
    // of the next few turns as well, so that a lightly loaded database pays one statement,
    // one WAL flush and one wake-up (and the broker one write) for several sends, not each.
    const lingerMs = linger ? (this.#options.lingerMs ?? 0) : 0;
    if (lingerMs > 0) setTimeout(run, lingerMs);
    else setImmediate(run);
  }

  #pump(): void {
    while (this.#inFlight < this.#options.maxInFlight && this.#queue.length > 0) {
      const batch = this.#take();
      this.#inFlight++;
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#schedule(false);
      });
    }
  }

  #take(): Array<Submission<T, R>> {
    const batch = [this.#queue.shift()!];
    let size = batch[0]!.items.length;
    while (this.#queue.length > 0 && size + this.#queue[0]!.items.length <= this.#options.maxBatch) {
      const next = this.#queue.shift()!;
      size += next.items.length;
      batch.push(next);
    }
    return batch;
  }

  async #run(batch: Array<Submission<T, R>>): Promise<void> {
    try {
      await this.#commit(batch);
    } catch (err) {
      if (batch.length === 1 || !this.#options.isolate(err)) {
        for (const submission of batch) submission.reject(err);
        return;
      }
      for (const submission of batch) {
        await this.#commit([submission]).catch((alone: unknown) => submission.reject(alone));
      }
    }
  }

  async #commit(batch: Array<Submission<T, R>>): Promise<void> {
    const items = batch.length === 1 ? batch[0]!.items : batch.flatMap((s) => s.items);
    this.#options.onBatch?.(items.length);
    const results = await this.#options.commit(items);
    if (results.length !== items.length) throw new Error(`group commit returned ${results.length} results for ${items.length} items`);
    let offset = 0;
    for (const submission of batch) {
      submission.resolve(results.slice(offset, offset + submission.items.length));
      offset += submission.items.length;
    }
  }
}

export interface LanedGroupCommitOptions<T, R> extends Omit<GroupCommitOptions<T, R>, 'maxInFlight'> {
  /** Independent lanes, each with one commit in flight. */
  lanes: number;
  /** The key a submission's lane is chosen by (a room id): equal keys always share a lane. */
  keyOf(items: T[]): string;
}

/**
 * Group commit over `lanes` independent queues, a submission's lane chosen by its key
 * (the room). Two commits in flight never hold the same room's row lock, so they do
 * not queue behind each other's WAL flush (what capped a single queue's commits in
 * flight: every batch of many small rooms touched most of the rooms), and Postgres
 * can flush their commits together. Submissions of one key commit one batch at a
 * time, in the order they were submitted.
 */
export class LanedGroupCommit<T, R> {
  readonly #lanes: Array<GroupCommit<T, R>>;
  readonly #keyOf: (items: T[]) => string;

  constructor(options: LanedGroupCommitOptions<T, R>) {
    if (!Number.isInteger(options.lanes) || options.lanes < 1) throw new RangeError('lanes must be a positive integer');
    const { lanes, keyOf, ...rest } = options;
    this.#keyOf = keyOf;
    this.#lanes = Array.from({ length: lanes }, () => new GroupCommit<T, R>({ ...rest, maxInFlight: 1 }));
  }

  submit(items: T[]): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    return this.#lanes[this.#lanes.length === 1 ? 0 : laneOf(this.#keyOf(items), this.#lanes.length)]!.submit(items);
  }

  /** Submissions waiting for a commit slot, over all lanes. */
  get queued(): number {
    return this.#lanes.reduce((n, lane) => n + lane.queued, 0);
  }
}

/** FNV-1a over the key's UTF-16 code units: cheap, and spreads UUIDs evenly. */
export function laneOf(key: string, lanes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}
