import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Holds a request body to `maxBytes` before anyone reads it: a declared Content-Length over
 * the limit is refused at once, and a chunked body is counted as it streams. A refused request
 * is answered 413 and its connection closed (the rest of the body is discarded, not read into
 * memory). Returns false when the request was refused.
 *
 * Call it before the body's reader attaches its listeners: ours then runs first for each chunk,
 * and on refusal the listeners added after it are removed before the chunk that passed the
 * limit reaches them.
 */
export function limitRequestBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): boolean {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    refuse(req, res, maxBytes);
    return false;
  }
  if (declared === undefined && req.headers['transfer-encoding'] === undefined) return true;
  const earlier = new Set([...req.listeners('data'), ...req.listeners('end')]);
  let received = 0;
  const count = (chunk: Buffer): void => {
    received += chunk.length;
    if (received <= maxBytes) return;
    for (const event of ['data', 'end'] as const) {
      for (const listener of req.listeners(event)) if (!earlier.has(listener)) req.removeListener(event, listener as () => void);
    }
    refuse(req, res, maxBytes);
  };
  req.on('data', count);
  return true;
}

function refuse(req: IncomingMessage, res: ServerResponse, maxBytes: number): void {
  req.on('data', discard);
  if (!res.headersSent) {
    res.writeHead(413, { 'content-type': 'text/plain; charset=UTF-8', connection: 'close' }).end(`request body over ${maxBytes} bytes\n`);
  }
  // A client that keeps sending after the answer is not waited for.
  const timer = setTimeout(() => req.socket.destroy(), 1000);
  timer.unref();
}

function discard(): void {}
