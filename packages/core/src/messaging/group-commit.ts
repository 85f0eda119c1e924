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
  readonly #pumps = new PumpSchedule(() => this.#pump());

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
    if (this.#inFlight >= this.#options.maxInFlight || this.#queue.length === 0) return;
    this.#pumps.schedule(linger ? (this.#options.lingerMs ?? 0) : 0);
  }

  #pump(): void {
    while (this.#inFlight < this.#options.maxInFlight && this.#queue.length > 0) {
      const batch = this.#take();
      this.#inFlight++;
      void runBatch(this.#options, batch).finally(() => {
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
}

export interface KeyedGroupCommitOptions<T, R> extends GroupCommitOptions<T, R> {
  /** The key (a room id) whose submissions must commit one batch at a time, in submission order. */
  keyOf(items: T[]): string;
  /**
   * Items a batch must carry to start while other commits are in flight (default 16). Below
   * it, submissions wait for a commit to end and join the next batch instead.
   */
  minConcurrentBatch?: number;
}

/**
 * Group commit in which a key (a room) never has two commits in flight: its submissions
 * commit in the order they were submitted, one batch at a time, and two commits in flight
 * never hold the same room's row lock, so they never queue behind each other's WAL flush.
 * Any number of keys share a batch.
 *
 * Up to `maxInFlight` commits run at once, but a commit starts beside others only when it
 * would carry at least `minConcurrentBatch` items. Under light load (small rooms, a steady
 * trickle of sends) every send then joins the one batch that forms behind the commit in flight:
 * fewer statements, fewer round trips, less CPU on both sides, and on a small host lower
 * latency too. Under write load the backlog is large, and concurrent commits let Postgres
 * flush their WAL together.
 */
export class KeyedGroupCommit<T, R> {
  readonly #options: KeyedGroupCommitOptions<T, R>;
  readonly #minConcurrent: number;
  /** Waiting submissions by key; the map's order is the order in which keys started waiting. */
  readonly #waiting = new Map<string, Array<Submission<T, R>>>();
  /** Keys with a commit in flight. */
  readonly #busyKeys = new Set<string>();
  #queued = 0;
  #inFlight = 0;
  readonly #pumps = new PumpSchedule(() => this.#pump());

  constructor(options: KeyedGroupCommitOptions<T, R>) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError('maxBatch must be a positive integer');
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) throw new RangeError('maxInFlight must be a positive integer');
    this.#options = options;
    this.#minConcurrent = Math.max(1, options.minConcurrentBatch ?? 16);
  }

  /** Commits `items` (one key's) together with others; resolves with their results in order. */
  submit(items: T[]): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    const key = this.#options.keyOf(items);
    return new Promise<R[]>((resolve, reject) => {
      const submission = { items, resolve, reject };
      const queue = this.#waiting.get(key);
      if (queue) queue.push(submission);
      else this.#waiting.set(key, [submission]);
      this.#queued++;
      this.#schedule(this.#inFlight === 0);
    });
  }

  /** Submissions waiting for a commit. */
  get queued(): number {
    return this.#queued;
  }

  /** As GroupCommit's: a linger only when nothing is in flight, otherwise the next turn. */
  #schedule(linger: boolean): void {
    if (this.#inFlight >= this.#options.maxInFlight || this.#queued === 0) return;
    this.#pumps.schedule(linger ? (this.#options.lingerMs ?? 0) : 0);
  }

  #pump(): void {
    while (this.#inFlight < this.#options.maxInFlight && this.#queued > 0) {
      const ready = this.#readyItems();
      if (ready === 0 || (this.#inFlight > 0 && ready < this.#minConcurrent)) return;
      // A backlog is shared out over the free commit slots (at least minConcurrentBatch items
      // each), so that commits overlap instead of one carrying everything while the next
      // backlog can only form behind it.
      const slots = Math.min(this.#options.maxInFlight - this.#inFlight, Math.max(1, Math.floor(ready / this.#minConcurrent)));
      const batch = this.#take(Math.ceil(ready / slots));
      if (batch.keys.length === 0) return;
      this.#inFlight++;
      for (const key of batch.keys) this.#busyKeys.add(key);
      void runBatch(this.#options, batch.submissions).finally(() => {
        this.#inFlight--;
        for (const key of batch.keys) this.#busyKeys.delete(key);
        this.#schedule(false);
      });
    }
  }

  /** Items waiting under keys without a commit in flight. */
  #readyItems(): number {
    let items = 0;
    for (const [key, queue] of this.#waiting) {
      if (this.#busyKeys.has(key)) continue;
      for (const submission of queue) items += submission.items.length;
    }
    return items;
  }

  /**
   * The next batch: keys without a commit in flight, in the order they started waiting, each
   * with its waiting submissions from the oldest on, until the batch holds `target` items.
   * A key is not split to meet the target (what it leaves behind could only wait for this
   * batch), only to stay within maxBatch; a submission is never split, and the first one
   * taken may exceed maxBatch alone.
   */
  #take(target: number): { keys: string[]; submissions: Array<Submission<T, R>> } {
    const keys: string[] = [];
    const submissions: Array<Submission<T, R>> = [];
    let size = 0;
    for (const [key, queue] of this.#waiting) {
      if (this.#busyKeys.has(key)) continue;
      let taken = 0;
      while (taken < queue.length && (size === 0 || size + queue[taken]!.items.length <= this.#options.maxBatch)) {
        size += queue[taken]!.items.length;
        submissions.push(queue[taken]!);
        taken++;
      }
      if (taken === 0) break;
      keys.push(key);
      if (taken === queue.length) this.#waiting.delete(key);
      else queue.splice(0, taken);
      if (size >= target || size >= this.#options.maxBatch) break;
    }
    this.#queued -= submissions.length;
    return { keys, submissions };
  }
}

/**
 * At most one pump pending. It runs after `lingerMs`, or with 0 on setImmediate: after the
 * current I/O phase, so that the SENDs read from every socket in this turn of the event loop land
 * in the same batch (also when a commit's reply arrives: the other sockets read in that turn
 * still join the next batch). A linger gathers the SENDs of the next few turns as well, so that a
 * lightly loaded database pays one statement, one WAL flush and one wake-up (and the broker one
 * write) for several sends, not each.
 */
class PumpSchedule {
  #pending = false;

  constructor(private readonly pump: () => void) {}

  schedule(lingerMs: number): void {
    if (this.#pending) return;
    this.#pending = true;
    const run = () => {
      this.#pending = false;
      this.pump();
    };
    if (lingerMs > 0) setTimeout(run, lingerMs);
    else setImmediate(run);
  }
}

/**
 * Commits a batch; when that fails and `isolate` says the failure may be one submission's,
 * retries each submission alone so that only the bad one fails.
 */
async function runBatch<T, R>(options: GroupCommitOptions<T, R>, batch: Array<Submission<T, R>>): Promise<void> {
  try {
    await commitBatch(options, batch);
  } catch (err) {
    if (batch.length === 1 || !options.isolate(err)) {
      for (const submission of batch) submission.reject(err);
      return;
    }
    for (const submission of batch) {
      await commitBatch(options, [submission]).catch((alone: unknown) => submission.reject(alone));
    }
  }
}

/** Commits the batch's items in one call and hands each submission its results. */
async function commitBatch<T, R>(options: GroupCommitOptions<T, R>, batch: Array<Submission<T, R>>): Promise<void> {
  const items = batch.length === 1 ? batch[0]!.items : batch.flatMap((s) => s.items);
  options.onBatch?.(items.length);
  const results = await options.commit(items);
  if (results.length !== items.length) throw new Error(`group commit returned ${results.length} results for ${items.length} items`);
  let offset = 0;
  for (const submission of batch) {
    submission.resolve(results.slice(offset, offset + submission.items.length));
    offset += submission.items.length;
  }
}
