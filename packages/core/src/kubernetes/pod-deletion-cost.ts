import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { Env } from '../config/env.js';
import type { Logger } from '../observability/logger.js';
import { apiErrorMessage, apiStatus, inClusterKubeConfig, podIdentityFromEnv, type PodIdentity } from './in-cluster.js';

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';
const MAX_COST = 2_147_483_647; // the annotation is an int32

export interface PodDeletionCostOptions {
  /** Live connection count of this pod; the annotation follows it. */
  connections: () => number | Promise<number>;
  /** Minimum time between two patches (default 10 s). */
  intervalMs?: number;
  /** Source of POD_NAME, POD_NAMESPACE and KUBERNETES_SERVICE_HOST (default process.env). */
  env?: Env;
  /** API access; default the pod's service account when running in a cluster. */
  kubeConfig?: KubeConfig;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** Clock, for tests. */
  now?: () => number;
}

export type CostUpdateResult = 'disabled' | 'unchanged' | 'throttled' | 'patched' | 'failed';

/**
 * Keeps this pod's controller.kubernetes.io/pod-deletion-cost annotation equal to its
 * live connection count, so a ReplicaSet scale-down removes the idlest pods first.
 * Patches at most once per interval and only when the count changed since the last
 * successful patch. Does nothing outside a cluster or without POD_NAME/POD_NAMESPACE.
 */
export class PodDeletionCostUpdater {
  readonly enabled: boolean;
  private readonly api: CoreV1Api | undefined;
  private readonly pod: PodIdentity | undefined;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private lastWritten: number | undefined;
  private lastPatchAt = Number.NEGATIVE_INFINITY;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<CostUpdateResult> | undefined;

  constructor(private readonly options: PodDeletionCostOptions) {
    const env = options.env ?? process.env;
    this.intervalMs = options.intervalMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.pod = podIdentityFromEnv(env);
    const kubeConfig = options.kubeConfig ?? inClusterKubeConfig(env);
    this.api = kubeConfig && this.pod ? kubeConfig.makeApiClient(CoreV1Api) : undefined;
    this.enabled = this.api !== undefined;
    if (kubeConfig && !this.pod) {
      options.logger?.warn('pod-deletion-cost disabled: POD_NAME or POD_NAMESPACE is not set');
    }
  }

  /** Value currently believed to be on the pod (undefined before the first successful patch). */
  get written(): number | undefined {
    return this.lastWritten;
  }

  /** Patches once now if allowed, then re-checks every interval until stop(). */
  start(): void {
    if (!this.enabled || this.timer) return;
    const tick = (): void => {
      void this.update().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** One step: patch if the count changed and the last patch is at least one interval old. */
  update(): Promise<CostUpdateResult> {
    const api = this.api;
    const pod = this.pod;
    if (!api || !pod) return Promise.resolve('disabled');
    this.inFlight ??= this.step(api, pod).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async step(api: CoreV1Api, pod: PodIdentity): Promise<CostUpdateResult> {
    const count = Number(await this.options.connections());
    const cost = Number.isFinite(count) ? Math.max(0, Math.min(MAX_COST, Math.floor(count))) : 0;
    if (cost === this.lastWritten) return 'unchanged';
    if (this.now() - this.lastPatchAt < this.intervalMs) return 'throttled';
    this.lastPatchAt = this.now();
    return this.patch(api, pod, cost);
  }

  private async patch(api: CoreV1Api, pod: PodIdentity, cost: number): Promise<CostUpdateResult> {
    try {
      await api.patchNamespacedPod(
        { name: pod.name, namespace: pod.namespace, body: { metadata: { annotations: { [POD_DELETION_COST_ANNOTATION]: String(cost) } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.lastWritten = cost;
      this.lastError = undefined;
      this.options.logger?.debug({ cost }, 'pod-deletion-cost updated');
      return 'patched';
    } catch (err) {
      const message = apiErrorMessage(err);
      // Log a new kind of failure once at warn (403 means the RBAC Role is missing), repeats at debug.
      const log = message === this.lastError ? this.options.logger?.debug : this.options.logger?.warn;
      log?.call(this.options.logger, { status: apiStatus(err), err: message, pod: pod.name }, 'pod-deletion-cost patch failed; will retry');
      this.lastError = message;
      return 'failed';
    }
  }
}
