import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatService, createLogger, createMetrics, MemoryBroker } from '@chorus/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerApi } from '../../src/index.js';
import { call, expectError, randomName, startTestApi, type TestApi } from '../support.js';

export function opsSuite(getApi: () => TestApi): void {
  let api: TestApi;

  beforeAll(async () => {
    api = getApi();
  });

  describe('probes and metrics', () => {
    it('GET /healthz answers ok', async () => {
      const reply = await api.call('GET', '/healthz');
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ status: 'ok' });
    });

    it('GET /readyz follows the readiness function, 503 with reasons when not ready', async () => {
      const ready = await api.call('GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ ready: true, reasons: [] });

      api.setReadiness(() => ({ ready: false, reasons: ['draining', 'storage unavailable'] }));
      try {
        const notReady = await api.call('GET', '/readyz');
        expect(notReady.status).toBe(503);
        expect(notReady.body).toEqual({
          ready: false,
          reasons: ['draining', 'storage unavailable'],
          error: { code: 'unavailable', message: expect.stringContaining('draining') },
        });
      } finally {
        api.setReadiness(() => ({ ready: true, reasons: [] }));
      }
    });

    it('answers 500 with a generic message, never the underlying error', async () => {
      api.setReadiness(() => {
        throw new Error('SELECT password_hash FROM users WHERE id = 1');
      });
      try {
        const reply = await api.call('GET', '/readyz');
        const message = expectError(reply, 500, 'internal');
        expect(reply.text).not.toMatch(/SELECT|password_hash|at .*\.ts/);
        expect(message).toBe('internal server error');
      } finally {
        api.setReadiness(() => ({ ready: true, reasons: [] }));
      }
    });

    it('GET /metrics exposes request durations labelled by route pattern', async () => {
      const roomId = '0f8fad5b-d9cb-469f-a165-70867728950e';
      await api.call('GET', `/api/rooms/${roomId}`);
      await api.call('GET', `/no/such/${roomId}`);
      const reply = await api.call('GET', '/metrics');
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toBe(api.metrics.registry.contentType);
      expect(reply.text).toContain('# TYPE chorus_http_request_duration_seconds histogram');
      expect(reply.text).toMatch(/chorus_http_request_duration_seconds_count\{[^}]*method="GET",route="\/api\/rooms\/:id",status="401"\} [1-9]/);
      expect(reply.text).toMatch(/chorus_http_request_duration_seconds_count\{[^}]*route="\(unmatched\)",status="404"\} [1-9]/);
      expect(reply.text).not.toContain(roomId);
    });
  });

  describe('OpenAPI', () => {
    it('GET /docs/json documents every route with schemas and bearer security', async () => {
      const reply = await api.call('GET', '/docs/json');
      expect(reply.status).toBe(200);
      const doc = reply.body;
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
      const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(routes.sort()).toEqual(
        [
          'GET /healthz',
          'GET /readyz',
          'GET /metrics',
          'POST /api/auth/signup',
          'POST /api/auth/login',
          'GET /api/me',
          'POST /api/rooms',
          'GET /api/rooms',
          'GET /api/me/rooms',
          'GET /api/rooms/{id}',
          'POST /api/rooms/{id}/join',
          'POST /api/rooms/{id}/leave',
          'POST /api/rooms/{id}/members',
          'POST /api/rooms/{id}/read',
          'GET /api/rooms/{id}/messages',
          'POST /api/rooms/{id}/messages',
          'PATCH /api/rooms/{id}/messages/{messageId}',
          'DELETE /api/rooms/{id}/messages/{messageId}',
          'GET /api/rooms/{id}/presence',
          'GET /api/search',
          'POST /api/devices',
          'DELETE /api/devices/{token}',
          'GET /api/me/devices',
          'POST /api/rooms/{id}/mute',
          'GET /api/rooms/{id}/mute',
          'DELETE /api/rooms/{id}/mute',
          'GET /api/admin/push/dead-letters',
          'POST /api/admin/push/dead-letters/{id}/replay',
          'POST /api/rooms/{id}/attachments',
          'GET /api/attachments/{id}',
          'GET /api/attachments/{id}/thumbnail',
          'POST /api/me/password',
          'POST /api/me/logout-all',
          'DELETE /api/me',
          'GET /api/rooms/{id}/settings',
          'PATCH /api/rooms/{id}/settings',
          'DELETE /api/rooms/{id}',
          'GET /api/rooms/{id}/members',
          'PUT /api/rooms/{id}/members/{userId}/role',
          'POST /api/rooms/{id}/transfer',
          'DELETE /api/rooms/{id}/members/{userId}',
          'GET /api/rooms/{id}/bans',
          'PUT /api/rooms/{id}/bans/{userId}',
          'DELETE /api/rooms/{id}/bans/{userId}',
          'PUT /api/rooms/{id}/timeouts/{userId}',
          'GET /api/rooms/{id}/moderation-log',
          'POST /api/dms',
          'GET /api/users',
          'GET /api/me/blocks',
          'PUT /api/me/blocks/{userId}',
          'DELETE /api/me/blocks/{userId}',
          'PUT /api/rooms/{id}/messages/{messageId}/reactions/{emoji}',
          'DELETE /api/rooms/{id}/messages/{messageId}/reactions/{emoji}',
          'GET /api/me/settings',
          'PATCH /api/me/settings',
        ].sort(),
      );
      const send = doc.paths['/api/rooms/{id}/messages'].post;
      expect(send.security).toEqual([{ bearerAuth: [] }]);
      // Text, attachments or both.
      expect(send.requestBody.content['application/json'].schema.anyOf).toEqual([{ required: ['text'] }, { required: ['attachments'] }]);
      expect(Object.keys(send.responses).sort()).toEqual(['201', '400', '401', '403', '404', '409', '413', '429']);
      expect(doc.paths['/api/auth/login'].post.responses['429']).toBeDefined();
      expect(doc.paths['/api/auth/signup'].post.security).toBeUndefined();
    });

    it('serves swagger-ui at /docs under a CSP that allows it', async () => {
      const reply = await fetch(`${api.url}/docs/`);
      expect(reply.status).toBe(200);
      expect(await reply.text()).toContain('swagger-ui');
      const csp = reply.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    });
  });

  describe('HTTP defaults', () => {
    it('answers unknown routes with the error shape', async () => {
      expectError(await api.call('GET', '/api/nope'), 404, 'not_found');
      expectError(await api.call('DELETE', '/api/rooms'), 404, 'not_found');
    });

    it('sends security headers, with a CSP that lets the page open WebSockets to its own host', async () => {
      const reply = await fetch(`${api.url}/healthz`);
      const host = new URL(api.url).host;
      const csp = reply.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toMatch(new RegExp(`connect-src 'self' ws://${host} wss://${host}`));
      expect(csp).toContain("object-src 'none'");
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
      expect(reply.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    });

    it('sends no CORS headers when no origins are configured', async () => {
      const reply = await fetch(`${api.url}/healthz`, { headers: { origin: 'https://elsewhere.example' } });
      expect(reply.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('shows a landing page at / when there is no web client', async () => {
      const reply = await fetch(`${api.url}/`);
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await reply.text();
      expect(html).toContain('Chorus is running');
      expect(html).toContain('href="/docs"');
    });
  });

  describe('other hosting options', () => {
    it('allows only the configured CORS origins', async () => {
      const other = await startTestApi(api.kind, { store: api.store, env: { CORS_ORIGINS: 'https://chat.example' } });
      try {
        const preflight = await fetch(`${other.url}/api/rooms`, {
          method: 'OPTIONS',
          headers: { origin: 'https://chat.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
        });
        expect(preflight.status).toBe(204);
        expect(preflight.headers.get('access-control-allow-origin')).toBe('https://chat.example');
        expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
        // Every method the API documents passes the preflight (browsers refuse the rest).
        const document = (await (await fetch(`${other.url}/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
        const used = new Set(Object.values(document.paths).flatMap((operations) => Object.keys(operations).map((m) => m.toUpperCase())));
        expect([...used]).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']));
        for (const method of used) {
          const check = await fetch(`${other.url}/api/rooms`, {
            method: 'OPTIONS',
            headers: { origin: 'https://chat.example', 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type' },
          });
          expect(check.status).toBe(204);
          expect(check.headers.get('access-control-allow-methods')?.split(',').map((m) => m.trim()), method).toContain(method);
        }
        const allowed = await fetch(`${other.url}/healthz`, { headers: { origin: 'https://chat.example' } });
        expect(allowed.headers.get('access-control-allow-origin')).toBe('https://chat.example');
        const denied = await fetch(`${other.url}/healthz`, { headers: { origin: 'https://evil.example' } });
        expect(denied.headers.get('access-control-allow-origin')).toBeNull();
      } finally {
        await other.close();
      }
    });

    it('serves the web client from webRoot at /', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'chorus-web-'));
      await writeFile(join(dir, 'index.html'), '<!doctype html><title>client</title><script src="/app.js"></script>');
      await writeFile(join(dir, 'app.js'), 'console.log("chorus")');
      const other = await startTestApi(api.kind, { store: api.store, webRoot: dir });
      try {
        const index = await fetch(`${other.url}/`);
        expect(index.status).toBe(200);
        expect(await index.text()).toContain('<title>client</title>');
        const script = await fetch(`${other.url}/app.js`);
        expect(script.headers.get('content-type')).toMatch(/javascript/);
        expect(await script.text()).toBe('console.log("chorus")');
        expectError(await call(other.url, 'GET', '/missing.js'), 404, 'not_found');
        expect((await other.call('GET', '/healthz')).status).toBe(200);
      } finally {
        await other.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('registers into a host instance created with default options and keeps its own rules', async () => {
      const logger = createLogger({ level: 'silent', name: 'host-test', pretty: false });
      const metrics = createMetrics('standalone');
      const broker = new MemoryBroker({ logger });
      const chat = new ChatService({ store: api.store, broker, metrics, logger, maxMessageLength: 100 });
      const host: FastifyInstance = Fastify();
      host.get('/host-route', async () => ({ host: true }));
      await registerApi(host, {
        config: api.config,
        store: api.store,
        chat,
        tokens: api.tokens,
        metrics,
        logger,
        readiness: () => ({ ready: true, reasons: [] }),
      });
      const url = await host.listen({ port: 0, host: '127.0.0.1' });
      try {
        expect((await call(url, 'GET', '/host-route')).body).toEqual({ host: true });
        expect((await call(url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
        // The host's default ajv would strip unknown fields; the API still rejects them.
        const username = randomName('host');
        const reply = await call(url, 'POST', '/api/auth/signup', {
          json: { username, email: `${username}@example.test`, password: 'long enough password', isAdmin: true },
        });
        expect(expectError(reply, 400, 'validation_failed')).toContain('body.isAdmin');
        // The API's body limit applies although the host's default is 1 MiB.
        const big = await call(url, 'POST', '/api/auth/login', { json: { login: 'x', password: 'p'.repeat(api.config.limits.maxBodyBytes) } });
        expectError(big, 413, 'payload_too_large');
        expectError(await call(url, 'GET', '/nowhere'), 404, 'not_found');
      } finally {
        await host.close();
        await broker.close();
      }
    });
  });
}
