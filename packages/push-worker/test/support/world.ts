import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { createLogger, createMetrics, SqlPushQueue, type DevicePlatform, type Logger, type Metrics, type Room, type User } from '@chorus/core';
import type { SqlStore } from '@chorus/core';
import { FakeFcm } from './fake-fcm.js';

export const silentLogger: Logger = createLogger({ level: 'silent', name: 'push-test', pretty: false });
export const tag = () => randomBytes(5).toString('hex');

/** Users, rooms, devices and messages straight through the Store. */
export class World {
  constructor(readonly store: SqlStore) {}

  async user(prefix: string, devices: DevicePlatform[] = []): Promise<User & { tokens: string[] }> {
    const name = `${prefix}_${tag()}`;
    const user = await this.store.createUser({ username: name, email: `${name}@example.test`, passwordHash: 'x' });
    const tokens: string[] = [];
    for (const platform of devices) {
      const token = `${platform}-${name}-${tag()}`;
      await this.store.upsertDevice(user.id, token, platform);
      tokens.push(token);
    }
    return { ...user, tokens };
  }

  /** A room created by `owner` with the other members added; everyone has read everything so far. */
  async room(owner: User, members: User[]): Promise<Room> {
    const room = await this.store.createRoom({ name: `Room ${tag()}`, private: false, createdBy: owner.id });
    for (const member of members) await this.store.addMember(room.id, member.id);
    const last = (await this.store.lastSeq(room.id)) ?? 0;
    for (const member of [owner, ...members]) await this.store.markRead(room.id, member.id, last);
    return room;
  }

  async say(room: Room, sender: User, ...texts: string[]) {
    const out = [];
    for (const text of texts) out.push(await this.store.appendMessage({ roomId: room.id, senderId: sender.id, type: 'text', text }));
    return out;
  }
}

/** The FCM stand-in plus the global agent pointed at it (for the OAuth token exchange, which ignores httpAgent). */
export async function startFakeFcm(): Promise<{ fcm: FakeFcm; restore(): Promise<void> }> {
  const fcm = await FakeFcm.start();
  const holder = https as unknown as { globalAgent: https.Agent };
  const previous = holder.globalAgent;
  holder.globalAgent = fcm.agent();
  return {
    fcm,
    restore: async () => {
      holder.globalAgent.destroy();
      holder.globalAgent = previous;
      await fcm.close();
    },
  };
}

export function newQueue(store: SqlStore): SqlPushQueue {
  return new SqlPushQueue(store.db);
}

export function newMetrics(): Metrics {
  return createMetrics('push-worker-test');
}

/** Value of chorus_push_sent_total for the labels. */
export async function sentCount(metrics: Metrics, labels: { platform: string; result: string }): Promise<number> {
  const { values } = await metrics.pushSent.get();
  return values.find((v) => v.labels.platform === labels.platform && v.labels.result === labels.result)?.value ?? 0;
}

/** Polls `check` (a database condition the worker changes on its own schedule) until it holds. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000, label = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${label} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
