import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { parseRetryAfter } from './backoff.js';

/**
 * firebase-admin reports a 429/503 as an error code without the response's Retry-After
 * header. Node publishes every client response on diagnostics channels, so the FCM sender
 * watches them while its batch is in flight and keeps the longest Retry-After it saw:
 * `http.client.response.finish` (HTTP/1.1: firebase-admin's legacy transport) and
 * `http2.client.stream.finish` (HTTP/2, published by newer Node releases; where it is not, the HTTP/2
 * path falls back to plain back-off).
 */
const watches = new Set<{ maxMs: number | undefined }>();
let subscribed = false;

function record(status: number | undefined, header: string | string[] | undefined): void {
  if (watches.size === 0 || (status !== 429 && status !== 503)) return;
  const ms = parseRetryAfter(header);
  if (ms === undefined) return;
  for (const watch of watches) watch.maxMs = Math.max(watch.maxMs ?? 0, ms);
}

function subscribe(): void {
  if (subscribed) return;
  subscribed = true;
  diagnosticsChannel.subscribe('http.client.response.finish', (message) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    if (!request.host?.endsWith('googleapis.com')) return;
    record(response.statusCode, response.headers['retry-after']);
  });
  diagnosticsChannel.subscribe('http2.client.stream.finish', (message) => {
    const { headers } = message as { headers?: Record<string, string | string[] | number | undefined> };
    const status = Number(headers?.[':status']);
    const retryAfter = headers?.['retry-after'];
    record(status, typeof retryAfter === 'number' ? String(retryAfter) : retryAfter);
  });
}

/** Runs `fn` and returns its value with the longest Retry-After (ms) of any 429/503 seen meanwhile. */
export async function watchRetryAfter<T>(fn: () => Promise<T>): Promise<{ value: T; retryAfterMs: number | undefined }> {
  subscribe();
  const watch: { maxMs: number | undefined } = { maxMs: undefined };
  watches.add(watch);
  try {
    const value = await fn();
    return { value, retryAfterMs: watch.maxMs };
  } finally {
    watches.delete(watch);
  }
}
