import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackAddresses } from '../src/load/pool.js';
import { Progress } from '../src/progress.js';
import { freePort } from '../src/server-process.js';
import { runIdleAndStorm } from '../src/scenarios/idle-storm.js';
import { CHORUS_MAIN, ChorusTarget } from '../src/targets/chorus.js';
import { RemoteChorusTarget } from '../src/targets/remote-chorus.js';

// Only loopback addresses may be targeted here: a Chorus started by the test, reached by URL.
// It needs the built standalone server (turbo builds it first); only outside CI may it be missing.
describe.skipIf(!existsSync(CHORUS_MAIN) && process.env.CI !== 'true')('--target-url: a running Chorus benchmarked by URL', () => {
  let tmpDir: string;
  let chorus: ChorusTarget;
  beforeAll(async () => {
    tmpDir = await mkdtemp(join(tmpdir(), 'bench-remote-'));
    chorus = await ChorusTarget.start({ replicas: 1, tmpDir });
  });
  afterAll(async () => {
    await chorus?.stop();
    await rm(tmpDir, { recursive: true, force: true });
  });

  it('signs up users and creates rooms through the REST api, then storms, idles and measures a live room from worker threads over 3 source addresses', async () => {
    const remote = await RemoteChorusTarget.open(chorus.url(), 4);
    expect(remote.wsUrl).toBe(`${chorus.url().replace('http', 'ws')}/ws`);
    const { storm, idle } = await runIdleAndStorm(
      remote,
      { connections: 90, concurrency: 20, idleSeconds: 1, measureSeconds: 1, loadWorkers: 2, localAddresses: loopbackAddresses(3), liveMembers: 3, liveRate: 20 },
      new Progress(),
    );
    expect(storm.extra).toMatchObject({ connected: 90, failures: 0, sourceAddresses: 3, loadWorkers: 2 });
    expect(Number(storm.extra!.connectP99Ms)).toBeGreaterThanOrEqual(Number(storm.extra!.connectP50Ms));
    expect(Number(storm.extra!.connectP50Ms)).toBeGreaterThan(0);
    expect(storm.extra).not.toHaveProperty('serverCpuMsPerConnection'); // the deployment's processes are not visible
    expect(idle.rssKbPerConn).toBeUndefined();
    expect(idle.extra).toMatchObject({ connections: 90 });
    // The live room's messages reached its 3 members; its latency is reported.
    expect(Number(idle.extra!.liveRoomDeliveries)).toBeGreaterThanOrEqual(3 * 10);
    expect(idle.p99Ms).toBeGreaterThan(0);
  });

  it('says clearly when nothing answers at the URL', async () => {
    const port = await freePort(); // free, so nothing listens there
    await expect(RemoteChorusTarget.open(`http://127.0.0.1:${port}`, 4)).rejects.toThrow(new RegExp(`--target-url http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });
});
