import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LeaseElector, type LeaseElectorOptions } from '../src/kubernetes/index.js';
import { FakeKubeApi, recordingLogger } from './kubernetes-api-server.js';

const NS = 'chorus';
const LEASE = 'chorus-singletons';
const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${LEASE}`;

describe('LeaseElector', () => {
  const api = new FakeKubeApi();
  let clock = 0;

  beforeAll(() => api.listen());
  afterAll(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
    api.leases.clear();
    api.forbidden.clear();
    api.failNext.clear();
    clock = Date.parse('2025-01-01T00:00:00Z');
  });

  const candidate = (identity: string, extra: Partial<LeaseElectorOptions> = {}) =>
    new LeaseElector({
      name: LEASE,
      namespace: NS,
      identity,
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
      kubeConfig: api.kubeConfig(),
      now: () => clock,
      onStartedLeading: () => {},
      ...extra,
    });
  const spec = () => api.leases.get(`${NS}/${LEASE}`)?.spec as Record<string, unknown> | undefined;

  it('creates the Lease when there is none and holds it, with MicroTime timestamps the API server accepts', async () => {
    expect(await candidate('pod-a').tryAcquireOrRenew()).toBe(true);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${leasePath}`, `POST /apis/coordination.k8s.io/v1/namespaces/${NS}/leases`]);
    expect(spec()).toMatchObject({ holderIdentity: 'pod-a', leaseDurationSeconds: 15, leaseTransitions: 0, renewTime: '2025-01-01T00:00:00.000000Z' });
  });

  it('renews its own lease without counting a transition and keeps the acquire time', async () => {
    const a = candidate('pod-a');
    await a.tryAcquireOrRenew();
    clock += 2_000;
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(spec()).toMatchObject({
      holderIdentity: 'pod-a',
      leaseTransitions: 0,
      acquireTime: '2025-01-01T00:00:00.000000Z',
      renewTime: '2025-01-01T00:00:02.000000Z',
    });
    expect(api.requests.at(-1)).toMatchObject({ method: 'PUT', path: leasePath });
  });

  it('does not take a lease another holder keeps renewing, and reports that leader', async () => {
    const leaders: string[] = [];
    await candidate('pod-a').tryAcquireOrRenew();
    const b = candidate('pod-b', { onNewLeader: (id) => leaders.push(id) });
    expect(await b.tryAcquireOrRenew()).toBe(false);
    clock += 14_000;
    expect(await b.tryAcquireOrRenew()).toBe(false);
    expect(spec()?.holderIdentity).toBe('pod-a');
    expect(leaders).toEqual(['pod-a']);
  });

  it('takes over once the record has not changed for the lease duration on its own clock', async () => {
    const a = candidate('pod-a');
    await a.tryAcquireOrRenew();
    const b = candidate('pod-b');
    clock += 5_000;
    expect(await b.tryAcquireOrRenew()).toBe(false); // b first sees a's record
    clock += 10_000;
    await a.tryAcquireOrRenew(); // a renews: a new record
    clock += 1_000;
    expect(await b.tryAcquireOrRenew()).toBe(false); // b's timer restarts from this sighting
    clock += 14_999;
    expect(await b.tryAcquireOrRenew()).toBe(false);
    clock += 1;
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(spec()).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 1 });
    expect(spec()?.acquireTime).toBe(new Date(clock).toISOString().replace('Z', '000Z'));
  });

  it('loses the race cleanly on 409 Conflict when a rival writes between read and update', async () => {
    api.putLease(NS, LEASE, { holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 3 });
    const a = candidate('pod-a');
    api.afterLeaseRead = () => api.putLease(NS, LEASE, { holderIdentity: 'pod-b', leaseDurationSeconds: 15, leaseTransitions: 4 });
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(api.requests.at(-1)).toMatchObject({ method: 'PUT', path: leasePath });
    expect(spec()).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 4 });
    expect(a.isLeader).toBe(false);
  });

  it('loses the creation race cleanly on 409 AlreadyExists', async () => {
    const a = candidate('pod-a');
    api.afterLeaseRead = () => api.putLease(NS, LEASE, { holderIdentity: 'pod-b', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(api.requests.at(-1)?.method).toBe('POST');
    expect(spec()?.holderIdentity).toBe('pod-b');
  });

  it('answers 403 Forbidden (missing RBAC) with false and one warning naming the status', async () => {
    const { lines, logger } = recordingLogger();
    const a = candidate('pod-a', { logger });
    api.forbidden.add('get-lease');
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(await a.tryAcquireOrRenew()).toBe(false);
    const failures = lines.filter((l) => /request failed/.test(l.message));
    expect(failures.map((l) => l.level)).toEqual(['warn', 'debug']);
    expect(failures[0]!.fields).toMatchObject({ status: 403, operation: 'read' });
    api.forbidden.delete('get-lease');
    api.forbidden.add('create-lease');
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(lines.at(-1)?.fields).toMatchObject({ status: 403, operation: 'create' });
    expect(api.leases.size).toBe(0);
  });

  it('stop() releases the lease so a successor need not wait for expiry', async () => {
    const stopped: string[] = [];
    let started!: () => void;
    const leading = new Promise<void>((resolve) => (started = resolve));
    const a = candidate('pod-a', { now: Date.now, retryPeriodMs: 20, onStartedLeading: () => started(), onStoppedLeading: () => stopped.push('a') });
    a.start();
    await leading;
    await a.stop();
    expect(stopped).toEqual(['a']);
    expect(spec()).toMatchObject({ leaseDurationSeconds: 1 });
    expect(spec()?.holderIdentity).toBeUndefined();
    const b = candidate('pod-b');
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(spec()).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 1 });
  });

  it('release() leaves a lease held by someone else alone', async () => {
    await candidate('pod-b').tryAcquireOrRenew();
    const before = JSON.stringify(api.leases.get(`${NS}/${LEASE}`));
    expect(await candidate('pod-c').release()).toBe(false);
    expect(JSON.stringify(api.leases.get(`${NS}/${LEASE}`))).toBe(before);
  });

  describe('election loop (real clock, short periods)', () => {
    const fast = { leaseDurationSeconds: 1, renewDeadlineMs: 300, retryPeriodMs: 30, now: Date.now } as const;

    it('elects exactly one leader, hands over on stop(), and aborts the old leader’s signal', async () => {
      const started: string[] = [];
      const signals = new Map<string, AbortSignal>();
      let firstLeader!: (id: string) => void;
      const first = new Promise<string>((resolve) => (firstLeader = resolve));
      let secondLeader!: (id: string) => void;
      const second = new Promise<string>((resolve) => (secondLeader = resolve));
      const make = (id: string) =>
        candidate(id, {
          ...fast,
          onStartedLeading: (signal) => {
            started.push(id);
            signals.set(id, signal);
            (started.length === 1 ? firstLeader : secondLeader)(id);
          },
        });
      const electors = [make('pod-a'), make('pod-b')];
      electors.forEach((e) => e.start());
      const leaderId = await first;
      const leader = electors.find((e) => e.identity === leaderId)!;
      const follower = electors.find((e) => e.identity !== leaderId)!;
      // Let the follower observe the held lease a few times: it must not take it.
      await api.waitForRequest((r) => r.method === 'PUT' && (r.body as { spec?: { renewTime?: string } }).spec?.renewTime !== undefined);
      expect(follower.isLeader).toBe(false);
      await leader.stop();
      expect(signals.get(leaderId)!.aborted).toBe(true);
      expect(await second).toBe(follower.identity);
      expect(started).toEqual([leaderId, follower.identity]);
      await follower.stop();
    });

    it('steps down when it cannot renew within the deadline', async () => {
      let started!: (signal: AbortSignal) => void;
      const leading = new Promise<AbortSignal>((resolve) => (started = resolve));
      let stopped!: () => void;
      const lost = new Promise<void>((resolve) => (stopped = resolve));
      const a = candidate('pod-a', { ...fast, onStartedLeading: (signal) => started(signal), onStoppedLeading: () => stopped() });
      a.start();
      const signal = await leading;
      api.forbidden.add('get-lease');
      api.forbidden.add('update-lease');
      await lost;
      expect(signal.aborted).toBe(true);
      expect(a.isLeader).toBe(false);
      await a.stop();
    });
  });

  describe('outside a cluster', () => {
    it('leads at once by default, and stops leading on stop()', async () => {
      const events: string[] = [];
      const solo = new LeaseElector({ name: LEASE, env: {}, onStartedLeading: () => void events.push('start'), onStoppedLeading: () => events.push('stop') });
      expect(solo.enabled).toBe(false);
      solo.start();
      expect(solo.isLeader).toBe(true);
      await solo.stop();
      expect(solo.isLeader).toBe(false);
      await Promise.resolve();
      expect(events).toEqual(['start', 'stop']);
      expect(api.requests).toHaveLength(0);
    });

    it("with outsideCluster: 'never' it leaves singleton duties off", async () => {
      const never = new LeaseElector({ name: LEASE, env: {}, outsideCluster: 'never', onStartedLeading: () => expect.fail('must not lead') });
      never.start();
      expect(never.isLeader).toBe(false);
      await never.stop();
    });

    it('rejects a renew deadline that is not shorter than the lease', () => {
      expect(() => new LeaseElector({ name: LEASE, env: {}, leaseDurationSeconds: 5, renewDeadlineMs: 5_000, onStartedLeading: () => {} })).toThrow(RangeError);
    });
  });
});
