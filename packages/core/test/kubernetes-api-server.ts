import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A stand-in for the few Kubernetes API calls Chorus makes: PATCH pod (merge patch)
 * and GET/POST/PUT coordination.k8s.io/v1 Lease, with real resourceVersion checks
 * (409 Conflict), 404s, Status bodies, MicroTime format checks, and switches to answer
 * 403 Forbidden the way the API server does when RBAC is missing.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

type Operation = 'patch-pod' | 'get-lease' | 'create-lease' | 'update-lease';

// Go's metav1.MicroTime accepts RFC 3339 with exactly six fractional digits.
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  readonly pods = new Map<string, { metadata: { name: string; namespace: string; annotations: Record<string, string>; resourceVersion: string } }>();
  readonly leases = new Map<string, Record<string, unknown> & { metadata: Record<string, unknown>; spec: Record<string, unknown> }>();
  /** Operations answered with 403 Forbidden until removed. */
  readonly forbidden = new Set<Operation>();
  /** Queued one-off answers (status codes) per operation, consumed in order. */
  readonly failNext = new Map<Operation, number[]>();
  /** Runs after a lease GET has been answered, before the next request: lets a test interleave a rival write. */
  afterLeaseRead: (() => void) | undefined;
  private waiters: { predicate: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }[] = [];
  private version = 100;
  private server: Server | undefined;
  private port = 0;

  addPod(namespace: string, name: string): void {
    this.pods.set(`${namespace}/${name}`, { metadata: { name, namespace, annotations: {}, resourceVersion: this.nextVersion() } });
  }

  /** Writes a lease directly, as another candidate would. */
  putLease(namespace: string, name: string, spec: Record<string, unknown>): void {
    const existing = this.leases.get(`${namespace}/${name}`);
    this.leases.set(`${namespace}/${name}`, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...(existing?.metadata ?? { name, namespace, uid: `uid-${name}` }), resourceVersion: this.nextVersion() },
      spec,
    });
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Resolves with the next recorded request that matches (requests already seen count too). */
  waitForRequest(predicate: (r: RecordedRequest) => boolean): Promise<RecordedRequest> {
    const seen = this.requests.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: `http://127.0.0.1:${this.port}`, skipTLSVerify: true }],
      users: [{ name: 'sa', token: 'service-account-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'sa' }],
      currentContext: 'fake',
    });
    return kc;
  }

  private nextVersion(): string {
    this.version += 1;
    return String(this.version);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return this.status(res, 400, 'BadRequest', 'body is not JSON');
    }
    const path = (req.url ?? '').split('?')[0]!;
    const recorded = { method: req.method ?? '', path, contentType: req.headers['content-type'], authorization: req.headers.authorization, body };
    this.requests.push(recorded);
    res.on('finish', () => {
      this.waiters = this.waiters.filter((w) => (w.predicate(recorded) ? (w.resolve(recorded), false) : true));
    });
    if (req.headers.authorization !== 'Bearer service-account-token') return this.status(res, 401, 'Unauthorized', 'Unauthorized');

    const pod = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(path);
    if (pod && req.method === 'PATCH') return this.patchPod(res, pod[1]!, pod[2]!, req.headers['content-type'], body);
    const leases = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/.exec(path);
    if (leases) {
      const [, namespace, name] = leases as unknown as [string, string, string | undefined];
      if (req.method === 'GET' && name) return this.getLease(res, namespace, name);
      if (req.method === 'POST' && !name) return this.createLease(res, namespace, body);
      if (req.method === 'PUT' && name) return this.updateLease(res, namespace, name, body);
    }
    return this.status(res, 404, 'NotFound', `no route for ${req.method} ${path}`);
  }

  private refuse(res: ServerResponse, op: Operation, resource: string, verb: string): boolean {
    const queued = this.failNext.get(op)?.shift();
    if (queued !== undefined) {
      this.status(res, queued, queued === 409 ? 'Conflict' : queued === 403 ? 'Forbidden' : 'InternalError', `injected ${queued} for ${op}`);
      return true;
    }
    if (this.forbidden.has(op)) {
      this.status(res, 403, 'Forbidden', `${resource} is forbidden: User "system:serviceaccount:chorus:chorus" cannot ${verb} resource`);
      return true;
    }
    return false;
  }

  private patchPod(res: ServerResponse, namespace: string, name: string, contentType: string | undefined, body: unknown): void {
    if (this.refuse(res, 'patch-pod', `pods "${name}"`, 'patch')) return;
    if (contentType !== 'application/merge-patch+json' && contentType !== 'application/strategic-merge-patch+json') {
      return this.status(res, 415, 'UnsupportedMediaType', `unsupported patch type ${contentType}`);
    }
    const stored = this.pods.get(`${namespace}/${name}`);
    if (!stored) return this.status(res, 404, 'NotFound', `pods "${name}" not found`);
    const annotations = (body as { metadata?: { annotations?: Record<string, unknown> } })?.metadata?.annotations ?? {};
    for (const [key, value] of Object.entries(annotations)) {
      if (value === null) delete stored.metadata.annotations[key];
      else if (typeof value !== 'string') return this.status(res, 400, 'BadRequest', `annotation ${key} must be a string`);
      else stored.metadata.annotations[key] = value;
    }
    stored.metadata.resourceVersion = this.nextVersion();
    this.json(res, 200, { apiVersion: 'v1', kind: 'Pod', metadata: stored.metadata, spec: {}, status: {} });
  }

  private getLease(res: ServerResponse, namespace: string, name: string): void {
    if (this.refuse(res, 'get-lease', `leases.coordination.k8s.io "${name}"`, 'get')) return;
    const lease = this.leases.get(`${namespace}/${name}`);
    if (lease) this.json(res, 200, lease);
    else this.status(res, 404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`);
    const hook = this.afterLeaseRead;
    this.afterLeaseRead = undefined;
    hook?.();
  }

  private createLease(res: ServerResponse, namespace: string, body: unknown): void {
    const lease = body as { metadata?: { name?: string }; spec?: Record<string, unknown> };
    const name = lease?.metadata?.name ?? '';
    if (this.refuse(res, 'create-lease', `leases.coordination.k8s.io "${name}"`, 'create')) return;
    const invalid = this.invalidSpec(lease?.spec);
    if (invalid) return this.status(res, 422, 'Invalid', invalid);
    if (this.leases.has(`${namespace}/${name}`)) return this.status(res, 409, 'AlreadyExists', `leases.coordination.k8s.io "${name}" already exists`);
    this.putLease(namespace, name, lease.spec ?? {});
    this.json(res, 201, this.leases.get(`${namespace}/${name}`));
  }

  private updateLease(res: ServerResponse, namespace: string, name: string, body: unknown): void {
    if (this.refuse(res, 'update-lease', `leases.coordination.k8s.io "${name}"`, 'update')) return;
    const lease = body as { metadata?: { resourceVersion?: string }; spec?: Record<string, unknown> };
    const invalid = this.invalidSpec(lease?.spec);
    if (invalid) return this.status(res, 422, 'Invalid', invalid);
    const stored = this.leases.get(`${namespace}/${name}`);
    if (!stored) return this.status(res, 404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`);
    if (lease.metadata?.resourceVersion !== stored.metadata.resourceVersion) {
      return this.status(res, 409, 'Conflict', `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    this.putLease(namespace, name, lease.spec ?? {});
    this.json(res, 200, this.leases.get(`${namespace}/${name}`));
  }

  private invalidSpec(spec: Record<string, unknown> | undefined): string | undefined {
    for (const field of ['acquireTime', 'renewTime']) {
      const value = spec?.[field];
      if (value !== undefined && (typeof value !== 'string' || !MICRO_TIME.test(value))) return `spec.${field}: invalid MicroTime ${JSON.stringify(value)}`;
    }
    const duration = spec?.leaseDurationSeconds;
    if (duration !== undefined && (!Number.isInteger(duration) || (duration as number) <= 0)) return 'spec.leaseDurationSeconds: must be a positive integer';
    return undefined;
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    this.json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

/** A pino-shaped logger that keeps what it is given. */
export function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: unknown, message?: string) =>
    void lines.push(
      typeof fields === 'string' ? { level, fields: {}, message: fields } : { level, fields: fields as Record<string, unknown>, message: message ?? '' },
    );
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn') } };
}
