// The practical ceiling for Node: a minimal `ws` server that broadcasts each
// incoming message, encoded to a Buffer once, to every socket in its room.
// Clients connect to /?room=<id>[&pub=1] (publishers are not room members).
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { URL } from 'node:url';
import { WebSocketServer } from 'ws';
import { createStatsServer } from './stats-http.mjs';

const rooms = new Map();
const http = createStatsServer();
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
wss.on('connection', (socket, req) => {
  const query = new URL(req.url ?? '/', 'http://x').searchParams;
  const roomId = query.get('room') ?? 'default';
  let room = rooms.get(roomId);
  if (!room) rooms.set(roomId, (room = new Set()));
  if (query.get('pub') !== '1') room.add(socket);
  socket.on('message', (data) => {
    const frame = Buffer.isBuffer(data) ? data : Buffer.from(data);
    for (const peer of room) peer.send(frame, { binary: false });
  });
  socket.on('close', () => room.delete(socket));
});
http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`READY ${http.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
