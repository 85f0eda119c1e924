import type { OpenRequest, OpenResult } from './group.js';

/** Main thread → load worker. */
export type WorkerRequest =
  | { id: number; op: 'open'; open: OpenRequest }
  | { id: number; op: 'publish'; rate: number; messageBytes: number }
  | { id: number; op: 'stop-publishing' }
  | { id: number; op: 'close' };

/** Load worker → main thread: `count` is connections (publish), messages sent (stop-publishing). */
export interface WorkerReply {
  id: number;
  error?: string;
  result?: OpenResult;
  count?: number;
  /** stop-publishing: connections the server ended so far, and the first reason. */
  dropped?: { count: number; first?: string };
}

/** A request before its id is assigned. */
export type WorkerCall = { [K in WorkerRequest['op']]: Omit<Extract<WorkerRequest, { op: K }>, 'id'> }[WorkerRequest['op']];
