import type { Client } from '@stomp/stompjs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startHarness, type Harness, type Replica, type TestUser } from './harness.js';
import { connectStomp } from './stomp-clients.js';

/** Two replicas over one store, talking through Redis as in production, for one describe block. */
export interface TwoReplicas {
  /** Replica A: the harness (store, chat, tokens). */
  readonly h: Harness;
  /** Replica B. */
  readonly b: Replica;
  /** A STOMP client of `user` on `url` (`h.url` or `b.url`), deactivated after the test. */
  connect(url: string, user: TestUser): Promise<Client>;
}

/**
 * Starts both replicas before the block's tests and closes them after (it registers its own
 * hooks, so a block's own beforeAll, registered after this call, finds them running).
 */
export function useTwoReplicas(): TwoReplicas {
  let h: Harness | undefined;
  let b: Replica | undefined;
  const clients: Client[] = [];
  beforeAll(async () => {
    h = await startHarness({ broker: 'redis' });
    b = await h.startReplica();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.deactivate()));
  });
  afterAll(async () => {
    await h?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the replicas are read before their beforeAll ran');
    return value;
  };
  return {
    get h() {
      return started(h);
    },
    get b() {
      return started(b);
    },
    connect: async (url, user) => {
      const client = await connectStomp(url, user.token);
      clients.push(client);
      return client;
    },
  };
}
