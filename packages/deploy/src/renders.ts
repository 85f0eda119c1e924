import { join } from 'node:path';
import { helmTemplate, kustomize, readManifests, type K8sObject } from './manifests.js';
import { OVERLAYS, paths, type Overlay } from './paths.js';

export interface Renders {
  /** `helm template` of the chart with deploy/base/values.yaml, the way the base inflates it. */
  chart: K8sObject[];
  base: K8sObject[];
  overlays: Record<Overlay, K8sObject[]>;
  argocd: K8sObject[];
}

let cached: Promise<Renders> | undefined;

/** Renders everything once per test process. */
export function renderAll(): Promise<Renders> {
  cached ??= (async () => {
    const [chart, base, dev, staging, production, argocd] = await Promise.all([
      helmTemplate({ releaseName: 'chorus', namespace: 'chorus', values: [join(paths.base, 'values.yaml')] }),
      kustomize(paths.base),
      ...OVERLAYS.map((o) => kustomize(paths.overlay(o))),
      kustomize(paths.argocd),
    ]);
    return { chart: chart!, base: base!, overlays: { dev: dev!, staging: staging!, production: production! }, argocd: argocd! };
  })();
  return cached;
}

/**
 * Environment variables @chorus/core's loadConfig reads, taken from its source (of a renamed
 * variable, `intRenamed`, the current name only: deployments set that one).
 */
export function configVariables(source: string): string[] {
  const names = [...source.matchAll(/\b(?:str|int|intRenamed|bool|list|oneOf|url|optionalStr)\(env,\s*'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]!);
  return [...new Set(names)].sort();
}

export { readManifests };
