import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountService } from '../src/auth/accounts.js';
import { BoundedWork } from '../src/auth/bounded-work.js';
import { hashPassword } from '../src/auth/passwords.js';
import { TokenRevocations, type TokensRevokedEvent } from '../src/auth/token-revocations.js';
import { TokenService } from '../src/auth/tokens.js';
import { MemoryBroker } from '../src/broker/memory-broker.js';
import type { User } from '../src/domain/types.js';
import { ChorusError } from '../src/errors.js';
import { ChatService } from '../src/messaging/chat-service.js';
import { createMetrics } from '../src/observability/metrics.js';
import type { SqlStore } from '../src/store/sql-store.js';
import { createTestStore, storeBackends, type TestStore } from '../src/testing/index.js';

const tag = () => randomBytes(5).toString('hex');
const logger = pino({ level: 'silent' });
const jwt = { secret: 's'.repeat(40), issuer: 'chorus', audience: 'chorus', ttlSeconds: 600 };

function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp) {
  return expect(promise).rejects.toSatisfy((err: unknown) => {
    if (!(err instanceof ChorusError) || err.code !== code) throw err;
    if (message && !message.test(err.message)) throw err;
    return true;
  });
}

describe.each(storeBackends())('account lifecycle (%s)', (backend) => {
  let t: TestStore;
  let store: SqlStore;
  let broker: MemoryBroker;
  let chat: ChatService;
  /** Two processes' worth of token checks over one store and broker. */
  let here: TokenService;
  let elsewhere: TokenService;
  let accounts: AccountService;
  const revocationsSeen: TokensRevokedEvent[] = [];

  beforeAll(async () => {
    t = await createTestStore(backend);
    store = t.store;
    broker = new MemoryBroker();
    chat = new ChatService({ store, broker, metrics: createMetrics('test'), logger, maxMessageLength: 100 });
    const a = new TokenRevocations(store, broker, logger);
    const b = new TokenRevocations(store, broker, logger);
    await a.start();
    await b.start();
    b.onRevoked((event) => revocationsSeen.push(event));
    here = new TokenService(jwt, a);
    elsewhere = new TokenService(jwt, b);
    accounts = new AccountService(store, here, new BoundedWork(2, 10));
  });
  afterAll(async () => {
    await here?.revocations?.close();
    await elsewhere?.revocations?.close();
    await broker?.close();
    await t?.cleanup();
  });

  async function newUser(password = 'old-password'): Promise<User & { password: string }> {
    const name = `u_${tag()}`;
    const user = await store.createUser({ username: name, email: `${name}@example.test`, passwordHash: await hashPassword(password) });
    return { ...user, password };
  }

  describe('store', () => {
    it('starts every user at token generation 0 and moves it forward, with the password when given', async () => {
      const user = await newUser();
      expect(await store.getTokenGeneration(user.id)).toBe(0);
      expect(await store.revokeTokens(user.id)).toBe(1);
      expect(await store.revokeTokens(user.id, 'scrypt$new')).toBe(2);
      expect((await store.getCredentials(user.id))?.passwordHash).toBe('scrypt$new');
      expect(await store.getTokenGeneration(randomUUID())).toBeNull();
      expect(await store.revokeTokens(randomUUID())).toBeNull();
      expect(await store.revokeTokens('not-a-uuid')).toBeNull();
    });

    it('deletes an account: anonymised messages, memberships and counts gone, name and email free again', async () => {
      const alice = await newUser();
      const bob = await newUser();
      const room = await store.createRoom({ name: `room ${tag()}`, private: false, createdBy: alice.id });
      await store.addMember(room.id, bob.id);
      const bobs = await store.createRoom({ name: `room ${tag()}`, private: true, createdBy: bob.id });
      await store.addMember(bobs.id, alice.id, { addedBy: bob.id });
      const said = await store.appendMessage({ roomId: room.id, senderId: alice.id, type: 'text', text: 'hello from alice' });
      await store.upsertDevice(alice.id, `device-${tag()}`, 'web');
      await store.createAttachment({ id: randomUUID(), roomId: room.id, uploaderId: alice.id, name: 'a.pdf', contentType: 'application/pdf', size: 3, width: null, height: null, objectKey: `k/${tag()}`, thumbnailKey: null });

      const deletion = await store.deleteAccount(alice.id);
      expect(deletion).toEqual({ tokenGeneration: 1, rooms: 2, devices: 1, unsentUploads: 1, messages: 2 }); // her text and her join
      expect(await store.deleteAccount(alice.id)).toBeNull();
      expect(await store.getUser(alice.id)).toBeNull();
      expect(await store.getCredentials(alice.id)).toBeNull();
      expect(await store.getTokenGeneration(alice.id)).toBeNull();
      expect(await store.findCredentials(alice.username)).toBeNull();
      expect(await store.listDevices(alice.id)).toEqual([]);
      expect(await store.isMember(room.id, alice.id)).toBe(false);

      // The room keeps working for the others, its creator gone, and bob owns it now.
      expect(await store.listRoomMembers(room.id, { limit: 10 })).toEqual([expect.objectContaining({ userId: bob.id, role: 'owner' })]);
      const after = await store.getRoom(room.id);
      expect(after?.memberCount).toBe(1);
      expect(after?.createdBy).toBe(alice.id);
      await store.appendMessage({ roomId: room.id, senderId: bob.id, type: 'text', text: 'still here' });
      const history = await store.listMessages(room.id, { limit: 10 });
      const hers = history.find((m) => m.id === said.id)!;
      expect(hers.sender).toEqual({ id: alice.id, username: 'deleted user' });
      expect(hers.text).toBe('hello from alice');
      const bobsHistory = await store.listMessages(bobs.id, { limit: 10 });
      expect(bobsHistory.find((m) => m.type === 'join')).toMatchObject({ sender: { id: alice.id, username: 'deleted user' }, text: 'deleted user joined' });
      expect((await store.getRoom(bobs.id))?.memberCount).toBe(1);

      // Her username and email are free.
      const again = await store.createUser({ username: alice.username, email: alice.email, passwordHash: 'x' });
      expect(again.id).not.toBe(alice.id);
    });
  });

  describe('tokens and the account service', () => {
    it('issues tokens in the current generation; logging out everywhere refuses older ones on every process at once', async () => {
      const user = await newUser();
      const { token } = await accounts.login(user.username, user.password);
      await expect(here.verify(token)).resolves.toMatchObject({ userId: user.id, generation: 0 });
      await expect(elsewhere.verify(token)).resolves.toMatchObject({ userId: user.id }); // cached there now

      await accounts.logoutEverywhere({ id: user.id, username: user.username });
      await rejectsWith(here.verify(token), 'unauthorized', /revoked/);
      await rejectsWith(elsewhere.verify(token), 'unauthorized', /revoked/);
      expect(revocationsSeen).toContainEqual({ type: 'tokens-revoked', userId: user.id, generation: 1 });

      const fresh = await accounts.login(user.username, user.password);
      await expect(elsewhere.verify(fresh.token)).resolves.toMatchObject({ generation: 1 });
    });

    it('changes the password only with the current one, and hands back the only token that still works', async () => {
      const user = await newUser();
      const actor = { id: user.id, username: user.username };
      const { token } = await accounts.login(user.username, user.password);
      await rejectsWith(accounts.changePassword(actor, 'not-it', 'new-password-1'), 'forbidden');
      await expect(here.verify(token)).resolves.toBeTruthy();

      const changed = await accounts.changePassword(actor, user.password, 'new-password-1');
      expect(changed.user).toEqual({ id: user.id, username: user.username, email: user.email, createdAt: user.createdAt, isAdmin: false });
      await rejectsWith(elsewhere.verify(token), 'unauthorized');
      await expect(elsewhere.verify(changed.token)).resolves.toMatchObject({ userId: user.id, generation: 1 });
      await rejectsWith(accounts.login(user.username, user.password), 'unauthorized');
      await expect(accounts.login(user.username, 'new-password-1')).resolves.toBeTruthy();
    });

    it('deletes an account with its password; every token is refused and login fails', async () => {
      const user = await newUser();
      const actor = { id: user.id, username: user.username };
      const room = await chat.createRoom(actor, `r ${tag()}`, false);
      await chat.send(actor, room.id, 'last words', 'http');
      const { token } = await accounts.login(user.username, user.password);
      await rejectsWith(accounts.deleteAccount(actor, 'wrong'), 'forbidden');

      const deletion = await accounts.deleteAccount(actor, user.password);
      expect(deletion.rooms).toBe(1);
      await rejectsWith(here.verify(token), 'unauthorized', /deleted/);
      await rejectsWith(elsewhere.verify(token), 'unauthorized', /deleted/);
      await rejectsWith(accounts.login(user.username, user.password), 'unauthorized');
      await rejectsWith(accounts.current(actor), 'unauthorized');
      await rejectsWith(accounts.logoutEverywhere(actor), 'unauthorized');
      expect(revocationsSeen).toContainEqual({ type: 'tokens-revoked', userId: user.id, generation: deletion.tokenGeneration, deleted: true });
    });

    it('a token without a generation claim (issued before generations) is generation 0', async () => {
      const user = await newUser();
      const plain = new TokenService(jwt);
      const token = await plain.issue({ userId: user.id, username: user.username });
      await expect(here.verify(token)).resolves.toMatchObject({ generation: 0 });
      await store.revokeTokens(user.id);
      await here.revocations!.revoked(user.id, 1);
      await rejectsWith(here.verify(token), 'unauthorized');
    });

    it('remembers a bounded number of users', async () => {
      const small = new TokenRevocations(store, broker, logger, { maxEntries: 3 });
      await small.start();
      for (let i = 0; i < 10; i++) await small.check((await store.createUser({ username: `n_${tag()}`, email: `${tag()}@example.test`, passwordHash: 'x' })).id, 0);
      expect(small.size).toBeLessThanOrEqual(3);
      await small.close();
    });
  });
});
