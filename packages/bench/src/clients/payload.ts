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

const WORDS = (
  'the a to and of in is it you that he was for on are with as I his they be at one have this from or had by ' +
  'hot word but what some we can out other were all there when up use your how said an each she which do their ' +
  'time if will way about many then them write would like so these her long make thing see him two has look ' +
  'more day could go come did number sound no most people my over know water than call first who may down side ' +
  'meeting deploy tomorrow release build green tests review merge lunch thanks sounds good okay sure later'
).split(' ');

/**
 * A stamped text of `size` bytes in words, as chat text is: compresses about as prose does
 * (the 'x' padding of stampedText compresses to nothing and would flatter compression).
 */
export function stampedProse(size: number): string {
  const stamp = now().toFixed(3);
  let text = stamp + '|';
  // A cheap LCG from the stamp: different text per message, no Math.random in the hot loop.
  let seed = Math.floor(Number(stamp) * 1000) >>> 0;
  while (text.length < size) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    text += WORDS[seed % WORDS.length] + ((seed >>> 24) % 11 === 0 ? '. ' : ' ');
  }
  return text.slice(0, size);
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
