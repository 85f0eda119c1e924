/**
 * Latency histogram: fixed 0.05 ms buckets up to 10 s plus an overflow bucket.
 * Recording is one array increment, so the load generator can record every
 * delivery (200k/s) without becoming the bottleneck.
 */
const BUCKET_MS = 0.05;
const MAX_MS = 10_000;
const BUCKETS = Math.ceil(MAX_MS / BUCKET_MS);

export class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKETS + 1);
  #count = 0;
  #max = 0;
  #sum = 0;

  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const i = Math.floor(v / BUCKET_MS);
    this.#counts[i < BUCKETS ? i : BUCKETS]!++;
    this.#count++;
    this.#sum += v;
    if (v > this.#max) this.#max = v;
  }

  get count(): number {
    return this.#count;
  }

  get max(): number {
    return this.#max;
  }

  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /** The latency (upper edge of its bucket, capped at the max seen) below which fraction q of the samples fall. */
  percentile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return i === BUCKETS ? this.#max : Math.min((i + 1) * BUCKET_MS, this.#max);
    }
    return this.#max;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#max = 0;
    this.#sum = 0;
  }

  summary(): LatencySummary {
    return { count: this.#count, p50: round(this.percentile(0.5)), p99: round(this.percentile(0.99)), max: round(this.#max) };
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
