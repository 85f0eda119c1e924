// The floor of a durable, replicated chat server: the ws-ceiling's broadcast plus the least
// that a server must do per message to keep what it acknowledges and to reach other replicas,
// with the same clients Chorus uses (`pg`, `ioredis`) and nothing else:
// - messages are stored before anyone sees them, group-committed like Chorus's write path
//   (at most two statements in flight; each takes everything that arrived meanwhile), in Chorus's
//   own tables (the bench migrates the database): the rooms' last_seq moves and the rows are
//   inserted in one statement;
// - each stored message is delivered to the room's local sockets and published on the room's
//   Redis channel; the copy that comes back to this process is recognised by its prefix and dropped;
// - the sender's own copy is its acknowledgement (Chorus sends a RECEIPT frame besides).
// No authentication, access check, STOMP, limits, unread counts or metrics: what Chorus spends above
// this floor is what those cost. Clients connect to /?room=<room id> and send stamped texts.
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import process from 'node:process';
import { setImmediate } from 'node:timers';
import { URL } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { WebSocketServer } from 'ws';
import { createStatsServer } from './stats-http.mjs';
import { STORE_SQL } from './store-sql.mjs';

// Chorus's defaults (APPEND_COMMITS_IN_FLIGHT, APPEND_MIN_CONCURRENT_BATCH): a second statement
// starts beside the first only for a backlog worth it, so a light load commits in bigger batches.
const COMMITS_IN_FLIGHT = 2;
const MIN_CONCURRENT_BATCH = 16;

const senderId = process.env.SENDER_ID;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const pub = new Redis(process.env.REDIS_URL, { enableAutoPipelining: true });
const sub = new Redis(process.env.REDIS_URL);
/** Prefix of what this process publishes: its own copies are dropped unparsed. */
const origin = Buffer.from(`${randomUUID().slice(0, 8)}\n`);

/** roomId → { sockets, seq } (this process assigns the seqs of the rooms it writes). */
const rooms = new Map();
let pending = [];
let inFlight = 0;
let scheduled = false;

/** A failed call is reported on stderr (the bench shows it with the missing deliveries), not thrown. */
const fail = (what) => (err) => process.stderr.write(`${what} failed: ${err.message}\n`);

function room(id) {
  let r = rooms.get(id);
  if (!r) {
    r = { id, sockets: new Set(), seq: 0 };
    rooms.set(id, r);
    sub.subscribe(`floor:room:${id}`).catch(fail('subscribe'));
  }
  return r;
}

function deliver(r, text) {
  for (const peer of r.sockets) peer.send(text, { binary: false });
}

function commitNext() {
  scheduled = false;
  if (pending.length === 0 || inFlight >= COMMITS_IN_FLIGHT) return;
  if (inFlight > 0 && pending.length < MIN_CONCURRENT_BATCH) return;
  const batch = pending;
  pending = [];
  inFlight++;
  const ids = [], roomIds = [], seqs = [], texts = [];
  for (const m of batch) {
    ids.push(randomUUID());
    roomIds.push(m.room.id);
    seqs.push(++m.room.seq);
    texts.push(m.text.toString());
  }
  pool.query(STORE_SQL, [ids, roomIds, seqs, texts, senderId, 'floor']).then(
    () => {
      for (const m of batch) {
        deliver(m.room, m.text);
        pub.publish(`floor:room:${m.room.id}`, Buffer.concat([origin, m.text])).catch(fail('publish'));
      }
    },
    fail('store'),
  ).finally(() => {
    inFlight--;
    commitNext();
  });
}

sub.on('messageBuffer', (channel, message) => {
  if (message.subarray(0, origin.length).equals(origin)) return;
  const r = rooms.get(channel.toString().slice('floor:room:'.length));
  const newline = message.indexOf(10);
  if (r) deliver(r, message.subarray(newline + 1));
});

const http = createStatsServer();
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
wss.on('connection', (socket, req) => {
  const r = room(new URL(req.url ?? '/', 'http://x').searchParams.get('room') ?? '');
  r.sockets.add(socket);
  socket.on('message', (data) => {
    pending.push({ room: r, text: Buffer.isBuffer(data) ? data : Buffer.from(data) });
    // One turn's messages go together, as Chorus's sends of a turn do.
    if (!scheduled) {
      scheduled = true;
      setImmediate(commitNext);
    }
  });
  socket.on('close', () => r.sockets.delete(socket));
});
// Clients come only once Redis is ready: ioredis breaks a connection that SUBSCRIBEs before its ready check.
await Promise.all([pub, sub].map((connection) => new Promise((resolve) => connection.once('ready', resolve))));
http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`READY ${http.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
