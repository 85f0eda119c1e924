import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { K8sObject } from './manifests.js';
import { adapterToPromQL, grafanaToPromQL, parsePromQL } from './promql.js';
import { paths } from './paths.js';

/** One use of a metric name in the deploy files. */
export interface MetricReference {
  metric: string;
  where: string;
}

export interface References {
  references: MetricReference[];
  /** PromQL that does not parse: a broken alert or panel. */
  errors: string[];
}

function collect(out: References, expr: string, where: string): void {
  const { metrics, errors } = parsePromQL(expr);
  if (metrics.length === 0) out.errors.push(`${where}: selects no metric: ${expr}`);
  metrics.forEach((metric) => out.references.push({ metric, where }));
  errors.forEach((e) => out.errors.push(`${where}: ${e}`));
}

/** HPA metric names and PrometheusRule expressions in rendered objects. */
export function referencesInObjects(objects: K8sObject[]): References {
  const out: References = { references: [], errors: [] };
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'HorizontalPodAutoscaler') {
      const metrics = (o.spec as { metrics?: Record<string, { metric?: { name?: string } }>[] }).metrics ?? [];
      for (const m of metrics) {
        for (const source of ['pods', 'external', 'object'] as const) {
          const name = m[source]?.metric?.name;
          if (name) out.references.push({ metric: name, where: `${id} ${source} metric` });
        }
      }
    }
    if (o.kind === 'PrometheusRule') {
      const groups = (o.spec as { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] }).groups;
      for (const rule of groups.flatMap((g) => g.rules)) collect(out, rule.expr, `${id} ${rule.alert ?? rule.record}`);
    }
  }
  return out;
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating?: { list: { name: string; query?: string | { query?: string } }[] };
}

/** Panel queries and template-variable queries of the Grafana dashboard. */
export function referencesInDashboard(dashboard: Dashboard): References {
  const out: References = { references: [], errors: [] };
  const visit = (panel: Panel): void => {
    for (const target of panel.targets ?? []) if (target.expr) collect(out, grafanaToPromQL(target.expr), `dashboard panel "${panel.title}"`);
    panel.panels?.forEach(visit);
  };
  dashboard.panels.forEach(visit);
  for (const variable of dashboard.templating?.list ?? []) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (!query || variable.name === 'datasource') continue;
    const labelValues = /^label_values\(\s*([^,)]+)\s*,\s*[a-zA-Z_]\w*\s*\)$/.exec(query);
    if (labelValues) collect(out, labelValues[1]!, `dashboard variable $${variable.name}`);
    else out.errors.push(`dashboard variable $${variable.name}: unsupported query ${query}`);
  }
  return out;
}

interface AdapterRule {
  seriesQuery: string;
  name?: { matches?: string; as?: string };
  metricsQuery: string;
}
export interface AdapterValues {
  rules: { custom?: AdapterRule[]; external?: AdapterRule[] };
}

/** Series queries, exposed names and metrics queries of the prometheus-adapter rules. */
export function referencesInAdapter(values: AdapterValues): References & { custom: string[]; external: string[] } {
  const out = { references: [] as MetricReference[], errors: [] as string[], custom: [] as string[], external: [] as string[] };
  for (const kind of ['custom', 'external'] as const) {
    for (const rule of values.rules[kind] ?? []) {
      const where = `prometheus-adapter ${kind} rule ${rule.name?.as ?? rule.seriesQuery}`;
      const series = parsePromQL(rule.seriesQuery);
      collect(out, rule.seriesQuery, `${where} seriesQuery`);
      for (const s of series.metrics) collect(out, adapterToPromQL(rule.metricsQuery, s), `${where} metricsQuery`);
      const exposed = rule.name?.as ?? series.metrics[0];
      if (exposed) {
        out[kind].push(exposed);
        out.references.push({ metric: exposed, where: `${where} exposed name` });
      }
    }
  }
  return out;
}

export async function readDashboard(): Promise<Dashboard> {
  return JSON.parse(await readFile(paths.dashboard, 'utf8')) as Dashboard;
}

export async function readAdapterValues(): Promise<AdapterValues> {
  return parse(await readFile(paths.adapterValues, 'utf8')) as AdapterValues;
}
