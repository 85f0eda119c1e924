import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics } from '@chorus/core';
import { startChorus } from '@chorus/standalone';
import { beforeAll, describe, expect, it } from 'vitest';
import { find } from '../src/manifests.js';
import {
  readAdapterValues,
  readDashboard,
  referencesInAdapter,
  referencesInDashboard,
  referencesInObjects,
  type MetricReference,
} from '../src/metric-references.js';
import { OVERLAYS } from '../src/paths.js';
import { exposedMetricNames, parsePromQL } from '../src/promql.js';
import { renderAll } from '../src/renders.js';

/**
 * Every metric name the HPAs, the prometheus-adapter rules, the alerts and the dashboard use
 * must be one the services export: checked against the real registry the services serve and
 * against the /metrics of a running Chorus.
 */
let references: MetricReference[] = [];
let errors: string[] = [];
let adapter: ReturnType<typeof referencesInAdapter>;
let hpaMetrics: { pods: string[]; external: string[] };

beforeAll(async () => {
  const renders = await renderAll();
  const shippedDashboard = JSON.parse((find(renders.base, 'ConfigMap', 'chorus-dashboard').data as Record<string, string>)['chorus.json']!);
  expect(shippedDashboard).toEqual(await readDashboard());
  const objects = OVERLAYS.flatMap((o) => renders.overlays[o]);
  adapter = referencesInAdapter(await readAdapterValues());
  const parts = [referencesInObjects(objects), referencesInDashboard(shippedDashboard), adapter];
  references = parts.flatMap((p) => p.references);
  errors = parts.flatMap((p) => p.errors);
  const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => o.spec as { metrics: { type: string; pods?: { metric: { name: string } }; external?: { metric: { name: string } } }[] });
  hpaMetrics = {
    pods: [...new Set(hpas.flatMap((h) => h.metrics.flatMap((m) => (m.pods ? [m.pods.metric.name] : []))))],
    external: [...new Set(hpas.flatMap((h) => h.metrics.flatMap((m) => (m.external ? [m.external.metric.name] : []))))],
  };
}, 120_000);

const missingFrom = (exposed: Set<string>) => [...new Set(references.filter((r) => !exposed.has(r.metric)).map((r) => `${r.metric} (${r.where})`))];

describe('metric names in the deploy files', () => {
  it('every PromQL query parses with Prometheus’s grammar', () => {
    expect(errors).toEqual([]);
  });

  it('covers the HPAs, adapter rules, alerts and every dashboard panel', () => {
    const where = (re: RegExp) => references.filter((r) => re.test(r.where)).length;
    expect(where(/^HorizontalPodAutoscaler\//)).toBeGreaterThanOrEqual(2);
    expect(where(/^prometheus-adapter custom/)).toBeGreaterThanOrEqual(3);
    expect(where(/^prometheus-adapter external/)).toBeGreaterThanOrEqual(3);
    expect(where(/^PrometheusRule\//)).toBeGreaterThanOrEqual(8);
    expect(where(/^dashboard panel/)).toBeGreaterThanOrEqual(25);
    const names = new Set(references.map((r) => r.metric));
    for (const name of ['chorus_ws_connections', 'chorus_stomp_subscriptions', 'chorus_deliveries_total', 'chorus_fanout_latency_seconds_bucket', 'chorus_broker_errors_total', 'chorus_store_errors_total', 'chorus_push_sent_total', 'chorus_push_queue_depth', 'chorus_ready']) {
      expect(names.has(name), name).toBe(true);
    }
  });

  it('the extraction finds selectors, not functions, labels or keywords', () => {
    expect(parsePromQL('sum by (pod) (rate(a_total{job="x"}[5m])) / on(pod) group_left b unless c offset 5m').metrics.sort()).toEqual(['a_total', 'b', 'c']);
    expect(parsePromQL('histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))').metrics).toEqual(['x_bucket']);
    expect(parsePromQL('{__name__="named"}').metrics).toEqual(['named']);
    expect(parsePromQL('sum(rate(x[5m])').errors).not.toEqual([]);
  });

  it('every HPA custom/external metric is served by a prometheus-adapter rule of the matching kind', () => {
    expect(hpaMetrics.pods).toEqual(['chorus_ws_connections']);
    expect(hpaMetrics.external).toEqual(['chorus_push_queue_depth']);
    for (const name of hpaMetrics.pods) expect(adapter.custom).toContain(name);
    for (const name of hpaMetrics.external) expect(adapter.external).toContain(name);
  });

  it('every name exists in the metrics the services export (the real @chorus/core registry)', async () => {
    const exposition = await createMetrics('x').registry.metrics();
    const exposed = exposedMetricNames(exposition);
    expect(exposed.has('chorus_fanout_latency_seconds_bucket')).toBe(true);
    expect(exposed.has('process_cpu_seconds_total')).toBe(true);
    expect(exposed.has('chorus_does_not_exist')).toBe(false);
    expect(missingFrom(exposed)).toEqual([]);
  });

  it('every name exists in the /metrics of a running Chorus (the standalone process serves every service)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chorus-metrics-'));
    const chorus = await startChorus({ env: { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' } });
    try {
      const response = await fetch(`${chorus.url}/metrics`);
      expect(response.status).toBe(200);
      expect(missingFrom(exposedMetricNames(await response.text()))).toEqual([]);
    } finally {
      await chorus.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
