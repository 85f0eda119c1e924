/**
 * Micro-benchmark of the STOMP codec hot paths (not a test). Run from packages/chat-server:
 *   npx tsx bench/codec.bench.ts
 * Prints frames per CPU-second of this process; compare numbers within one run, the machine is shared.
 */
import { DEFAULT_PARSER_LIMITS, encodeFrame, FrameParser, PreparedMessage } from '../src/protocol/codec/index.js';

const TEXT = 'Hello everyone, the build is green again and the deploy is rolling out now. ';
const BODY = JSON.stringify({ text: TEXT.slice(0, 80), clientMessageId: 'c7f3a2b0-5d1e-4c2a-9b8f-1e2d3c4b5a69' });

// What @stomp/stompjs sends for client.publish({ destination, body, headers: { 'content-type': ... } }).
const SEND = encodeFrame(
  'SEND',
  { destination: '/app/rooms/7b2c9e1a/messages', 'content-type': 'application/json', receipt: 'receipt-42' },
  BODY,
);
// The same frame without content-length: its body runs to the NUL.
const SEND_WITHOUT_LENGTH = Buffer.from(
  `SEND\ndestination:/app/rooms/7b2c9e1a/messages\ncontent-type:application/json\nreceipt:receipt-42\n\n${BODY}\0`,
);
const TEN_SENDS = Buffer.concat(Array.from({ length: 10 }, () => SEND));
const HALF = SEND.length >> 1;
const SEND_HEAD = SEND.subarray(0, HALF);
const SEND_TAIL = SEND.subarray(HALF);

/** Runs op for about `ms` of wall time; measures this process's CPU time, steadier than wall time on a shared machine. */
function measure(ms: number, op: () => number): { ops: number; cpuNs: number } {
  let ops = 0;
  let sink = 0;
  const until = Date.now() + ms;
  const cpu = process.cpuUsage();
  while (Date.now() < until) {
    for (let i = 0; i < 1000; i++) sink += op();
    ops += 1000;
  }
  const used = process.cpuUsage(cpu);
  if (sink < 0) console.log(sink); // keep the results alive
  return { ops, cpuNs: (used.user + used.system) * 1000 };
}

function bench(name: string, framesPerOp: number, op: () => number): void {
  measure(300, op); // warm-up
  const { ops, cpuNs } = measure(1500, op);
  const frames = ops * framesPerOp;
  const perSecond = (frames / cpuNs) * 1e9;
  console.log(`${name.padEnd(62)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} frames/s  ${(cpuNs / frames).toFixed(0).padStart(5)} ns/frame`);
}

console.log(`SEND frame: ${SEND.length} bytes (body ${Buffer.byteLength(BODY)} bytes); Node ${process.version}\n`);

const parser = new FrameParser(DEFAULT_PARSER_LIMITS);
bench('parse: one SEND (content-length) per chunk', 1, () => parser.push(SEND).length);
bench('parse: one SEND (body to NUL) per chunk', 1, () => parser.push(SEND_WITHOUT_LENGTH).length);
bench('parse: ten SENDs per chunk', 10, () => parser.push(TEN_SENDS).length);
bench('parse: one SEND split across two chunks', 1, () => parser.push(SEND_HEAD).length + parser.push(SEND_TAIL).length);
bench('parse: one SEND from a string chunk (SockJS)', 1, () => parser.push(SEND_WITHOUT_LENGTH.toString()).length);

// Subscription ids as a session keeps them: one string per subscription.
const IDS = ['sub-0', 'sub-1', 'sub-2', 'sub-3'];
let n = 0;
bench('build: encodeFrame(MESSAGE) per subscriber', 1, () =>
  encodeFrame(
    'MESSAGE',
    PreparedMessage.headers('/topic/rooms.7b2c9e1a', 'm-1', IDS[n++ & 3] as string),
    BODY,
  ).length,
);
const prepared = new PreparedMessage('/topic/rooms.7b2c9e1a', 'm-1', BODY);
bench('build: PreparedMessage.forSubscription, cached id', 1, () => prepared.forSubscription(IDS[n++ & 3] as string).length);
bench('build: PreparedMessage.forSubscription, uncached id', 1, () => prepared.forSubscription(`client-${n++}`).length);
bench('build: new PreparedMessage + forSubscription (one per payload)', 1, () =>
  new PreparedMessage('/topic/rooms.7b2c9e1a', `m-${n++}`, BODY).forSubscription('sub-0').length,
);
