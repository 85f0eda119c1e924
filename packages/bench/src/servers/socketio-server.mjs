// Socket.IO 4 with rooms; with REDIS_URL, @socket.io/redis-adapter across processes.
// Events: join(room, ack), pub(room, payload) → io.to(room).emit('msg', payload).
import { createServer } from 'node:http';
import process from 'node:process';
import { Server } from 'socket.io';

const http = createServer((req, res) => {
  if (req.url === '/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(process.memoryUsage()));
    return;
  }
  if (!req.url?.startsWith('/socket.io')) {
    res.statusCode = 404;
    res.end();
  }
});
const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
if (process.env.REDIS_URL) {
  const { Redis } = await import('ioredis');
  const { createAdapter } = await import('@socket.io/redis-adapter');
  const pub = new Redis(process.env.REDIS_URL);
  const sub = pub.duplicate();
  io.adapter(createAdapter(pub, sub));
}
io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    socket.join(String(room));
    if (typeof ack === 'function') ack();
  });
  socket.on('pub', (room, payload) => {
    io.to(String(room)).emit('msg', payload);
  });
});
http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`READY ${http.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
