/**
 * Every kind Chorus's manifests may contain, with how to validate it: the client-node model
 * for unknown fields (built-in kinds), a compact JSON schema for unknown fields (CRDs), and
 * the kubernetes-models module whose validate() checks types, required fields and formats.
 */
export interface KindEntry {
  /** client-node model name, for built-in kinds. */
  model?: string;
  /** File in packages/deploy/schemas, for custom resources. */
  schema?: string;
  /** Module exporting a kubernetes-models class named like the kind. */
  typedModule: string;
}

export const KINDS: Record<string, KindEntry> = {
  'v1/ConfigMap': { model: 'V1ConfigMap', typedModule: 'kubernetes-models/v1' },
  'v1/Secret': { model: 'V1Secret', typedModule: 'kubernetes-models/v1' },
  'v1/Service': { model: 'V1Service', typedModule: 'kubernetes-models/v1' },
  'v1/ServiceAccount': { model: 'V1ServiceAccount', typedModule: 'kubernetes-models/v1' },
  'v1/Namespace': { model: 'V1Namespace', typedModule: 'kubernetes-models/v1' },
  'apps/v1/Deployment': { model: 'V1Deployment', typedModule: 'kubernetes-models/apps/v1' },
  'apps/v1/StatefulSet': { model: 'V1StatefulSet', typedModule: 'kubernetes-models/apps/v1' },
  'batch/v1/Job': { model: 'V1Job', typedModule: 'kubernetes-models/batch/v1' },
  'autoscaling/v2/HorizontalPodAutoscaler': { model: 'V2HorizontalPodAutoscaler', typedModule: 'kubernetes-models/autoscaling/v2' },
  'policy/v1/PodDisruptionBudget': { model: 'V1PodDisruptionBudget', typedModule: 'kubernetes-models/policy/v1' },
  'networking.k8s.io/v1/Ingress': { model: 'V1Ingress', typedModule: 'kubernetes-models/networking.k8s.io/v1' },
  'networking.k8s.io/v1/NetworkPolicy': { model: 'V1NetworkPolicy', typedModule: 'kubernetes-models/networking.k8s.io/v1' },
  'rbac.authorization.k8s.io/v1/Role': { model: 'V1Role', typedModule: 'kubernetes-models/rbac.authorization.k8s.io/v1' },
  'rbac.authorization.k8s.io/v1/RoleBinding': { model: 'V1RoleBinding', typedModule: 'kubernetes-models/rbac.authorization.k8s.io/v1' },
  'monitoring.coreos.com/v1/PodMonitor': { schema: 'podmonitor.json', typedModule: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1' },
  'monitoring.coreos.com/v1/PrometheusRule': { schema: 'prometheusrule.json', typedModule: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1' },
  'argoproj.io/v1alpha1/Application': { schema: 'application.json', typedModule: '@kubernetes-models/argo-cd/argoproj.io/v1alpha1' },
  'argoproj.io/v1alpha1/AppProject': { schema: 'appproject.json', typedModule: '@kubernetes-models/argo-cd/argoproj.io/v1alpha1' },
};
