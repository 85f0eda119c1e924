import { readFile } from 'node:fs/promises';
import { Ajv, type ValidateFunction } from 'ajv';
import type { K8sObject } from '../manifests.js';
import { KINDS } from './registry.js';
import { strictFieldIssues } from './strict-fields.js';

const ajv = new Ajv({ allErrors: true, strict: true });
const compiled = new Map<string, Promise<ValidateFunction>>();
const SCHEMAS = new URL('../../schemas/', import.meta.url);

function schema(file: string): Promise<ValidateFunction> {
  let found = compiled.get(file);
  if (!found) {
    found = readFile(new URL(file, SCHEMAS), 'utf8').then((text) => ajv.compile(JSON.parse(text) as object));
    compiled.set(file, found);
  }
  return found;
}

type Validatable = { validate(): void };

/** The API server decodes []byte fields with Go's base64, which skips line breaks (kustomize wraps long values). */
function asDecoded(object: K8sObject): K8sObject {
  const copy = structuredClone(object);
  for (const field of ['data', 'binaryData'] as const) {
    const values = (object.kind === 'Secret' || field === 'binaryData') ? (copy[field] as Record<string, unknown> | undefined) : undefined;
    for (const [k, v] of Object.entries(values ?? {})) if (typeof v === 'string') values![k] = v.replace(/[\r\n]/g, '');
  }
  return copy;
}

async function typedModelIssues(object: K8sObject, modulePath: string): Promise<string[]> {
  const mod = (await import(modulePath)) as Record<string, new (data: unknown) => Validatable>;
  const Model = mod[object.kind];
  if (!Model) return [`no kubernetes-models class ${object.kind} in ${modulePath}`];
  try {
    new Model(asDecoded(object)).validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

/**
 * All problems with one rendered object, offline: unknown kind or apiVersion, unknown fields
 * and wrong types (client-node's API schema for built-in kinds, compact strict schemas for
 * CRDs), and required fields, enums and formats (kubernetes-models). Empty when valid.
 */
export async function validateObject(object: K8sObject): Promise<string[]> {
  const id = `${object.apiVersion}/${object.kind}`;
  const entry = KINDS[id];
  if (!entry) return [`${id} is not a kind Chorus ships (add it to src/validate/registry.ts with a schema)`];
  const issues: string[] = [];
  if (entry.model) issues.push(...strictFieldIssues(object, entry.model));
  if (entry.schema) {
    const check = await schema(entry.schema);
    if (!check(object)) issues.push(...(check.errors ?? []).map((e) => `${e.instancePath || '.'}: ${e.message}${e.params && 'additionalProperty' in e.params ? ` "${String(e.params.additionalProperty)}"` : ''}`));
    // Metadata of custom resources is a plain ObjectMeta.
    issues.push(...strictFieldIssues(object.metadata, 'V1ObjectMeta', '.metadata'));
  }
  issues.push(...(await typedModelIssues(object, entry.typedModule)));
  return issues;
}

/** Every problem in a set of objects, each prefixed with the object it belongs to. */
export async function validateAll(objects: K8sObject[]): Promise<string[]> {
  const results = await Promise.all(objects.map(async (o) => (await validateObject(o)).map((issue) => `${o.kind}/${o.metadata.name}: ${issue}`)));
  return results.flat();
}
