import type { ChorusConfig } from '@chorus/core';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import fp from 'fastify-plugin';
import helmet from 'helmet';

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** WebSocket origins of the host serving the page (CSP 'self' does not cover ws: in every browser). */
function sameHostWebSockets(req: IncomingMessage): string {
  const host = req.headers.host;
  return host && HOST.test(host) ? `ws://${host} wss://${host}` : '';
}

/**
 * Security headers (helmet) with a CSP that fits swagger-ui and a same-origin
 * web client, and CORS for the configured origins only.
 */
async function securityPlugin(app: FastifyInstance, options: { config: ChorusConfig }): Promise<void> {
  // Built once: @fastify/helmet built this middleware again on every request (parsing the
  // CSP each time), ~5% of a REST request's CPU. Function directives still run per request.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        // swagger-ui sets inline style attributes.
        styleSrc: ["'self'", "'unsafe-inline'"],
        // blob: for attachment images, which the client fetches with its token.
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", (req) => sameHostWebSockets(req)],
        objectSrc: ["'none'"],
        frameAncestors: ["'self'"],
        formAction: ["'self'"],
      },
    },
  });
  app.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (err?: unknown) => done(err instanceof Error ? err : undefined));
  });

  const origins = options.config.corsOrigins;
  if (origins.length > 0) {
    await app.register(cors, {
      origin: origins,
      // Every method a route uses (PATCH/PUT: settings, roles, profile); a method left out here
      // works same-origin and fails in browsers on every other configured origin.
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      exposedHeaders: ['Retry-After'],
      maxAge: 600,
    });
  }
}

export default fp(securityPlugin, { name: 'chorus-security', fastify: '5.x' });
