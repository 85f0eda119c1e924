import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeartbeatScheduler, type HeartbeatParticipant } from '../src/stomp/heartbeat-scheduler.js';

/** A session as the scheduler sees it: beats after `beatAfter` ms of silence, records its looks and beats. */
class FakeSession implements HeartbeatParticipant {
  heartbeatSlot = -1;
  looks = 0;
  readonly beats: number[] = [];
  lastWriteAt: number;
  closed = false;

  constructor(
    private readonly scheduler: HeartbeatScheduler,
    private readonly beatAfter: number,
  ) {
    this.lastWriteAt = scheduler.clock();
  }

  heartbeatTick(now: number): number | null {
    this.looks++;
    if (this.closed) return null;
    if (now - this.lastWriteAt >= this.beatAfter) {
      this.beats.push(now);
      this.lastWriteAt = now;
    }
    return this.lastWriteAt + this.beatAfter;
  }

  /** Any frame written to the client resets its silence. */
  write(): void {
    this.lastWriteAt = this.scheduler.now;
  }
}

describe('HeartbeatScheduler', () => {
  let scheduler: HeartbeatScheduler;
  beforeEach(() => {
    vi.useFakeTimers();
    scheduler = new HeartbeatScheduler();
  });
  afterEach(() => {
    scheduler.close();
    vi.useRealTimers();
  });

  it('looks at an idle session about once per interval, not once per tick', () => {
    const interval = 10_000;
    const sessions = Array.from({ length: 100 }, () => new FakeSession(scheduler, scheduler.beatAfter(interval)));
    for (const s of sessions) scheduler.add(s, interval);
    vi.advanceTimersByTime(60_000);
    for (const s of sessions) {
      // 120 ticks of 500 ms went by; a session is looked at when it is due (plus the first look).
      expect(s.looks).toBeLessThanOrEqual(8);
      expect(s.beats.length).toBeGreaterThanOrEqual(6);
    }
  });

  it('never leaves a session silent for its interval', () => {
    const interval = 10_000;
    const s = new FakeSession(scheduler, scheduler.beatAfter(interval));
    const start = scheduler.clock();
    scheduler.add(s, interval);
    vi.advanceTimersByTime(95_000);
    const writes = [start, ...s.beats];
    for (let i = 1; i < writes.length; i++) expect(writes[i]! - writes[i - 1]!).toBeLessThan(interval);
  });

  it('a write postpones the beat: the session is looked at when its earlier deadline comes and refiled', () => {
    const interval = 10_000;
    const s = new FakeSession(scheduler, scheduler.beatAfter(interval));
    scheduler.add(s, interval);
    // A frame goes out every 5 s: the connection is never silent long enough to need a beat.
    for (let i = 0; i < 12; i++) {
      vi.advanceTimersByTime(5_000);
      s.write();
    }
    expect(s.beats).toEqual([]);
    expect(s.looks).toBeLessThanOrEqual(12);
    vi.advanceTimersByTime(10_000);
    expect(s.beats).toHaveLength(1);
  });

  it('removed and finished sessions are no longer looked at and leave the count', () => {
    const a = new FakeSession(scheduler, 1_000);
    const b = new FakeSession(scheduler, 1_000);
    scheduler.add(a, 2_000);
    scheduler.add(b, 2_000);
    expect(scheduler.size).toBe(2);
    scheduler.remove(a);
    scheduler.remove(a);
    expect(scheduler.size).toBe(1);
    b.closed = true;
    vi.advanceTimersByTime(3_000);
    expect(scheduler.size).toBe(0);
    const looksOfB = b.looks;
    vi.advanceTimersByTime(10_000);
    expect(a.looks).toBe(0);
    expect(b.looks).toBe(looksOfB);
  });

  it('a shorter interval joining rebuilds the wheel without losing anyone', () => {
    const slow = new FakeSession(scheduler, scheduler.beatAfter(10_000));
    scheduler.add(slow, 10_000);
    vi.advanceTimersByTime(4_000);
    const fast = new FakeSession(scheduler, scheduler.beatAfter(1_000));
    scheduler.add(fast, 1_000);
    vi.advanceTimersByTime(30_000);
    expect(slow.beats.length).toBeGreaterThanOrEqual(3);
    expect(fast.beats.length).toBeGreaterThanOrEqual(30);
    expect(scheduler.size).toBe(2);
  });

  it('a client cannot make the tick take more than a handful of values (each change rebuilds the wheel)', () => {
    const ticks = new Set<number>();
    for (let interval = 1; interval <= 100_000; interval += 7) ticks.add(scheduler.tickFor(interval));
    expect(ticks.size).toBeLessThanOrEqual(5);
    expect(Math.min(...ticks)).toBeGreaterThanOrEqual(25);
    expect(scheduler.tickFor(10_000)).toBe(500);
  });

  it('keeps its clock in whole ms since it was made, whatever the system time', () => {
    vi.setSystemTime(new Date('2031-01-01T00:00:00Z'));
    const fresh = new HeartbeatScheduler();
    expect(fresh.clock()).toBe(0);
    vi.advanceTimersByTime(1_234);
    expect(fresh.clock()).toBe(1_234);
    const s = new FakeSession(fresh, fresh.beatAfter(1_000));
    fresh.add(s, 1_000);
    expect(fresh.now).toBe(1_234);
    vi.advanceTimersByTime(5_000);
    expect(s.beats.length).toBeGreaterThanOrEqual(4);
    expect(s.beats.every((at) => Number.isInteger(at) && at > 1_234 && at <= 6_234)).toBe(true);
    fresh.close();
  });

  it('a late timer catches up on the ticks it missed', () => {
    const interval = 10_000;
    const s = new FakeSession(scheduler, scheduler.beatAfter(interval));
    scheduler.add(s, interval);
    // The event loop was blocked for 12 s: the next tick handles every slot it skipped.
    vi.setSystemTime(Date.now() + 12_000);
    vi.advanceTimersByTime(500);
    expect(s.beats).toHaveLength(1);
  });
});
