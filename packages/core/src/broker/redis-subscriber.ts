import type { Redis } from 'ioredis';

/**
 * SUBSCRIBE only on a connection that is ready.
 *
 * ioredis writes SUBSCRIBE as soon as the socket connects, before its own ready
 * check (SUBSCRIBE is allowed while Redis loads). The reply puts the connection
 * in subscriber mode, the ready check's INFO is then refused, and ioredis drops
 * the connection and reconnects, losing the subscription. So a subscribe in that
 * window fails at once instead, like any other subscribe while Redis is not
 * reachable; the broker subscribes every topic again once the connection is ready.
 */
export async function subscribeWhenReady(connection: Redis, channel: string): Promise<void> {
  if (connection.status !== 'ready') {
    throw new Error(`subscriber connection is ${connection.status}, not ready`);
  }
  await connection.subscribe(channel);
}
