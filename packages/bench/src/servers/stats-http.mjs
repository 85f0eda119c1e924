// The HTTP server under the bench's bare WebSocket servers: GET /stats answers the process's
// memory (the bench samples heap use through it), anything else 404.
import { createServer } from 'node:http';
import process from 'node:process';

export function createStatsServer() {
  return createServer((req, res) => {
    if (req.url === '/stats') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(process.memoryUsage()));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
}
