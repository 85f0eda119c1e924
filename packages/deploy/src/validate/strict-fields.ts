import * as k8s from '@kubernetes/client-node';

/**
 * Walks a plain object against @kubernetes/client-node's generated type maps (the OpenAPI
 * schema of the Kubernetes API) and reports every field the API does not define and every
 * value of the wrong JSON type: what `kubectl apply --validate=strict` would reject.
 */
interface Attribute {
  baseName: string;
  type: string;
  format: string;
}
interface Model {
  getAttributeTypeMap(): Attribute[];
}

const ARRAY = /^Array<(.+)>$/;
const MAP = /^\{ \[key: string\]: (.+); \}$/;

function model(type: string): Model | undefined {
  const candidate = (k8s as unknown as Record<string, unknown>)[type];
  return typeof candidate === 'function' && 'getAttributeTypeMap' in candidate ? (candidate as unknown as Model) : undefined;
}

export function hasModel(type: string): boolean {
  return model(type) !== undefined;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return value === null ? 'null' : typeof value;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function strictFieldIssues(value: unknown, type: string, path = ''): string[] {
  const issues: string[] = [];
  walk(value, type, '', path || '.', issues);
  return issues;
}

function walk(value: unknown, type: string, format: string, path: string, issues: string[]): void {
  if (value === null || value === undefined) return; // JSON null means "unset" to the API server
  if (type === 'any' || type === 'object') return;
  const array = ARRAY.exec(type);
  if (array) {
    if (!Array.isArray(value)) return void issues.push(`${path}: expected an array, got ${describe(value)}`);
    value.forEach((item, i) => walk(item, array[1]!, format, `${path}[${i}]`, issues));
    return;
  }
  const map = MAP.exec(type);
  if (map) {
    if (!isPlainObject(value)) return void issues.push(`${path}: expected a map, got ${describe(value)}`);
    for (const [k, v] of Object.entries(value)) walk(v, map[1]!, format, `${path}.${k}`, issues);
    return;
  }
  switch (type) {
    case 'string':
      if (typeof value !== 'string') issues.push(`${path}: expected a string, got ${describe(value)} ${JSON.stringify(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') issues.push(`${path}: expected a boolean, got ${describe(value)} ${JSON.stringify(value)}`);
      return;
    case 'number':
      if (typeof value !== 'number') issues.push(`${path}: expected a number, got ${describe(value)} ${JSON.stringify(value)}`);
      else if ((format === 'int32' || format === 'int64') && !Number.isInteger(value)) issues.push(`${path}: expected an integer, got ${value}`);
      return;
    case 'IntOrString':
      if (!(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) issues.push(`${path}: expected an integer or a string, got ${describe(value)}`);
      return;
    case 'Date':
    case 'V1MicroTime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) issues.push(`${path}: expected a timestamp, got ${JSON.stringify(value)}`);
      return;
  }
  const m = model(type);
  if (!m) return void issues.push(`${path}: no schema for type ${type}`);
  if (!isPlainObject(value)) return void issues.push(`${path}: expected an object (${type}), got ${describe(value)}`);
  const attributes = new Map(m.getAttributeTypeMap().map((a) => [a.baseName, a]));
  for (const [field, child] of Object.entries(value)) {
    const attribute = attributes.get(field);
    const childPath = path === '.' ? `.${field}` : `${path}.${field}`;
    if (!attribute) issues.push(`${childPath}: unknown field "${field}" (${type} has ${[...attributes.keys()].join(', ')})`);
    else walk(child, attribute.type, attribute.format, childPath, issues);
  }
}
