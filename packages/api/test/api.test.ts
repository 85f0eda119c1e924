import { describe } from 'vitest';
import { storeBackends, useTestApi } from './support.js';
import { authSuite } from './suites/auth.js';
import { devicesSuite } from './suites/devices.js';
import { messagesSuite } from './suites/messages.js';
import { opsSuite } from './suites/ops.js';
import { pushSuite } from './suites/push.js';
import { roomsSuite } from './suites/rooms.js';

/** The whole REST API over real HTTP, once per store backend (one store each: creating one costs seconds). */
describe.each(storeBackends())('REST API on %s', (kind) => {
  const api = useTestApi(kind);
  describe('auth', () => authSuite(api));
  describe('rooms', () => roomsSuite(api));
  describe('messages and search', () => messagesSuite(api));
  describe('devices', () => devicesSuite(api));
  describe('ops, docs and HTTP defaults', () => opsSuite(api));
  describe('push mutes and dead letters', () => pushSuite(api));
});
