import { ChorusTarget } from './src/targets/chorus.js';
const n = Number(process.argv[2] ?? 3000);
const target = await ChorusTarget.start({
  replicas: 1,
  tmpDir: '/tmp/heap',
  databaseUrl: process.env.DATABASE_URL,
  redisUrl: process.env.REDIS_URL,
  nodeArgs: ['--heapsnapshot-signal=SIGUSR2', '--diagnostic-dir=/tmp/heap'],
});
const rooms = await target.setupRooms(Math.ceil(n / 1000), 1000);
const conns = [];
for (let i = 0; i < n; i++) conns.push(await target.connect({ replica: 0, room: rooms[i % rooms.length]!, member: i, subscribe: true, heartbeat: true }));
console.log('connected', n, 'pid', target.pids[0]);
await new Promise((r) => setTimeout(r, 2000));
process.kill(target.pids[0]!, 'SIGUSR2');
await new Promise((r) => setTimeout(r, 15000));
for (const c of conns) c.close();
await target.stop();
