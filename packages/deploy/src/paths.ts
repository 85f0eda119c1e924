import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Repository locations the checks read. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const paths = {
  chart: join(REPO_ROOT, 'charts/chorus'),
  base: join(REPO_ROOT, 'deploy/base'),
  overlay: (name: string) => join(REPO_ROOT, 'deploy/overlays', name),
  argocd: join(REPO_ROOT, 'argocd'),
  adapterValues: join(REPO_ROOT, 'deploy/monitoring/prometheus-adapter-values.yaml'),
  dashboard: join(REPO_ROOT, 'charts/chorus/files/dashboards/chorus.json'),
  dockerfile: join(REPO_ROOT, 'Dockerfile'),
  dockerignore: join(REPO_ROOT, '.dockerignore'),
  configSource: join(REPO_ROOT, 'packages/core/src/config/config.ts'),
  cache: join(REPO_ROOT, 'packages/deploy/node_modules/.cache/chorus-deploy'),
};

export const OVERLAYS = ['dev', 'staging', 'production'] as const;
export type Overlay = (typeof OVERLAYS)[number];
