/** A Prometheus histogram as read from /metrics: cumulative buckets by upper bound, sum, count. */
export interface Histogram {
  /** [upper bound, cumulative count], ascending, ending with +Inf. */
  buckets: Array<[number, number]>;
  sum: number;
  count: number;
}

/**
 * Reads histogram `name` from Prometheus text, summing series with the same bucket bound
 * (e.g. one per service label). Undefined when the text has no such histogram.
 */
export function readHistogram(text: string, name: string): Histogram | undefined {
  const byBound = new Map<number, number>();
  let sum = 0;
  let count = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (rest.startsWith('_bucket')) {
      const le = /le="([^"]+)"/.exec(rest)?.[1];
      if (le === undefined) continue;
      const bound = le === '+Inf' ? Infinity : Number(le);
      byBound.set(bound, (byBound.get(bound) ?? 0) + value);
      seen = true;
    } else if (rest.startsWith('_sum')) sum += value;
    else if (rest.startsWith('_count')) count += value;
  }
  if (!seen) return undefined;
  return { buckets: [...byBound].sort((a, b) => a[0] - b[0]), sum, count };
}

/** What was observed between two readings of the same histogram. */
export function histogramDelta(before: Histogram, after: Histogram): Histogram {
  const earlier = new Map(before.buckets);
  return {
    buckets: after.buckets.map(([bound, n]) => [bound, n - (earlier.get(bound) ?? 0)]),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** The upper bound of the bucket holding quantile `q`: the quantile is at most this. Undefined when empty. */
export function quantileAtMost(h: Histogram, q: number): number | undefined {
  if (h.count <= 0) return undefined;
  const rank = q * h.count;
  return h.buckets.find(([, n]) => n >= rank)?.[0];
}
