import { describe, expect, it } from 'vitest';
import { readStamp, stampedText } from '../src/clients/payload.js';
import { LatencyHistogram, percentileOf } from '../src/stats.js';

describe('LatencyHistogram', () => {
  it('matches exact percentiles within one 0.05 ms bucket', () => {
    const h = new LatencyHistogram();
    const samples: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const v = (i % 100) * 0.7 + (i % 7) * 0.013; // 0 .. ~69 ms, uneven
      samples.push(v);
      h.record(v);
    }
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = percentileOf(samples, q);
      expect(h.percentile(q)).toBeGreaterThanOrEqual(exact);
      expect(h.percentile(q) - exact).toBeLessThanOrEqual(0.05 + 1e-9);
    }
    expect(h.count).toBe(10_000);
    expect(h.max).toBeCloseTo(Math.max(...samples), 9);
  });

  it('puts values above 10 s in the overflow bucket and reports the real max', () => {
    const h = new LatencyHistogram();
    h.record(5);
    h.record(25_000);
    expect(h.percentile(0.5)).toBeCloseTo(5.05, 9);
    expect(h.percentile(1)).toBe(25_000);
    h.reset();
    expect(h.summary()).toEqual({ count: 0, p50: 0, p99: 0, max: 0 });
  });

  it('percentileOf uses the nearest-rank definition', () => {
    expect(percentileOf([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(percentileOf([5, 1, 4, 2, 3], 0.99)).toBe(5);
    expect(percentileOf([], 0.5)).toBe(0);
  });
});

describe('stamped payloads', () => {
  it('round-trips the send time and pads to the requested size', () => {
    const text = stampedText(100);
    expect(Buffer.byteLength(text)).toBe(100);
    const sent = readStamp(Buffer.from(text), 0);
    expect(sent).toBeGreaterThan(0);
    expect(performance.now() - sent).toBeLessThan(1000);
    expect(readStamp(Buffer.from('xx12.5|'), 2)).toBe(12.5);
    expect(readStamp(Buffer.from('431[]'), 2)).toBe(1);
    expect(readStamp(Buffer.from('abc'), 0)).toBeNaN();
  });
});

describe('LatencyHistogram across threads', () => {
  it('merges bucket-wise: percentiles of the merge are those of all samples, not an average of percentiles', () => {
    const fast = new LatencyHistogram(LatencyHistogram.sharedBuffer());
    const slow = new LatencyHistogram(LatencyHistogram.sharedBuffer());
    const all: number[] = [];
    for (let i = 0; i < 9_900; i++) {
      fast.record(1 + (i % 10) * 0.1);
      all.push(1 + (i % 10) * 0.1);
    }
    for (let i = 0; i < 100; i++) {
      slow.record(50 + i);
      all.push(50 + i);
    }
    const merged = fast.copy().add(slow);
    expect(merged.count).toBe(10_000);
    expect(merged.max).toBe(149);
    for (const q of [0.5, 0.99, 0.995]) {
      expect(merged.percentile(q)).toBeGreaterThanOrEqual(percentileOf(all, q));
      expect(merged.percentile(q) - percentileOf(all, q)).toBeLessThanOrEqual(0.05 + 1e-9);
    }
    // Averaging the two p99s would say ~75 ms; the true p99 is in the fast group.
    expect(merged.percentile(0.99)).toBeLessThan(2);
    expect(merged.mean).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 6);
  });

  it('a window is the difference of two snapshots of a histogram that keeps recording', () => {
    const h = new LatencyHistogram(LatencyHistogram.sharedBuffer());
    for (let i = 0; i < 1000; i++) h.record(80);
    const start = h.copy();
    for (let i = 0; i < 100; i++) h.record(2 + i * 0.01);
    const w = h.since(start);
    expect(w.count).toBe(100);
    expect(w.percentile(0.5)).toBeCloseTo(2.5, 6); // the 50th sample, 2.49 ms, in the bucket up to 2.5
    // The max of the window is the top of its highest bucket, not the 80 ms before it.
    expect(w.max).toBeCloseTo(3, 6);
    expect(w.summary().count).toBe(100);
  });

  it('refuses a buffer of the wrong size', () => {
    expect(() => new LatencyHistogram(new SharedArrayBuffer(16))).toThrow(/histogram buffer must be/);
  });
});
