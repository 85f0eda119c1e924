import { describe, expect, it } from 'vitest';
import { integrityIssues } from '../src/integrity.js';
import { parseManifests, type K8sObject } from '../src/manifests.js';
import { validateObject } from '../src/validate/validate.js';

// Tests poke arbitrary (wrong) values into plain JSON objects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Poke = any;

/** The checks must fail on the mistakes they exist for; a validator that passes everything proves nothing. */
const deployment = (): K8sObject =>
  parseManifests(
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: example/web:1.0.0
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /readyz, port: http}}
          resources: {requests: {cpu: 100m, memory: 64Mi}}
`,
    'test',
  )[0]!;

const edit = (mutate: (d: Poke) => void): K8sObject => {
  const d = deployment();
  mutate(d);
  return d;
};

describe('validateObject', () => {
  it('accepts a correct Deployment', async () => {
    expect(await validateObject(deployment())).toEqual([]);
  });

  it('rejects an unknown top-level spec field (what @kubernetes-models/validate alone lets through)', async () => {
    const issues = await validateObject(edit((d) => (d.spec.replica = 3)));
    expect(issues).toEqual([expect.stringMatching(/^\.spec\.replica: unknown field "replica"/)]);
  });

  it('rejects an unknown field deep inside the pod template', async () => {
    const issues = await validateObject(edit((d) => (d.spec.template.spec.containers[0].imagePullPolice = 'Always')));
    expect(issues.join('\n')).toMatch(/\.spec\.template\.spec\.containers\[0\]\.imagePullPolice: unknown field/);
  });

  it('rejects wrong types: a quoted port number, a numeric label, a fractional integer', async () => {
    expect((await validateObject(edit((d) => (d.spec.template.spec.containers[0].ports[0].containerPort = '8080')))).join('\n')).toMatch(/containerPort: expected a number/);
    expect((await validateObject(edit((d) => (d.metadata.labels.version = 2)))).join('\n')).toMatch(/\.metadata\.labels\.version: expected a string/);
    expect((await validateObject(edit((d) => (d.spec.replicas = 1.5)))).join('\n')).toMatch(/\.spec\.replicas: expected an integer/);
  });

  it('reads YAML like the API server: an unquoted yes is a boolean, so it fails where a string belongs', async () => {
    const [cm] = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  PUSH_PREVIEWS: yes\n', 'test');
    expect((await validateObject(cm!)).join('\n')).toMatch(/\.data\.PUSH_PREVIEWS: expected a string, got boolean/);
    expect(() => parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nmetadata: {name: d}\n', 'dup')).toThrow(/dup/);
  });

  it('rejects a missing required field (container name) through kubernetes-models', async () => {
    const issues = await validateObject(edit((d) => delete d.spec.template.spec.containers[0].name));
    expect(issues.join('\n')).toMatch(/name/);
  });

  it('rejects kinds and API versions Chorus does not ship', async () => {
    expect(await validateObject({ apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'x' } })).toEqual([expect.stringMatching(/not a kind Chorus ships/)]);
  });

  it('rejects unknown fields in custom resources, spec and metadata alike', async () => {
    const rule: K8sObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'r' },
      spec: { groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up == 0', for: '5m' }] }] },
    };
    expect(await validateObject(rule)).toEqual([]);
    const typo = structuredClone(rule) as Poke;
    typo.spec.groups[0].rules[0].exprs = typo.spec.groups[0].rules[0].expr;
    delete typo.spec.groups[0].rules[0].expr;
    const issues = (await validateObject(typo)).join('\n');
    expect(issues).toMatch(/additional properties "exprs"/);
    expect(issues).toMatch(/expr/);
    const meta = { ...structuredClone(rule), metadata: { name: 'r', label: { a: 'b' } } } as K8sObject;
    expect((await validateObject(meta)).join('\n')).toMatch(/\.metadata\.label: unknown field/);
    const app: K8sObject = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'a', namespace: 'argocd' },
      spec: { project: 'p', source: { repoURL: 'https://example.com/r.git', path: '.' }, destination: { server: 'https://kubernetes.default.svc' }, syncPolicy: { automatic: { prune: true } } },
    };
    expect((await validateObject(app)).join('\n')).toMatch(/syncPolicy: must NOT have additional properties "automatic"/);
    const duration = structuredClone(rule) as Poke;
    duration.spec.groups[0].rules[0].for = '5 minutes';
    expect((await validateObject(duration)).join('\n')).toMatch(/\/for: must match pattern/);
  });
});

describe('integrityIssues', () => {
  const service: K8sObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } };

  it('passes a consistent set', () => {
    expect(integrityIssues([deployment(), service], { externalSecrets: [] })).toEqual([]);
  });

  it('finds selectors that select nothing, missing ports, dangling targets, and subjects in the wrong namespace', () => {
    const objects: K8sObject[] = [
      deployment(),
      { ...service, spec: { selector: { app: 'webb' }, ports: [{ port: 80, targetPort: 'metrics' }] } },
      { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'ns' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' } } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'ns' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'ns' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'rb', namespace: 'ns' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'other' }] } as unknown as K8sObject,
      edit((d) => (d.spec.template.spec.containers[0].env = [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } }])),
    ];
    objects[6]!.metadata.name = 'web2';
    expect(integrityIssues(objects, { externalSecrets: [] })).toEqual([
      'Deployment/web2/web: env DATABASE_URL needs Secret db',
      'Service/web: selects no pods',
      'Service/web: targetPort metrics is not a port of the selected pods',
      'HorizontalPodAutoscaler/h: scales Deployment/api, which is not in the render',
      'RoleBinding/rb: subject ServiceAccount sa is in namespace other, the binding in ns',
    ]);
    expect(integrityIssues(objects, { externalSecrets: ['db'] })).not.toContain('Deployment/web2/web: env DATABASE_URL needs Secret db');
  });
});
