import { parser } from '@prometheus-io/lezer-promql';

/** Metric names a PromQL expression selects, and its syntax errors (from Prometheus's own grammar). */
export function parsePromQL(expr: string): { metrics: string[]; errors: string[] } {
  const metrics = new Set<string>();
  const errors: string[] = [];
  const cursor = parser.parse(expr).cursor();
  do {
    if (cursor.type.isError) errors.push(`syntax error at ${cursor.from}: ${JSON.stringify(expr.slice(Math.max(0, cursor.from - 20), cursor.to + 20))}`);
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') metrics.add(expr.slice(cursor.from, cursor.to));
    if (cursor.name === 'UnquotedLabelMatcher' || cursor.name === 'QuotedLabelMatcher') {
      // {__name__="metric"} selects by name too.
      const text = expr.slice(cursor.from, cursor.to);
      const byName = /^\s*"?__name__"?\s*=\s*"([^"]+)"/.exec(text);
      if (byName) metrics.add(byName[1]!);
    }
  } while (cursor.next());
  return { metrics: [...metrics], errors };
}

/** Grafana's built-in interval variables, replaced by a literal duration so the query parses. */
export function grafanaToPromQL(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m').replace(/\$\{__(rate_interval|interval|range)\}/g, '5m');
}

/**
 * prometheus-adapter's metricsQuery is a Go template; substitute what the adapter would
 * (the series name, label matchers and grouping) so the result is plain PromQL.
 */
export function adapterToPromQL(template: string, series: string): string {
  return template
    .replace(/<<\.Series>>/g, series)
    .replace(/<<\.LabelMatchers>>/g, 'namespace="chorus"')
    .replace(/<<\.GroupBy>>/g, 'namespace, pod');
}

/** Every metric name in a Prometheus text exposition, histogram and summary series included. */
export function exposedMetricNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === 'histogram') ['_bucket', '_sum', '_count'].forEach((s) => names.add(name + s));
      if (kind === 'summary') ['_sum', '_count'].forEach((s) => names.add(name + s));
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample && !line.startsWith('#')) names.add(sample[1]!);
  }
  return names;
}
