import { AccountService, BoundedWork } from '@chorus/core';
import type { Client } from '@stomp/stompjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type Replica, type TestUser } from './support/harness.js';
import { connectStomp, sendWithReceipt } from './support/stomp-clients.js';

/** Resolves with the ERROR frame's message when the server ends the client's session. */
function errorOf(client: Client): Promise<string> {
  return new Promise((resolve) => {
    client.onStompError = (frame) => resolve(frame.headers['message'] ?? '');
  });
}

/**
 * Log out everywhere (and account deletion) closes the user's open STOMP sessions on every
 * replica, over WebSocket and SockJS, and refuses the old token at CONNECT; two replicas share
 * one store and talk through Redis, each with its own token checks, as in production.
 */
describe('log out everywhere closes the STOMP sessions of the user on every replica', () => {
  let h: Harness;
  let b: Replica;
  let accounts: AccountService;
  const open: Client[] = [];
  const connect = async (url: string, token: string, transport: 'websocket' | 'sockjs' = 'websocket') => {
    const client = await connectStomp(url, token, { transport });
    open.push(client);
    return client;
  };

  beforeAll(async () => {
    h = await startHarness({ broker: 'redis', store: process.env['DATABASE_URL'] ? 'postgres' : 'pglite' });
    b = await h.startReplica();
    accounts = new AccountService(h.store, h.tokens, new BoundedWork(1, 1));
  });
  afterAll(async () => {
    for (const client of open.splice(0)) await client.deactivate();
    await h?.close();
  });

  const freshToken = async (user: TestUser) =>
    h.tokens.issue({ userId: user.id, username: user.username, generation: (await h.store.getTokenGeneration(user.id))! });

  it('closes alice’s sessions on both replicas (ws and SockJS) with ERROR "logged out", not bob’s; the old token is refused, a new one works', async () => {
    const alice = await h.createUser('alice');
    const bob = await h.createUser('bob');
    const room = await h.createRoom(alice);
    await h.chat.join(bob, room.id);

    const aliceA = await connect(h.url, alice.token);
    const aliceB = await connect(b.url, alice.token);
    const aliceSockJs = await connect(b.url, alice.token, 'sockjs');
    const bobA = await connect(h.url, bob.token);
    const bobB = await connect(b.url, bob.token);
    const errors = [aliceA, aliceB, aliceSockJs].map(errorOf);
    let bobErrors = 0;
    for (const client of [bobA, bobB]) client.onStompError = () => bobErrors++;

    // Through replica A's services, as the REST api does.
    await accounts.logoutEverywhere({ id: alice.id, username: alice.username });
    for (const message of await Promise.all(errors)) expect(message).toMatch(/^logged out/);

    // Bob's sessions on both replicas carry on.
    await sendWithReceipt(bobA, `/app/rooms/${room.id}`, 'still here (A)');
    await sendWithReceipt(bobB, `/app/rooms/${room.id}`, 'still here (B)');
    expect(bobErrors).toBe(0);
    expect(bobA.connected && bobB.connected).toBe(true);

    // Reconnecting with the old token is refused on either replica; a token of the new generation works.
    await expect(connectStomp(b.url, alice.token)).rejects.toThrow(/STOMP ERROR: token revoked \(logged out\)/);
    await expect(connectStomp(h.url, alice.token, { transport: 'sockjs' })).rejects.toThrow(/STOMP ERROR/);
    const again = await connect(b.url, await freshToken(alice));
    await sendWithReceipt(again, `/app/rooms/${room.id}`, 'back again');
  });

  it('a deleted account’s sessions close on every replica and it cannot connect again', async () => {
    const carol = await h.createUser('carol');
    const carolA = await connect(h.url, carol.token);
    const carolB = await connect(b.url, carol.token);
    const errors = [carolA, carolB].map(errorOf);
    // What AccountService.deleteAccount does once the password verifies.
    const deletion = await h.store.deleteAccount(carol.id);
    await h.tokens.revocations!.revoked(carol.id, deletion!.tokenGeneration, true);
    expect(await Promise.all(errors)).toEqual(['logged out: account deleted', 'logged out: account deleted']);
    await expect(connectStomp(b.url, carol.token)).rejects.toThrow(/STOMP ERROR: account deleted/);
  });
});
