import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { POD_DELETION_COST_ANNOTATION, PodDeletionCostUpdater } from '../src/kubernetes/index.js';
import { FakeKubeApi, recordingLogger } from './kubernetes-api-server.js';

const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', POD_NAME: 'chat-server-abc', POD_NAMESPACE: 'chorus' };

describe('PodDeletionCostUpdater', () => {
  const api = new FakeKubeApi();
  let clock = 0;
  let connections = 0;
  const annotation = () => api.pods.get('chorus/chat-server-abc')?.metadata.annotations[POD_DELETION_COST_ANNOTATION];
  const patches = () => api.requests.filter((r) => r.method === 'PATCH').length;

  beforeAll(() => api.listen());
  afterAll(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
    api.forbidden.clear();
    api.failNext.clear();
    api.addPod('chorus', 'chat-server-abc');
    clock = 1_000_000;
    connections = 0;
  });
  afterEach(() => api.pods.clear());

  const updater = (extra: Partial<ConstructorParameters<typeof PodDeletionCostUpdater>[0]> = {}) =>
    new PodDeletionCostUpdater({ connections: () => connections, intervalMs: 10_000, env, kubeConfig: api.kubeConfig(), now: () => clock, ...extra });

  it('is a no-op outside a cluster', async () => {
    const outside = new PodDeletionCostUpdater({ connections: () => 5, env: { POD_NAME: 'x', POD_NAMESPACE: 'y' } });
    expect(outside.enabled).toBe(false);
    outside.start();
    expect(await outside.update()).toBe('disabled');
    await outside.stop();
    expect(api.requests).toHaveLength(0);
  });

  it('stays off without the downward-API pod name, and says so', async () => {
    const { lines, logger } = recordingLogger();
    const noName = updater({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, logger });
    expect(noName.enabled).toBe(false);
    expect(await noName.update()).toBe('disabled');
    expect(lines.some((l) => l.level === 'warn' && /POD_NAME/.test(l.message))).toBe(true);
    expect(api.requests).toHaveLength(0);
  });

  it('merge-patches its own pod annotation with the connection count, authenticated by the service account', async () => {
    connections = 42;
    expect(await updater().update()).toBe('patched');
    expect(annotation()).toBe('42');
    const [request] = api.requests;
    expect(request).toMatchObject({
      method: 'PATCH',
      path: '/api/v1/namespaces/chorus/pods/chat-server-abc',
      contentType: 'application/merge-patch+json',
      authorization: 'Bearer service-account-token',
      body: { metadata: { annotations: { [POD_DELETION_COST_ANNOTATION]: '42' } } },
    });
  });

  it('patches only when the count changed, and at most once per interval', async () => {
    const u = updater();
    connections = 3;
    expect(await u.update()).toBe('patched');
    clock += 60_000;
    expect(await u.update()).toBe('unchanged');
    connections = 7;
    clock += 1;
    expect(await u.update()).toBe('patched');
    connections = 9;
    clock += 9_999;
    expect(await u.update()).toBe('throttled');
    expect(annotation()).toBe('7');
    clock += 1;
    expect(await u.update()).toBe('patched');
    expect(annotation()).toBe('9');
    expect(patches()).toBe(3);
  });

  it('accepts an async connection count (e.g. read from the metrics registry)', async () => {
    const u = updater({ connections: async () => 17 });
    expect(await u.update()).toBe('patched');
    expect(annotation()).toBe('17');
  });

  it('clamps the cost to a non-negative int32', async () => {
    const u = updater();
    connections = 2 ** 40;
    await u.update();
    expect(annotation()).toBe('2147483647');
    clock += 10_000;
    connections = -1;
    await u.update();
    expect(annotation()).toBe('0');
  });

  it('survives 403 Forbidden (missing RBAC): warns once, keeps retrying each interval, recovers when granted', async () => {
    const { lines, logger } = recordingLogger();
    const u = updater({ logger });
    api.forbidden.add('patch-pod');
    connections = 4;
    expect(await u.update()).toBe('failed');
    clock += 10_000;
    expect(await u.update()).toBe('failed');
    const failures = lines.filter((l) => /patch failed/.test(l.message));
    expect(failures.map((l) => l.level)).toEqual(['warn', 'debug']);
    expect(failures[0]!.fields).toMatchObject({ status: 403 });
    expect(String((failures[0]!.fields as { err: string }).err)).toMatch(/forbidden/);
    expect(u.written).toBeUndefined();
    api.forbidden.delete('patch-pod');
    clock += 5_000;
    expect(await u.update()).toBe('throttled');
    clock += 5_000;
    expect(await u.update()).toBe('patched');
    expect(annotation()).toBe('4');
  });

  it('retries after 409 Conflict and after the pod is not found', async () => {
    const u = updater();
    connections = 11;
    api.failNext.set('patch-pod', [409]);
    expect(await u.update()).toBe('failed');
    clock += 10_000;
    expect(await u.update()).toBe('patched');
    expect(annotation()).toBe('11');
    api.pods.clear();
    connections = 12;
    clock += 10_000;
    expect(await u.update()).toBe('failed');
  });

  it('start() patches straight away and follows later changes until stop()', async () => {
    const u = new PodDeletionCostUpdater({ connections: () => connections, intervalMs: 20, env, kubeConfig: api.kubeConfig() });
    connections = 1;
    u.start();
    await api.waitForRequest((r) => r.method === 'PATCH');
    connections = 2;
    await api.waitForRequest((r) => r.method === 'PATCH' && JSON.stringify(r.body).includes('"2"'));
    await u.stop();
    expect(annotation()).toBe('2');
    const count = patches();
    connections = 3;
    expect(patches()).toBe(count);
    expect(count).toBe(2);
  });
});
