import type { K8sObject } from './manifests.js';

/** Shapes of the parts of workload objects the checks read. */
export interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string; optional?: boolean }; fieldRef?: { fieldPath: string } } }[];
  envFrom?: { configMapRef?: { name: string; optional?: boolean }; secretRef?: { name: string; optional?: boolean } }[];
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: { command: string[] } } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[] } };
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  topologySpreadConstraints?: { topologyKey: string; labelSelector?: { matchLabels?: Record<string, string> } }[];
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string; optional?: boolean }; configMap?: { name: string; optional?: boolean } }[];
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'Job'];

export function podTemplate(o: K8sObject): PodTemplate | undefined {
  if (!WORKLOAD_KINDS.includes(o.kind)) return undefined;
  return (o.spec as { template: PodTemplate }).template;
}

export const workloads = (objects: K8sObject[]): K8sObject[] => objects.filter((o) => podTemplate(o) !== undefined);

export function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return true;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Workloads whose pods carry every label of the selector. */
export function selectedWorkloads(objects: K8sObject[], selector: Record<string, string> | undefined): K8sObject[] {
  return workloads(objects).filter((w) => matches(selector, podTemplate(w)!.metadata?.labels));
}

/** Every environment variable name a container ends up with (explicit env plus envFrom ConfigMaps/Secrets in the render). */
export function environmentNames(container: Container, objects: K8sObject[]): Set<string> {
  const names = new Set((container.env ?? []).map((e) => e.name));
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const found = objects.find((o) => o.kind === kind && o.metadata.name === ref?.name);
    const data = { ...((found?.data as Record<string, string> | undefined) ?? {}), ...((found?.stringData as Record<string, string> | undefined) ?? {}) };
    Object.keys(data).forEach((k) => names.add(k));
  }
  return names;
}
