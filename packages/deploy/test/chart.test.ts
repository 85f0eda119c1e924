import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { byKind, find, helmLint, helmTemplate, key, type K8sObject } from '../src/manifests.js';
import { paths } from '../src/paths.js';
import { configVariables, renderAll, type Renders } from '../src/renders.js';
import { validateAll } from '../src/validate/validate.js';
import { podTemplate } from '../src/workloads.js';

let r: Renders;
beforeAll(async () => {
  r = await renderAll();
}, 120_000);

const sortByKey = (objects: K8sObject[]) => [...objects].sort((a, b) => key(a).localeCompare(key(b)));

describe('charts/chorus', () => {
  it('passes helm lint --strict', async () => {
    expect(await helmLint()).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('is the single source: the Kustomize base renders exactly the chart’s objects', () => {
    expect(r.base.map(key).sort()).toEqual(r.chart.map(key).sort());
    expect(sortByKey(r.base)).toEqual(sortByKey(r.chart));
    // and those are the workloads and everything around them
    expect(new Set(r.base.map((o) => o.kind))).toEqual(
      new Set(['ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'Service', 'Deployment', 'Job', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Ingress', 'NetworkPolicy', 'PodMonitor', 'PrometheusRule']),
    );
  });

  it('each overlay changes the base only through its own patches: same objects, same container commands', () => {
    for (const overlay of ['staging', 'production'] as const) {
      const names = (objects: K8sObject[]) => objects.filter((o) => !o.metadata.name.startsWith('chorus-config-overrides')).map(key).sort();
      expect(names(r.overlays[overlay])).toEqual(names(r.base));
    }
    for (const d of byKind(r.base, 'Deployment')) {
      for (const overlay of ['dev', 'staging', 'production'] as const) {
        const other = find(r.overlays[overlay], 'Deployment', d.metadata.name);
        expect(podTemplate(other)!.spec.containers.map((c) => c.command)).toEqual(podTemplate(d)!.spec.containers.map((c) => c.command));
      }
    }
  });

  it('values.yaml and values.schema.json list exactly the settings loadConfig reads that are not secrets or set per container', async () => {
    const variables = configVariables(await readFile(paths.configSource, 'utf8'));
    const elsewhere = ['DATABASE_URL', 'FCM_SERVICE_ACCOUNT_JSON', 'HOST', 'JWT_SECRET', 'PORT', 'REDIS_URL', 'RUN_MIGRATIONS'];
    const values = parse(await readFile(join(paths.chart, 'values.yaml'), 'utf8')) as { config: Record<string, string> };
    const schema = JSON.parse(await readFile(join(paths.chart, 'values.schema.json'), 'utf8')) as { properties: { config: { properties: Record<string, unknown> } } };
    const expected = variables.filter((v) => !elsewhere.includes(v)).sort();
    expect(Object.keys(values.config).sort()).toEqual(expected);
    expect(Object.keys(schema.properties.config.properties).sort()).toEqual(expected);
  });

  it('keeps Helm hooks for Helm users next to the Argo CD hook (Argo CD prefers its own annotation)', () => {
    expect(find(r.chart, 'Job', 'chorus-migrate').metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation',
      'argocd.argoproj.io/hook': 'PreSync',
    });
  });

  it('values.schema.json rejects unknown settings and unquoted numbers', async () => {
    await expect(helmTemplate({ setString: { 'config.DRAIN_WINDOWS_MS': '1' } })).rejects.toThrow(/additional properties 'DRAIN_WINDOWS_MS' not allowed/);
    await expect(helmTemplate({ setString: { 'config.LOG_LEVEL': 'loud' } })).rejects.toThrow(/LOG_LEVEL/);
    await expect(helmTemplate({ set: { 'chatServer.autoscaling.maxReplica': '3' } })).rejects.toThrow(/maxReplica/);
    await expect(helmTemplate({ set: { 'config.SEND_BUFFER_BYTES': '1048576' } })).rejects.toThrow(/SEND_BUFFER_BYTES': got number, want string/);
    for (const component of ['chatServer', 'api', 'pushWorker']) {
      await expect(helmTemplate({ setString: { [`${component}.nodeArgs[0]`]: 'index.js' } })).rejects.toThrow(/nodeArgs/);
    }
  });

  it('puts a component\'s nodeArgs between node and its entry point', async () => {
    const objects = await helmTemplate({ setString: { 'api.nodeArgs[0]': '--max-old-space-size=512', 'api.nodeArgs[1]': '--stack-trace-limit=20' } });
    const command = (name: string) => podTemplate(find(objects, 'Deployment', name))!.spec.containers[0]!.command;
    expect(command('chorus-api')).toEqual(['node', '--max-old-space-size=512', '--stack-trace-limit=20', 'packages/api/dist/main.js']);
    expect(command('chorus-chat-server')).toEqual(['node', '--min-semi-space-size=16', 'packages/chat-server/dist/main.js']);
    expect(command('chorus-push-worker')).toEqual(['node', 'packages/push-worker/dist/main.js']);
  });

  it('derives the chat-server grace period from DRAIN_WINDOW_MS', async () => {
    const objects = await helmTemplate({ setString: { 'config.DRAIN_WINDOW_MS': '25500' } });
    expect(podTemplate(find(objects, 'Deployment', 'chorus-chat-server'))!.spec.terminationGracePeriodSeconds).toBe(5 + 26 + 15);
  });

  it('renders valid alternatives: no autoscaling, a chart-made Secret, a mounted FCM credentials file, another release name', async () => {
    const objects = await helmTemplate({
      releaseName: 'team-a',
      namespace: 'chat',
      values: [join(paths.chart, 'values.yaml')],
      set: { 'chatServer.autoscaling.enabled': 'false', 'secrets.create': 'true', 'ingress.tls.enabled': 'false' },
      setString: { 'secrets.values.JWT_SECRET': 'x'.repeat(40), 'push.credentialsSecret': 'fcm-credentials' },
    });
    expect(await validateAll(objects)).toEqual([]);
    expect(byKind(objects, 'HorizontalPodAutoscaler').map((o) => o.metadata.name).sort()).toEqual(['team-a-chorus-api', 'team-a-chorus-push-worker']);
    expect((find(objects, 'Deployment', 'team-a-chorus-chat-server').spec as { replicas: number }).replicas).toBe(2);
    expect(find(objects, 'Secret', 'chorus-secrets')).toBeTruthy();
    const push = podTemplate(find(objects, 'Deployment', 'team-a-chorus-push-worker'))!.spec;
    expect(push.volumes?.find((v) => v.secret)?.secret?.secretName).toBe('fcm-credentials');
    expect(push.containers[0]!.env?.find((e) => e.name === 'GOOGLE_APPLICATION_CREDENTIALS')?.value).toBe('/var/run/secrets/chorus/fcm/credentials.json');
    expect(find(objects, 'Ingress', 'team-a-chorus-realtime').metadata.annotations?.['nginx.ingress.kubernetes.io/session-cookie-secure']).toBe('false');
  });
});
