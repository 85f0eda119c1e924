import type { ChorusConfig } from '@chorus/core';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import fp from 'fastify-plugin';

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
  await app.register(helmet, {
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
