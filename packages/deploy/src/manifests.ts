import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { paths } from './paths.js';
import { helmBinary, helmForKustomize, kubectlBinary, run } from './tools.js';

/** One Kubernetes object as rendered (plain JSON). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/**
 * Parses a multi-document stream the way the API server's YAML decoder does (YAML 1.1, so an
 * unquoted `yes` is a boolean; duplicate keys are errors).
 */
export function parseManifests(text: string, source: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text, { version: '1.1', uniqueKeys: true })) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const o = value as Partial<K8sObject>;
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
      throw new Error(`${source}: a document without apiVersion, kind or metadata.name: ${JSON.stringify(value).slice(0, 200)}`);
    }
    objects.push(o as K8sObject);
  }
  return objects;
}

export async function readManifests(file: string): Promise<K8sObject[]> {
  return parseManifests(await readFile(file, 'utf8'), file);
}

/** `kubectl kustomize --enable-helm DIR`, the way Argo CD builds an overlay. */
export async function kustomize(dir: string): Promise<K8sObject[]> {
  const [kubectl, helm] = await Promise.all([kubectlBinary(), helmForKustomize()]);
  return parseManifests(await run(kubectl, ['kustomize', '--enable-helm', '--helm-command', helm, dir]), dir);
}

export interface HelmTemplateOptions {
  releaseName?: string;
  namespace?: string;
  values?: string[];
  /** --set: YAML-typed values (true, 3). */
  set?: Record<string, string>;
  /** --set-string: always strings, like the ConfigMap settings. */
  setString?: Record<string, string>;
}

export async function helmTemplate(options: HelmTemplateOptions = {}): Promise<K8sObject[]> {
  const args = ['template', options.releaseName ?? 'chorus', paths.chart, '--namespace', options.namespace ?? 'chorus'];
  for (const file of options.values ?? []) args.push('--values', file);
  for (const [k, value] of Object.entries(options.set ?? {})) args.push('--set', `${k}=${value}`);
  for (const [k, value] of Object.entries(options.setString ?? {})) args.push('--set-string', `${k}=${value}`);
  return parseManifests(await run(await helmBinary(), args), 'helm template');
}

/** `helm lint --strict`; resolves with its output, rejects when the chart fails. */
export async function helmLint(values: string[] = []): Promise<string> {
  return run(await helmBinary(), ['lint', paths.chart, '--strict', ...values.flatMap((v) => ['--values', v])]);
}

export const key = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;
export const byKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} is not in the render (has: ${objects.map(key).join(', ')})`);
  return found;
}
