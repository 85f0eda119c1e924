import { createServer, type Server } from 'node:http';
import { httpServerOptions, type ChorusConfig, type Metrics, type ReadinessState } from '@chorus/core';

/**
 * The chat-server's own HTTP surface when it runs alone: /healthz, /readyz and
 * /metrics. (In the standalone process the api serves these.) WebSocket and
 * SockJS traffic is attached to the same server by the gateway.
 */
export function createOpsServer(metrics: Metrics, readiness: () => ReadinessState, config: Pick<ChorusConfig, 'http'>): Server {
  return createServer(httpServerOptions(config), (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'application/json' }).end(errorBody('method_not_allowed', 'use GET'));
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (path === '/readyz') {
      const state = readiness();
      res.writeHead(state.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: state.ready ? 'ready' : 'unready', reasons: state.reasons }));
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500, { 'content-type': 'application/json' }).end(errorBody('internal', 'metrics unavailable')),
      );
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(errorBody('not_found', `no route ${path}`));
    }
  });
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}
