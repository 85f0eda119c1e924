import type { ConnectSpec } from '../clients/spec.js';
import type { ConnectRequest } from './target.js';

/** A STOMP connection to a Chorus room: subscribed to its topic when receiving, sending to its /app destination. */
export function chorusSpec(wsUrl: string, token: string, roomId: string, request: ConnectRequest): ConnectSpec {
  return {
    kind: 'stomp',
    url: wsUrl,
    token,
    subscribe: request.subscribe ? `/topic/rooms/${roomId}` : null,
    publishTo: `/app/rooms/${roomId}`,
    heartbeat: request.heartbeat === true,
    ...(request.compression ? { compression: true } : {}),
  };
}
