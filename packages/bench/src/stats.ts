/**
 * Latency histogram: fixed 0.05 ms buckets up to 10 s plus an overflow bucket.
 * Recording is one array increment, so the load generator can record every
 * delivery (200k/s) without becoming the bottleneck.
 */
const BUCKET_MS = 0.05;
const MAX_MS = 10_000;
const BUCKETS = Math.ceil(MAX_MS / BUCKET_MS);
/** Byte offset of [count, sum, max] (Float64) after the bucket counts, 8-aligned. */
const META_OFFSET = Math.ceil(((BUCKETS + 1) * 4) / 8) * 8;
const BYTES = META_OFFSET + 3 * 8;

/**
 * The counts live in one buffer that may be a SharedArrayBuffer: a load worker
 * records into it and the main thread reads it without a message round trip.
 * Windows are differences of snapshots (`since`), never resets, so the writer
 * and the reader need no coordination; merging several workers' histograms is
 * a bucket-wise sum (`add`), so percentiles of the merge are exact to a bucket.
 */
export class LatencyHistogram {
  readonly buffer: ArrayBufferLike;
  readonly #counts: Uint32Array;
  /** [count, sum, max] */
  readonly #meta: Float64Array;

  constructor(buffer?: ArrayBufferLike) {
    this.buffer = buffer ?? new ArrayBuffer(BYTES);
    if (this.buffer.byteLength !== BYTES) throw new Error(`histogram buffer must be ${BYTES} bytes`);
    this.#counts = new Uint32Array(this.buffer, 0, BUCKETS + 1);
    this.#meta = new Float64Array(this.buffer, META_OFFSET, 3);
  }

  /** A zeroed buffer that a worker thread can record into while this thread reads it. */
  static sharedBuffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(BYTES);
  }

  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const i = Math.floor(v / BUCKET_MS);
    this.#counts[i < BUCKETS ? i : BUCKETS]!++;
    const meta = this.#meta;
    meta[0]!++;
    meta[1]! += v;
    if (v > meta[2]!) meta[2] = v;
  }

  get count(): number {
    return this.#meta[0]!;
  }

  get max(): number {
    return this.#meta[2]!;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.#meta[1]! / this.count;
  }

  /** The latency (upper edge of its bucket, capped at the max seen) below which fraction q of the samples fall. */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return i === BUCKETS ? this.max : Math.min((i + 1) * BUCKET_MS, this.max);
    }
    return this.max;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#meta.fill(0);
  }

  /** A private copy (of a shared histogram, say, at the start of a window). */
  copy(): LatencyHistogram {
    const h = new LatencyHistogram();
    h.#counts.set(this.#counts);
    h.#meta.set(this.#meta);
    return h;
  }

  /** Adds another histogram's samples to this one (merging workers). */
  add(other: LatencyHistogram): this {
    const a = this.#counts;
    const b = other.#counts;
    for (let i = 0; i <= BUCKETS; i++) if (b[i] !== 0) a[i]! += b[i]!;
    this.#meta[0]! += other.#meta[0]!;
    this.#meta[1]! += other.#meta[1]!;
    if (other.#meta[2]! > this.#meta[2]!) this.#meta[2] = other.#meta[2]!;
    return this;
  }

  /**
   * The samples recorded after `earlier` (a copy of this histogram taken before).
   * Its max is the upper edge of its highest bucket (capped at the max seen), as
   * a max cannot be subtracted.
   */
  since(earlier: LatencyHistogram): LatencyHistogram {
    const h = new LatencyHistogram();
    const out = h.#counts;
    const a = this.#counts;
    const b = earlier.#counts;
    let top = -1;
    for (let i = 0; i <= BUCKETS; i++) {
      const d = a[i]! - b[i]!;
      if (d > 0) {
        out[i] = d;
        top = i;
      }
    }
    h.#meta[0] = this.#meta[0]! - earlier.#meta[0]!;
    h.#meta[1] = this.#meta[1]! - earlier.#meta[1]!;
    h.#meta[2] = top === -1 ? 0 : top === BUCKETS ? this.max : Math.min((top + 1) * BUCKET_MS, this.max);
    return h;
  }

  summary(): LatencySummary {
    return { count: this.count, p50: round(this.percentile(0.5)), p99: round(this.percentile(0.99)), max: round(this.max) };
  }
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export const round = (n: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** Exact percentile of a small sample (history-page timings). */
export function percentileOf(samples: number[], q: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
