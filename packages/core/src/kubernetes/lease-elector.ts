import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import type { Env } from '../config/env.js';
import type { Logger } from '../observability/logger.js';
import { apiErrorMessage, apiStatus, defaultIdentity, inClusterKubeConfig, isInCluster } from './in-cluster.js';

/** The Lease Chorus's singleton duties run under; the chart's RBAC grants get/update on exactly this name. */
export const SINGLETON_LEASE_NAME = 'chorus-singletons';

export interface LeaseElectorOptions {
  /** Lease object name, normally SINGLETON_LEASE_NAME (RBAC allows get/update on that name and create on leases). */
  name: string;
  /** Default POD_NAMESPACE. */
  namespace?: string;
  /** Default POD_NAME, else the hostname. */
  identity?: string;
  leaseDurationSeconds?: number;
  /** A leader that cannot renew for this long steps down (default 10 s; must be < lease duration). */
  renewDeadlineMs?: number;
  /** Pause between acquire/renew attempts (default 2 s). */
  retryPeriodMs?: number;
  /** Called when this process becomes leader; the signal aborts when leadership ends. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  onStoppedLeading?: () => void;
  /** Called when a different holder is observed. */
  onNewLeader?: (identity: string) => void;
  /**
   * Outside a cluster there is no Lease API: 'lead' (default) makes this single process the
   * leader at start(); 'never' leaves singleton duties off.
   */
  outsideCluster?: 'lead' | 'never';
  env?: Env;
  kubeConfig?: KubeConfig;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** Clock, for tests. */
  now?: () => number;
}

interface ObservedRecord {
  key: string;
  at: number;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, following client-go's algorithm:
 * a lease is free when it has no holder or when its record has not changed for
 * leaseDurationSeconds of our own clock (no trust in remote clocks); every write
 * carries the resourceVersion read, so two candidates never both win (409 Conflict).
 */
export class LeaseElector {
  readonly enabled: boolean;
  readonly identity: string;
  private readonly api: CoordinationV1Api | undefined;
  private readonly namespace: string;
  private readonly durationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private observed: ObservedRecord | undefined;
  private leading = false;
  private lastRenewAt = 0;
  private abort: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private holding = false;
  private step: Promise<void> | undefined;
  private lastError: string | undefined;
  private knownLeader: string | undefined;

  constructor(private readonly options: LeaseElectorOptions) {
    const env = options.env ?? process.env;
    this.identity = options.identity ?? defaultIdentity(env);
    this.namespace = options.namespace ?? env.POD_NAMESPACE?.trim() ?? 'default';
    this.durationSeconds = options.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.durationSeconds * 1000) {
      throw new RangeError('renewDeadlineMs must be shorter than leaseDurationSeconds');
    }
    this.now = options.now ?? Date.now;
    const kubeConfig = options.kubeConfig ?? (isInCluster(env) ? inClusterKubeConfig(env) : undefined);
    this.api = kubeConfig?.makeApiClient(CoordinationV1Api);
    this.enabled = this.api !== undefined;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Runs the election loop until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.enabled) {
      if ((this.options.outsideCluster ?? 'lead') === 'lead') this.becomeLeader();
      return;
    }
    this.schedule(0);
  }

  /** Stops the loop and, when leading, releases the lease so a successor need not wait for expiry. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.step;
    // The last round may have won the lease just as we were stopping: give it back too.
    if (this.enabled && (this.leading || this.holding)) await this.release();
    else this.loseLeadership();
  }

  /** One attempt to acquire the lease or renew it; true when this process holds it afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    this.holding = await this.acquireOrRenew();
    return this.holding;
  }

  private async acquireOrRenew(): Promise<boolean> {
    const api = this.api;
    if (!api) return false;
    const now = this.now();
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name: this.options.name, namespace: this.namespace });
    } catch (err) {
      if (apiStatus(err) !== 404) return this.failed('read', err);
      return this.create(api, now);
    }
    const spec = lease.spec ?? {};
    this.observe(spec, now);
    const holder = spec.holderIdentity ?? '';
    if (holder && holder !== this.identity) {
      this.noticeLeader(holder);
      const duration = (spec.leaseDurationSeconds ?? this.durationSeconds) * 1000;
      if (this.observed!.at + duration > now) return false;
    }
    const ours = holder === this.identity;
    const next: V1LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.durationSeconds,
      acquireTime: ours && spec.acquireTime ? microTime(spec.acquireTime) : new V1MicroTime(now),
      renewTime: new V1MicroTime(now),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
    };
    try {
      const updated = await api.replaceNamespacedLease({
        name: this.options.name,
        namespace: this.namespace,
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { ...lease.metadata, name: this.options.name, namespace: this.namespace }, spec: next },
      });
      this.observe(updated.spec ?? next, now);
      return this.succeeded();
    } catch (err) {
      return this.failed('update', err);
    }
  }

  /** Steps down and gives the lease up (holder cleared, duration 1 s); false when it was not ours or the write failed. */
  async release(): Promise<boolean> {
    const api = this.api;
    this.loseLeadership();
    this.holding = false;
    if (!api) return false;
    try {
      const lease = await api.readNamespacedLease({ name: this.options.name, namespace: this.namespace });
      if (lease.spec?.holderIdentity !== this.identity) return false;
      const now = this.now();
      await api.replaceNamespacedLease({
        name: this.options.name,
        namespace: this.namespace,
        body: {
          ...lease,
          spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, acquireTime: new V1MicroTime(now), renewTime: new V1MicroTime(now) },
        },
      });
      this.options.logger?.info({ lease: this.options.name }, 'lease released');
      return true;
    } catch (err) {
      this.failed('release', err);
      return false;
    }
  }

  private async create(api: CoordinationV1Api, now: number): Promise<boolean> {
    const spec: V1LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.durationSeconds,
      acquireTime: new V1MicroTime(now),
      renewTime: new V1MicroTime(now),
      leaseTransitions: 0,
    };
    try {
      await api.createNamespacedLease({
        namespace: this.namespace,
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.options.name, namespace: this.namespace }, spec },
      });
      this.observe(spec, now);
      return this.succeeded();
    } catch (err) {
      return this.failed('create', err);
    }
  }

  private succeeded(): boolean {
    this.lastError = undefined;
    this.lastRenewAt = this.now();
    this.knownLeader = this.identity;
    return true;
  }

  private failed(operation: string, err: unknown): false {
    const status = apiStatus(err);
    const message = apiErrorMessage(err);
    if (status === 409) {
      // Another candidate wrote first; the next round re-reads.
      this.options.logger?.debug({ lease: this.options.name, operation }, 'lease write conflict');
    } else {
      const log = message === this.lastError ? this.options.logger?.debug : this.options.logger?.warn;
      log?.call(this.options.logger, { lease: this.options.name, operation, status, err: message }, 'lease election request failed');
      this.lastError = message;
    }
    return false;
  }

  private observe(spec: V1LeaseSpec, now: number): void {
    const key = [spec.holderIdentity ?? '', timeKey(spec.renewTime), timeKey(spec.acquireTime), spec.leaseDurationSeconds, spec.leaseTransitions].join('|');
    if (this.observed?.key !== key) this.observed = { key, at: now };
  }

  private noticeLeader(holder: string): void {
    if (holder === this.knownLeader) return;
    this.knownLeader = holder;
    this.options.onNewLeader?.(holder);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.step = this.round().finally(() => {
        this.step = undefined;
        this.schedule(this.retryPeriodMs);
      });
    }, delayMs).unref();
  }

  private async round(): Promise<void> {
    const held = await this.tryAcquireOrRenew();
    if (!this.running) return;
    if (held && !this.leading) this.becomeLeader();
    else if (!held && this.leading) {
      // A leader that saw another holder, or could not renew within the deadline, steps down.
      const lostToOther = this.knownLeader !== undefined && this.knownLeader !== this.identity;
      if (lostToOther || this.now() - this.lastRenewAt >= this.renewDeadlineMs) this.loseLeadership();
    }
  }

  private becomeLeader(): void {
    this.leading = true;
    this.abort = new AbortController();
    this.options.logger?.info({ lease: this.options.name, identity: this.identity }, 'started leading');
    const signal = this.abort.signal;
    void Promise.resolve()
      .then(() => this.options.onStartedLeading(signal))
      .catch((err: unknown) => this.options.logger?.warn({ err: apiErrorMessage(err) }, 'onStartedLeading failed'));
  }

  private loseLeadership(): void {
    if (!this.leading) return;
    this.leading = false;
    this.abort?.abort();
    this.abort = undefined;
    this.options.logger?.info({ lease: this.options.name, identity: this.identity }, 'stopped leading');
    this.options.onStoppedLeading?.();
  }
}

function timeKey(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return value === undefined || value === null ? '' : String(value);
}

function microTime(value: unknown): V1MicroTime {
  return new V1MicroTime(value instanceof Date ? value.getTime() : Date.parse(String(value)));
}
