import { readFile } from 'node:fs/promises';
import { SINGLETON_LEASE_NAME } from '@chorus/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { integrityIssues } from '../src/integrity.js';
import { byKind, find, key, type K8sObject } from '../src/manifests.js';
import { OVERLAYS, paths, type Overlay } from '../src/paths.js';
import { configVariables, renderAll, type Renders } from '../src/renders.js';
import { validateAll } from '../src/validate/validate.js';
import { environmentNames, podTemplate, workloads, type Container } from '../src/workloads.js';

let r: Renders;
beforeAll(async () => {
  r = await renderAll();
}, 120_000);

const NAMESPACES: Record<Overlay, string> = { dev: 'chorus-dev', staging: 'chorus-staging', production: 'chorus' };
const SERVICES = ['chat-server', 'api', 'push-worker'] as const;
const container = (o: K8sObject): Container => podTemplate(o)!.spec.containers[0]!;
const annotations = (o: K8sObject) => o.metadata.annotations ?? {};

describe('every rendered object is valid against the Kubernetes and CRD schemas, strictly', () => {
  const cases: [string, (r: Renders) => K8sObject[]][] = [
    ['chart', (x) => x.chart],
    ['base', (x) => x.base],
    ...OVERLAYS.map((o) => [`overlay ${o}`, (x: Renders) => x.overlays[o]] as [string, (r: Renders) => K8sObject[]]),
    ['argocd', (x) => x.argocd],
  ];
  it.each(cases)('%s', async (_name, pick) => {
    const objects = pick(r);
    expect(objects.length).toBeGreaterThan(3);
    expect(await validateAll(objects)).toEqual([]);
  });
});

describe('cross-object references resolve in every overlay', () => {
  it.each(OVERLAYS)('%s', (overlay) => {
    // dev renders its database credentials; its JWT secret, like every environment's, stays out of Git.
    const external = overlay === 'dev' ? ['chorus-jwt'] : ['chorus-secrets', `chorus-${overlay}-tls`];
    expect(integrityIssues(r.overlays[overlay], { externalSecrets: external })).toEqual([]);
    expect(new Set(r.overlays[overlay].map((o) => o.metadata.namespace))).toEqual(new Set([NAMESPACES[overlay]]));
  });
});

describe('workloads', () => {
  it('the base has the three services, their Services, the migration Job, and nothing unnamed', () => {
    for (const s of SERVICES) {
      expect(find(r.base, 'Deployment', `chorus-${s}`)).toBeTruthy();
      expect(find(r.base, 'Service', `chorus-${s}`)).toBeTruthy();
      expect(find(r.base, 'PodDisruptionBudget', `chorus-${s}`)).toBeTruthy();
      expect(find(r.base, 'PodMonitor', `chorus-${s}`)).toBeTruthy();
    }
    expect(container(find(r.base, 'Job', 'chorus-migrate')).command).toEqual(['node', 'packages/core/dist/cli/migrate.js']);
    expect(SERVICES.map((s) => container(find(r.base, 'Deployment', `chorus-${s}`)).command)).toEqual([
      ['node', '--min-semi-space-size=16', 'packages/chat-server/dist/main.js'],
      ['node', 'packages/api/dist/main.js'],
      ['node', 'packages/push-worker/dist/main.js'],
    ]);
  });

  it.each(OVERLAYS)('%s: every Chorus container gets every variable loadConfig reads, and RUN_MIGRATIONS=false in services', async (overlay) => {
    const variables = configVariables(await readFile(paths.configSource, 'utf8'));
    expect(variables).toEqual(expect.arrayContaining(['DATABASE_URL', 'DRAIN_WINDOW_MS', 'JWT_SECRET', 'REDIS_URL', 'RUN_MIGRATIONS']));
    const objects = r.overlays[overlay];
    const chorus = workloads(objects).filter((w) => w.metadata.labels?.['app.kubernetes.io/name'] === 'chorus');
    expect(chorus.map(key).sort()).toEqual(['Deployment/chorus-api', 'Deployment/chorus-chat-server', 'Deployment/chorus-push-worker', 'Job/chorus-migrate']);
    for (const w of chorus) {
      const names = environmentNames(container(w), objects);
      // The migration Job neither listens nor decides whether to migrate.
      const notForJob = ['HOST', 'PORT', 'RUN_MIGRATIONS'];
      const missing = variables.filter((v) => !names.has(v) && !(w.kind === 'Job' && notForJob.includes(v)));
      expect(missing, key(w)).toEqual([]);
      if (w.kind === 'Deployment') {
        expect(container(w).env?.find((e) => e.name === 'RUN_MIGRATIONS')?.value).toBe('false');
        expect(container(w).env?.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
        expect(container(w).env?.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
      }
    }
  });

  it.each(OVERLAYS)('%s: probes, non-root read-only containers, resources, topology spread', (overlay) => {
    for (const s of SERVICES) {
      const d = find(r.overlays[overlay], 'Deployment', `chorus-${s}`);
      const pod = podTemplate(d)!.spec;
      const c = container(d);
      expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
      expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(Object.keys(c.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(c.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
      expect(pod.topologySpreadConstraints?.map((t) => t.topologyKey)).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    }
  });

  it('the chat-server grace period covers the preStop pause, the whole drain window and shutdown', () => {
    for (const overlay of OVERLAYS) {
      const objects = r.overlays[overlay];
      const d = find(objects, 'Deployment', 'chorus-chat-server');
      // The value the process sees: the last envFrom ConfigMap that sets it wins.
      const drainMs = Number(
        container(d)
          .envFrom!.map((e) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === e.configMapRef?.name)?.data as Record<string, string> | undefined)
          .reduce<string | undefined>((value, data) => data?.DRAIN_WINDOW_MS ?? value, undefined),
      );
      expect(drainMs).toBeGreaterThan(0);
      const preStop = container(d).lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(preStop).toBeGreaterThan(0);
      expect(podTemplate(d)!.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + Math.ceil(drainMs / 1000) + 5);
    }
    const longer = r.chart; // chart default drain window is 10 s
    expect(podTemplate(find(longer, 'Deployment', 'chorus-chat-server'))!.spec.terminationGracePeriodSeconds).toBe(5 + 10 + 15);
  });

  it('images are pinned by tag in every overlay, one tag per overlay', () => {
    for (const overlay of OVERLAYS) {
      const images = new Set(workloads(r.overlays[overlay]).filter((w) => w.metadata.labels?.['app.kubernetes.io/name'] === 'chorus').map((w) => container(w).image));
      expect(images.size, overlay).toBe(1);
      expect([...images][0]).toMatch(/^[a-z0-9.\-/]+:[0-9]+\.[0-9]+\.[0-9]+([-.][\w.]+)?$/);
    }
    for (const w of workloads(r.overlays.dev)) expect(container(w).image).not.toMatch(/:latest$|^[^:]+$/);
  });
});

describe('ingress', () => {
  const paths = (ingress: K8sObject) =>
    (ingress.spec as { rules: { http: { paths: { path: string; backend: { service: { name: string } } }[] } }[] }).rules.flatMap((rule) => rule.http.paths.map((p) => `${p.path} -> ${p.backend.service.name}`));

  it('routes /ws and /sockjs to the chat-server with long-lived-socket annotations, and the API, docs and web client to the api', () => {
    const realtime = find(r.base, 'Ingress', 'chorus-realtime');
    const api = find(r.base, 'Ingress', 'chorus-api');
    expect(paths(realtime)).toEqual(['/ws -> chorus-chat-server', '/sockjs -> chorus-chat-server']);
    expect(paths(api)).toEqual(['/api -> chorus-api', '/docs -> chorus-api', '/assets -> chorus-api', '/ -> chorus-api', '/index.html -> chorus-api', '/favicon.svg -> chorus-api']);
    expect(annotations(realtime)).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
    });
    expect(annotations(api)['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBeUndefined();
  });

  it.each(['chart', ...OVERLAYS] as const)('%s: /metrics, /healthz and /readyz are not routed by any Ingress', (where) => {
    const objects = where === 'chart' ? r.chart : r.overlays[where];
    type Rule = { http: { paths: { path: string; pathType: string }[] } };
    const routes = byKind(objects, 'Ingress').flatMap((ingress) => (ingress.spec as { rules: Rule[] }).rules.flatMap((rule) => rule.http.paths));
    expect(routes.length).toBeGreaterThan(0);
    // How ingress-nginx matches: Exact is the whole path; Prefix matches whole path segments.
    const routed = (path: string) =>
      routes.some((route) => (route.pathType === 'Exact' ? path === route.path : route.path === '/' || path === route.path || path.startsWith(`${route.path.replace(/\/$/, '')}/`)));
    for (const path of ['/metrics', '/healthz', '/readyz', '/metrics/x', '/healthz/']) expect(routed(path), path).toBe(false);
    for (const path of ['/', '/index.html', '/assets/index-abc.js', '/favicon.svg', '/api/me', '/docs/json', '/ws', '/sockjs/info']) expect(routed(path), path).toBe(true);
  });

  it('staging and production terminate TLS for their own host; dev is plain HTTP', () => {
    const hosts: Record<Overlay, string> = { dev: 'chorus.localtest.me', staging: 'chorus.staging.example.com', production: 'chat.example.com' };
    for (const overlay of OVERLAYS) {
      for (const ingress of byKind(r.overlays[overlay], 'Ingress')) {
        const spec = ingress.spec as { tls?: { hosts: string[]; secretName: string }[]; rules: { host: string }[] };
        expect(spec.rules.map((x) => x.host)).toEqual([hosts[overlay]]);
        if (overlay === 'dev') expect(spec.tls).toBeUndefined();
        else expect(spec.tls).toEqual([{ hosts: [hosts[overlay]], secretName: `chorus-${overlay}-tls` }]);
      }
    }
  });
});

describe('JWT secrets', () => {
  it.each(OVERLAYS)('%s: every Chorus container reads JWT_SECRET from a Secret that is not in Git', (overlay) => {
    const objects = r.overlays[overlay];
    const chorus = workloads(objects).filter((w) => w.metadata.labels?.['app.kubernetes.io/name'] === 'chorus');
    for (const w of chorus) {
      const ref = container(w).env?.find((e) => e.name === 'JWT_SECRET')?.valueFrom?.secretKeyRef;
      expect(ref, key(w)).toBeDefined();
      expect(byKind(objects, 'Secret').map((s) => s.metadata.name), key(w)).not.toContain(ref!.name);
    }
  });
});

describe('per-environment shape', () => {
  it('dev: single replicas, no HPA, in-cluster Redis and Postgres with PVCs reachable only from Chorus pods', () => {
    const dev = r.overlays.dev;
    expect(byKind(dev, 'HorizontalPodAutoscaler')).toEqual([]);
    for (const s of SERVICES) expect((find(dev, 'Deployment', `chorus-${s}`).spec as { replicas: number }).replicas).toBe(1);
    for (const db of ['chorus-postgres', 'chorus-redis']) {
      const sts = find(dev, 'StatefulSet', db).spec as { volumeClaimTemplates: unknown[] };
      expect(sts.volumeClaimTemplates).toHaveLength(1);
      const policy = find(dev, 'NetworkPolicy', db).spec as { ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[] };
      expect(policy.ingress.flatMap((i) => i.from)).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'chorus' } } }]);
    }
    const secret = byKind(dev, 'Secret')[0]!;
    const url = Buffer.from((secret.data as Record<string, string>).DATABASE_URL!, 'base64').toString();
    expect(url).toMatch(/@chorus-postgres:5432\//);
  });

  it('staging and production: external managed Redis/Postgres via a Secret that is not in Git, and HPA bounds', () => {
    for (const overlay of ['staging', 'production'] as const) {
      const objects = r.overlays[overlay];
      expect(byKind(objects, 'Secret')).toEqual([]);
      expect(byKind(objects, 'StatefulSet')).toEqual([]);
      const hpa = find(objects, 'HorizontalPodAutoscaler', 'chorus-chat-server').spec as { minReplicas: number; maxReplicas: number };
      expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.maxReplicas).toBeGreaterThan(hpa.minReplicas);
      for (const s of SERVICES) expect((find(objects, 'Deployment', `chorus-${s}`).spec as { replicas?: number }).replicas).toBeUndefined();
    }
    const cpu = (overlay: Overlay) => container(find(r.overlays[overlay], 'Deployment', 'chorus-chat-server')).resources!.requests!.cpu!;
    expect(cpu('production')).toBe('1');
    expect(cpu('staging')).toBe('250m');
  });

  it('overrides are a generated, hashed ConfigMap the pods reference, so changing one rolls them', () => {
    for (const overlay of OVERLAYS) {
      const generated = byKind(r.overlays[overlay], 'ConfigMap').find((c) => c.metadata.name.startsWith('chorus-config-overrides-'));
      expect(generated?.metadata.name, overlay).toMatch(/^chorus-config-overrides-[a-z0-9]{10}$/);
      const refs = container(find(r.overlays[overlay], 'Deployment', 'chorus-api')).envFrom!.map((e) => e.configMapRef?.name);
      expect(refs).toEqual(['chorus-config', generated!.metadata.name]);
    }
  });
});

describe('autoscaling', () => {
  it('chat-server scales on the per-pod connection gauge and CPU, and scales down slowly', () => {
    const hpa = find(r.base, 'HorizontalPodAutoscaler', 'chorus-chat-server').spec as {
      metrics: { type: string; pods?: { metric: { name: string }; target: { type: string } }; resource?: { name: string } }[];
      behavior: { scaleDown: { stabilizationWindowSeconds: number; policies: { type: string; value: number; periodSeconds: number }[]; selectPolicy: string } };
    };
    expect(hpa.metrics.map((m) => m.type)).toEqual(['Pods', 'Resource']);
    expect(hpa.metrics[0]!.pods).toMatchObject({ metric: { name: 'chorus_ws_connections' }, target: { type: 'AverageValue' } });
    expect(hpa.metrics[1]!.resource?.name).toBe('cpu');
    expect(hpa.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(300);
    expect(hpa.behavior.scaleDown.selectPolicy).toBe('Min');
    for (const p of hpa.behavior.scaleDown.policies) {
      expect(p.type).toBe('Pods');
      expect(p.value / p.periodSeconds).toBeLessThanOrEqual(5 / 60);
    }
  });

  it('api scales on CPU; push-worker on the external queue-depth metric with a floor of at least one pod', () => {
    const api = find(r.base, 'HorizontalPodAutoscaler', 'chorus-api').spec as { metrics: { type: string; resource?: { name: string } }[] };
    expect(api.metrics).toEqual([expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) })]);
    const push = find(r.base, 'HorizontalPodAutoscaler', 'chorus-push-worker').spec as { minReplicas: number; metrics: { type: string; external?: { metric: { name: string } } }[] };
    expect(push.metrics.map((m) => m.external?.metric.name)).toEqual(['chorus_push_queue_depth']);
    expect(push.minReplicas).toBeGreaterThanOrEqual(1);
  });
});

describe('security', () => {
  it('network policies: default deny, ingress-nginx reaches only chat-server and api, Prometheus reaches all three', () => {
    const policy = (name: string) => find(r.base, 'NetworkPolicy', name).spec as { ingress?: { from: { namespaceSelector?: { matchLabels: Record<string, string> } }[] }[] };
    expect(policy('chorus-default-deny-ingress').ingress).toBeUndefined();
    const sources = (name: string) => policy(name).ingress!.flatMap((i) => i.from.map((f) => f.namespaceSelector?.matchLabels['kubernetes.io/metadata.name']));
    expect(sources('chorus-chat-server')).toEqual(['ingress-nginx', 'monitoring']);
    expect(sources('chorus-api')).toEqual(['ingress-nginx', 'monitoring']);
    expect(sources('chorus-push-worker')).toEqual(['monitoring']);
  });

  it('RBAC grants exactly the runtime’s verbs: leases create + get/update on one lease, pods patch for the chat-server only', () => {
    const rules = (name: string) => (find(r.base, 'Role', name) as unknown as { rules: unknown[] }).rules;
    expect(rules('chorus-leader-election')).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [SINGLETON_LEASE_NAME], verbs: ['get', 'update'] },
    ]);
    expect(rules('chorus-pod-deletion-cost')).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['patch'] }]);
    const subjects = (name: string) => (find(r.base, 'RoleBinding', name) as unknown as { subjects: { name: string }[] }).subjects.map((s) => s.name);
    expect(subjects('chorus-pod-deletion-cost')).toEqual(['chorus-chat-server']);
    expect(podTemplate(find(r.base, 'Deployment', 'chorus-chat-server'))!.spec.serviceAccountName).toBe('chorus-chat-server');
    expect(podTemplate(find(r.base, 'Deployment', 'chorus-api'))!.spec.serviceAccountName).toBe('chorus');
    expect(podTemplate(find(r.base, 'Job', 'chorus-migrate'))!.spec.automountServiceAccountToken).toBe(false);
  });
});

describe('Argo CD ordering', () => {
  const wave = (o: K8sObject) => Number(annotations(o)['argocd.argoproj.io/sync-wave'] ?? 0);

  it('sync waves: config before the migration, the migration before the workloads', () => {
    for (const overlay of OVERLAYS) {
      const objects = r.overlays[overlay];
      const job = find(objects, 'Job', 'chorus-migrate');
      const config = objects.filter((o) => ['ConfigMap', 'Secret', 'ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind) && !o.metadata.name.endsWith('-dashboard'));
      for (const c of config) expect(wave(c), key(c)).toBeLessThan(wave(job));
      for (const s of SERVICES) expect(wave(find(objects, 'Deployment', `chorus-${s}`))).toBeGreaterThan(wave(job));
      expect(annotations(job)['argocd.argoproj.io/hook-delete-policy']).toBe('BeforeHookCreation');
    }
  });

  it('the migration is a PreSync hook where the database is external, a Sync hook in dev where it is part of the app', () => {
    expect(annotations(find(r.overlays.staging, 'Job', 'chorus-migrate'))['argocd.argoproj.io/hook']).toBe('PreSync');
    expect(annotations(find(r.overlays.production, 'Job', 'chorus-migrate'))['argocd.argoproj.io/hook']).toBe('PreSync');
    expect(annotations(find(r.overlays.dev, 'Job', 'chorus-migrate'))['argocd.argoproj.io/hook']).toBe('Sync');
    for (const db of ['chorus-postgres', 'chorus-redis']) expect(wave(find(r.overlays.dev, 'StatefulSet', db))).toBe(-1);
    // The PreSync Job needs nothing else from the release: only the external Secret and optional ConfigMaps.
    const job = container(find(r.overlays.production, 'Job', 'chorus-migrate'));
    expect(job.envFrom!.every((e) => e.configMapRef?.optional === true)).toBe(true);
  });

  it('applications: automated prune/self-heal for dev, manual production, HPA replicas ignored, project limits', () => {
    const app = (env: string) => find(r.argocd, 'Application', `chorus-${env}`).spec as {
      project: string;
      source: { path: string };
      destination: { namespace: string };
      syncPolicy: { automated?: { prune: boolean; selfHeal: boolean }; syncOptions: string[] };
      ignoreDifferences: { kind: string; jsonPointers: string[] }[];
    };
    expect(app('dev').syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app('production').syncPolicy.automated).toBeUndefined();
    for (const env of OVERLAYS) {
      expect(app(env).source.path).toBe(`deploy/overlays/${env}`);
      expect(app(env).destination.namespace).toBe(NAMESPACES[env]);
      expect(app(env).project).toBe('chorus');
      expect(app(env).ignoreDifferences).toEqual([{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]);
      expect(app(env).syncPolicy.syncOptions).toContain('RespectIgnoreDifferences=true');
    }
    const project = find(r.argocd, 'AppProject', 'chorus').spec as {
      destinations: { namespace: string }[];
      namespaceResourceWhitelist: { group: string; kind: string }[];
      clusterResourceWhitelist: { kind: string }[];
    };
    expect(project.destinations.map((d) => d.namespace).sort()).toEqual(Object.values(NAMESPACES).sort());
    expect(project.clusterResourceWhitelist.map((k) => k.kind)).toEqual(['Namespace']);
    // Every kind any overlay renders is allowed, and nothing more.
    const allowed = new Set(project.namespaceResourceWhitelist.map((k) => `${k.group}/${k.kind}`));
    const rendered = new Set(OVERLAYS.flatMap((o) => r.overlays[o]).map((o) => `${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.kind}`));
    expect([...rendered].sort()).toEqual([...allowed].sort());
  });
});
