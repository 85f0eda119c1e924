import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

const LANDING_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Chorus</title></head>
<body>
<h1>Chorus is running</h1>
<p>The REST API is documented at <a href="/docs">/docs</a>.</p>
</body>
</html>
`;

/** Serves the browser client at `/` when `webRoot` exists, otherwise a small landing page. */
export default async function webRootPlugin(app: FastifyInstance, options: { webRoot?: string | undefined }): Promise<void> {
  const root = options.webRoot ? resolve(options.webRoot) : undefined;
  if (root && existsSync(root) && statSync(root).isDirectory()) {
    await app.register(fastifyStatic, { root, prefix: '/', index: ['index.html'] });
    return;
  }
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(LANDING_PAGE));
}
