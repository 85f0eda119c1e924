import { parentPort, workerData } from 'node:worker_threads';
import { now } from '../clients/payload.js';
import { LatencyHistogram } from '../stats.js';
import { LoadGroup } from './group.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

/**
 * A load-worker thread: holds a share of the load connections and records the
 * latency of what they receive into a histogram in shared memory, which the
 * main thread reads (and merges with the other workers') without asking.
 */
const { histogram, counters } = workerData as { histogram: SharedArrayBuffer; counters: SharedArrayBuffer };
const latency = new LatencyHistogram(histogram);
/** [unparsed messages] */
const bad = new Float64Array(counters);
const group = new LoadGroup((sentAt) => {
  if (sentAt !== sentAt) bad[0]!++;
  else latency.record(now() - sentAt);
});
const port = parentPort!;

port.on('message', (request: WorkerRequest) => {
  void handle(request).then(
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  );
});

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.op) {
    case 'open':
      return { id: request.id, result: await group.open(request.open) };
    case 'publish':
      group.startPublishing(request.rate, request.messageBytes);
      return { id: request.id, count: group.connections.length };
    case 'stop-publishing':
      return { id: request.id, count: group.stopPublishing(), dropped: { count: group.dropped.count, ...(group.dropped.first !== undefined ? { first: group.dropped.first } : {}) } };
    case 'close':
      group.closeAll();
      return { id: request.id, count: 0 };
  }
}

port.postMessage({ id: 0 } satisfies WorkerReply);
