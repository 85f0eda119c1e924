import type { ServerOptions } from 'node:http';
import type { ChorusConfig } from '../config/config.js';

/**
 * Timeouts for every HTTP server Chorus creates. Node's requestTimeout covers receiving the whole
 * request (headers and body), not the response, so a client that trickles a body is closed while
 * long-lived answers (SockJS streaming and polling) and upgraded WebSockets are not affected.
 * Node checks for expired requests every connectionsCheckingInterval, so that is kept well below
 * the timeouts for them to hold close to their value.
 */
export function httpServerOptions(config: Pick<ChorusConfig, 'http'>): Required<Pick<ServerOptions, 'requestTimeout' | 'headersTimeout' | 'connectionsCheckingInterval'>> {
  const { requestTimeoutMs, headersTimeoutMs } = config.http;
  const shortest = requestTimeoutMs > 0 ? Math.min(requestTimeoutMs, headersTimeoutMs) : headersTimeoutMs;
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: headersTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(shortest / 4))),
  };
}
