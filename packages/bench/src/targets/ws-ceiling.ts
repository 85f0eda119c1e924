import { fileURLToPath } from 'node:url';
import { openSpec, type ConnectSpec } from '../clients/spec.js';
import type { LoadConnection } from '../clients/connection.js';
import { spawnServer, type ServerProcess } from '../server-process.js';
import type { ConnectRequest, Target, TargetOptions } from './target.js';

const SCRIPT = fileURLToPath(new URL('../servers/ws-ceiling-server.mjs', import.meta.url));

export class WsCeilingTarget implements Target {
  readonly name = 'ws-ceiling' as const;
  private constructor(private readonly servers: ServerProcess[]) {}

  static async start(options: TargetOptions): Promise<WsCeilingTarget> {
    const servers: ServerProcess[] = [];
    for (let i = 0; i < options.replicas; i++) {
      const prof = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
      servers.push(await spawnServer({ args: [...prof, SCRIPT], env: { ...process.env, PORT: '0' }, inspect: options.inspect === true, ready: { kind: 'stdout' } }));
    }
    return new WsCeilingTarget(servers);
  }

  get pids(): number[] {
    return this.servers.map((s) => s.pid);
  }

  async setupRooms(count: number): Promise<string[]> {
    return Array.from({ length: count }, (_, i) => `room-${i}`);
  }

  get replicas(): number {
    return this.servers.length;
  }

  spec(request: ConnectRequest): ConnectSpec {
    const server = this.servers[request.replica % this.servers.length]!;
    return { kind: 'raw-ws', url: `ws://127.0.0.1:${server.port}/?room=${request.room}${request.subscribe ? '' : '&pub=1'}`, receive: request.subscribe };
  }

  connect(request: ConnectRequest): Promise<LoadConnection> {
    return openSpec(this.spec(request), request.onMessage);
  }

  async collectGarbage(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.collectGarbage()));
  }

  async heapUsedBytes(): Promise<number> {
    let total = 0;
    for (const s of this.servers) total += ((await (await fetch(`http://127.0.0.1:${s.port}/stats`)).json()) as { heapUsed: number }).heapUsed;
    return total;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}
