import type { K8sObject } from './manifests.js';
import { matches, podTemplate, selectedWorkloads, workloads } from './workloads.js';

export interface IntegrityOptions {
  /** Secrets created outside Git (credentials, TLS certificates): references to them are expected to dangle. */
  externalSecrets: string[];
}

const has = (objects: K8sObject[], kind: string, name: string): boolean => objects.some((o) => o.kind === kind && o.metadata.name === name);

/**
 * Cross-object checks an API server cannot do at apply time but a broken rollout would show:
 * every reference resolves, every selector selects something, every named port exists,
 * and every namespaced object lands in one namespace.
 */
export function integrityIssues(objects: K8sObject[], options: IntegrityOptions): string[] {
  const issues: string[] = [];
  const external = new Set(options.externalSecrets);
  const secretExists = (name: string): boolean => has(objects, 'Secret', name) || external.has(name);
  const podPorts = (ws: K8sObject[]): Set<string> => new Set(ws.flatMap((w) => podTemplate(w)!.spec.containers.flatMap((c) => (c.ports ?? []).flatMap((p) => [p.name ?? '', String(p.containerPort)]))));

  const namespaces = new Set(objects.map((o) => o.metadata.namespace));
  if (namespaces.size !== 1 || namespaces.has(undefined)) issues.push(`objects are spread over namespaces ${[...namespaces].join(', ')}`);

  for (const w of workloads(objects)) {
    const id = `${w.kind}/${w.metadata.name}`;
    const template = podTemplate(w)!;
    const selector = (w.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels;
    if (w.kind !== 'Job' && (!selector || !matches(selector, template.metadata?.labels))) issues.push(`${id}: selector does not match its pod template labels`);
    const sa = template.spec.serviceAccountName;
    if (sa && !has(objects, 'ServiceAccount', sa)) issues.push(`${id}: ServiceAccount ${sa} is not in the render`);
    for (const c of template.spec.containers) {
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef;
        if (s && !s.optional && !secretExists(s.name)) issues.push(`${id}/${c.name}: env ${e.name} needs Secret ${s.name}`);
        const m = e.valueFrom?.configMapKeyRef;
        if (m && !m.optional && !has(objects, 'ConfigMap', m.name)) issues.push(`${id}/${c.name}: env ${e.name} needs ConfigMap ${m.name}`);
      }
      for (const f of c.envFrom ?? []) {
        if (f.configMapRef && !f.configMapRef.optional && !has(objects, 'ConfigMap', f.configMapRef.name)) issues.push(`${id}/${c.name}: envFrom needs ConfigMap ${f.configMapRef.name}`);
        if (f.secretRef && !f.secretRef.optional && !secretExists(f.secretRef.name)) issues.push(`${id}/${c.name}: envFrom needs Secret ${f.secretRef.name}`);
      }
      const ports = new Set((c.ports ?? []).map((p) => p.name));
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        const port = probe?.httpGet?.port;
        if (typeof port === 'string' && !ports.has(port)) issues.push(`${id}/${c.name}: probe port ${port} is not a container port`);
      }
    }
    for (const v of template.spec.volumes ?? []) {
      if (v.secret && !v.secret.optional && !secretExists(v.secret.secretName)) issues.push(`${id}: volume ${v.name} needs Secret ${v.secret.secretName}`);
      if (v.configMap && !v.configMap.optional && !has(objects, 'ConfigMap', v.configMap.name)) issues.push(`${id}: volume ${v.name} needs ConfigMap ${v.configMap.name}`);
    }
  }

  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.name}`;
    const spec = o.spec as Record<string, unknown> | undefined;
    switch (o.kind) {
      case 'Service': {
        const s = spec as { selector?: Record<string, string>; ports: { name?: string; targetPort?: string | number }[] };
        const selected = selectedWorkloads(objects, s.selector).filter((w) => w.kind !== 'Job');
        if (selected.length === 0) issues.push(`${id}: selects no pods`);
        const ports = podPorts(selected);
        for (const p of s.ports) if (p.targetPort !== undefined && !ports.has(String(p.targetPort))) issues.push(`${id}: targetPort ${p.targetPort} is not a port of the selected pods`);
        break;
      }
      case 'HorizontalPodAutoscaler': {
        const ref = (spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
        if (!has(objects, ref.kind, ref.name)) issues.push(`${id}: scales ${ref.kind}/${ref.name}, which is not in the render`);
        break;
      }
      case 'PodDisruptionBudget':
      case 'PodMonitor': {
        const selector = (spec as { selector: { matchLabels?: Record<string, string> } }).selector.matchLabels;
        const selected = selectedWorkloads(objects, selector).filter((w) => w.kind !== 'Job');
        if (selected.length === 0) issues.push(`${id}: selects no pods`);
        if (o.kind === 'PodMonitor') {
          const ports = podPorts(selected);
          for (const e of (spec as { podMetricsEndpoints: { port?: string }[] }).podMetricsEndpoints) if (e.port && !ports.has(e.port)) issues.push(`${id}: port ${e.port} is not a port of the selected pods`);
        }
        break;
      }
      case 'NetworkPolicy': {
        const n = spec as { podSelector: { matchLabels?: Record<string, string> }; ingress?: { ports?: { port?: string | number }[] }[] };
        const selected = selectedWorkloads(objects, n.podSelector.matchLabels);
        if (selected.length === 0) issues.push(`${id}: selects no pods`);
        const ports = podPorts(selected);
        for (const rule of n.ingress ?? []) for (const p of rule.ports ?? []) if (p.port !== undefined && !ports.has(String(p.port))) issues.push(`${id}: port ${p.port} is not a port of the selected pods`);
        break;
      }
      case 'Ingress': {
        const i = spec as { tls?: { secretName?: string }[]; rules: { http: { paths: { backend: { service: { name: string; port: { name?: string; number?: number } } } }[] } }[] };
        for (const t of i.tls ?? []) if (t.secretName && !secretExists(t.secretName)) issues.push(`${id}: TLS Secret ${t.secretName} is neither rendered nor declared external`);
        for (const path of i.rules.flatMap((r) => r.http.paths)) {
          const svc = objects.find((x) => x.kind === 'Service' && x.metadata.name === path.backend.service.name);
          if (!svc) issues.push(`${id}: backend Service ${path.backend.service.name} is not in the render`);
          else if (path.backend.service.port.name && !(svc.spec as { ports: { name?: string }[] }).ports.some((p) => p.name === path.backend.service.port.name)) issues.push(`${id}: Service ${svc.metadata.name} has no port ${path.backend.service.port.name}`);
        }
        break;
      }
      case 'RoleBinding': {
        const rb = o as unknown as { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace?: string }[] };
        if (!has(objects, rb.roleRef.kind, rb.roleRef.name)) issues.push(`${id}: roleRef ${rb.roleRef.kind}/${rb.roleRef.name} is not in the render`);
        for (const s of rb.subjects) {
          if (s.kind !== 'ServiceAccount') continue;
          if (!has(objects, 'ServiceAccount', s.name)) issues.push(`${id}: subject ServiceAccount ${s.name} is not in the render`);
          if (s.namespace !== o.metadata.namespace) issues.push(`${id}: subject ServiceAccount ${s.name} is in namespace ${s.namespace}, the binding in ${o.metadata.namespace}`);
        }
        break;
      }
    }
  }
  return issues;
}
