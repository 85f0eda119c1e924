import { describe, expect, it } from 'vitest';
import { histogramDelta, quantileAtMost, readHistogram } from '../src/prom-histogram.js';

const metrics = (a: number[], sum: number) =>
  [
    '# HELP chorus_fanout_latency_seconds stored → written',
    '# TYPE chorus_fanout_latency_seconds histogram',
    `chorus_fanout_latency_seconds_bucket{le="0.005",service="standalone"} ${a[0]}`,
    `chorus_fanout_latency_seconds_bucket{le="0.01",service="standalone"} ${a[1]}`,
    `chorus_fanout_latency_seconds_bucket{le="+Inf",service="standalone"} ${a[2]}`,
    `chorus_fanout_latency_seconds_sum{service="standalone"} ${sum}`,
    `chorus_fanout_latency_seconds_count{service="standalone"} ${a[2]}`,
    'chorus_fanout_latency_seconds_other 5',
    'chorus_deliveries_total 7',
  ].join('\n');

describe('Prometheus histograms', () => {
  it('reads buckets, sum and count, and what a window added', () => {
    const before = readHistogram(metrics([10, 20, 20], 0.1), 'chorus_fanout_latency_seconds')!;
    const after = readHistogram(metrics([60, 118, 120], 0.9), 'chorus_fanout_latency_seconds')!;
    expect(after.buckets).toEqual([[0.005, 60], [0.01, 118], [Infinity, 120]]);
    const window = histogramDelta(before, after);
    expect(window).toMatchObject({ buckets: [[0.005, 50], [0.01, 98], [Infinity, 100]], count: 100 });
    expect(window.sum).toBeCloseTo(0.8, 9);
    expect(quantileAtMost(window, 0.5)).toBe(0.005);
    expect(quantileAtMost(window, 0.6)).toBe(0.01);
    expect(quantileAtMost(window, 0.99)).toBe(Infinity);
    expect(quantileAtMost(window, 0.98)).toBe(0.01);
  });

  it('sums the series of several processes and says when there is none', () => {
    const two = `${metrics([1, 2, 3], 1)}\n${metrics([1, 1, 1], 2)}`;
    expect(readHistogram(two, 'chorus_fanout_latency_seconds')).toEqual({ buckets: [[0.005, 2], [0.01, 3], [Infinity, 4]], sum: 3, count: 4 });
    expect(readHistogram(two, 'chorus_nothing_seconds')).toBeUndefined();
    expect(quantileAtMost({ buckets: [[Infinity, 0]], sum: 0, count: 0 }, 0.5)).toBeUndefined();
  });
});
