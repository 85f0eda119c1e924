const PAD = 'x'.repeat(65_536);

/**
 * Current time in ms, on a clock that load-worker threads share with the main thread:
 * each thread's performance.now() counts from its own start, so the stamp adds the
 * thread's timeOrigin (a sender in one thread, its receiver in another).
 */
const ORIGIN = performance.timeOrigin;
export const now = (): number => ORIGIN + performance.now();

/** A message text of `size` bytes that starts with its send time: "123456.789|xxxx…". */
export function stampedText(size: number): string {
  const stamp = now().toFixed(3);
  return stamp + '|' + PAD.slice(0, Math.max(0, size - stamp.length - 1));
}

/** Reads the send time that starts at `start` ("123456.789|"); NaN when there is none. */
export function readStamp(buf: Buffer, start: number): number {
  let value = 0;
  let scale = 0;
  let digits = 0;
  for (let i = start; i < buf.length; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (scale > 0) scale *= 10;
      digits++;
    } else if (c === 46 && scale === 0) {
      scale = 1;
    } else break;
  }
  if (digits === 0) return NaN;
  return scale > 0 ? value / scale : value;
}
