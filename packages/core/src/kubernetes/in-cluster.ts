import { hostname } from 'node:os';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import type { Env } from '../config/env.js';

/** True when the process runs in a Kubernetes pod (the kubelet sets this for every container). */
export function isInCluster(env: Env = process.env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST);
}

/** The pod's own name and namespace, as the Deployment passes them in through the downward API. */
export interface PodIdentity {
  name: string;
  namespace: string;
}

export function podIdentityFromEnv(env: Env = process.env): PodIdentity | undefined {
  const name = env.POD_NAME?.trim() || undefined;
  const namespace = env.POD_NAMESPACE?.trim() || undefined;
  return name && namespace ? { name, namespace } : undefined;
}

/** Defaults for identity when POD_NAME is missing: the pod's hostname is its name. */
export function defaultIdentity(env: Env = process.env): string {
  return env.POD_NAME?.trim() || hostname();
}

/** The service-account config mounted into every pod; undefined outside a cluster. */
export function inClusterKubeConfig(env: Env = process.env): KubeConfig | undefined {
  if (!isInCluster(env)) return undefined;
  const kc = new KubeConfig();
  kc.loadFromCluster();
  return kc;
}

/** HTTP status of a failed Kubernetes API call, or undefined for network errors. */
export function apiStatus(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** One line for logs: the API's own Status message when it sent one. */
export function apiErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    let message: string | undefined;
    if (typeof body === 'string') {
      try {
        message = (JSON.parse(body) as { message?: string }).message;
      } catch {
        message = body;
      }
    } else if (body && typeof body === 'object') {
      message = (body as { message?: string }).message;
    }
    return `HTTP ${err.code}${message ? `: ${message}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}
