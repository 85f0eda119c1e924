import { createServer, type Server } from 'node:http';
import { httpServerOptions, type ChorusConfig, type Metrics } from '@chorus/core';

export interface PushReadiness {
  ready: boolean;
  reasons: string[];
}

/** The push worker's HTTP surface: /healthz, /readyz and /metrics. */
export function createPushOpsServer(metrics: Metrics, readiness: () => PushReadiness, config: Pick<ChorusConfig, 'http'>): Server {
  return createServer(httpServerOptions(config), (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: { code: 'method_not_allowed', message: 'use GET' } });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      const state = readiness();
      return json(state.ready ? 200 : 503, { ready: state.ready, reasons: state.reasons });
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => json(500, { error: { code: 'internal', message: 'metrics unavailable' } }),
      );
      return;
    }
    return json(404, { error: { code: 'not_found', message: `no route ${path}` } });
  });
}
