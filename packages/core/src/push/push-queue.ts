/** One stored text message waiting for its push notification. */
export interface PushJob {
  /** Job id (a bigint, as a decimal string). */
  id: string;
  messageId: string;
  seq: number;
  senderId: string;
  senderUsername: string;
  /** The message text, cut to PUSH_PREVIEW_SOURCE_CHARS characters (enough for any preview). */
  text: string;
  /** Files sent with the message: how many, and how many of them are images (for "alice sent a photo"). */
  attachments?: { count: number; images: number };
  /** When the message was stored (ISO-8601). */
  storedAt: string;
  /** Claims of this job so far, this one included. */
  attempts: number;
  /** Device tokens that already accepted this job's notification. */
  deliveredTokens: string[];
  /** Members this job notifies of a mention (read from the message, not stored in the outbox). */
  mentions?: string[];
  /** An edit that mentions members for the first time: it notifies only them (`mentions`). */
  mentionsOnly?: true;
}

/**
 * The pending jobs of ONE room, claimed together so that a burst of messages becomes one
 * notification per device. Only the claim's holder may ack, retry or dead-letter it.
 */
export interface PushClaim {
  claimToken: string;
  roomId: string;
  roomName: string;
  /** Ascending by seq. */
  jobs: PushJob[];
}

export interface DeadLetter {
  id: string;
  roomId: string;
  messageId: string;
  seq: number;
  attempts: number;
  lastError: string | null;
  storedAt: string;
  deadAt: string;
}

export type RetryOutcome = 'retrying' | 'dead';

export const PUSH_PREVIEW_SOURCE_CHARS = 400;

/**
 * The durable queue of push jobs. Jobs are created by Store.appendMessage in the same
 * statement as their message; this seam is how workers (and operators) move them on.
 *
 * Contract:
 * - `claim` leases due jobs for `leaseMs`, grouped by room, and never hands the same job to two
 *   live claims: a job is claimed again only after its lease expired (its worker died or hung)
 *   or after `retry`/`replay` made it due. A room with a live lease is not claimed by anyone
 *   else until that claim ends, so one room's notifications go out one batch at a time.
 * - Each claim increments the jobs' `attempts`, so a job whose worker keeps crashing still counts.
 * - `ack`, `retry` and `deadLetter` touch only jobs still carrying the claim's token; after the
 *   lease expired and someone else claimed them they change nothing (and return 0 / 'stale').
 * - `ack` deletes the jobs (sent, or nothing to send). `retry` makes them due after `delayMs`,
 *   or dead when their attempts reached `maxAttempts`. `deadLetter` makes them dead at once.
 *   Both record the error and add `deliveredTokens` to each job's delivered set.
 * - `replay` makes one dead job pending and due now with attempts reset (delivered tokens kept).
 * - `depth` counts pending jobs (due or not).
 */
export interface PushQueue {
  claim(options: { maxRooms: number; leaseMs: number }): Promise<PushClaim[]>;
  ack(claim: PushClaim): Promise<number>;
  /** ack for several claims in one statement; result i counts the jobs of claims[i] deleted. */
  ackAll(claims: readonly PushClaim[]): Promise<number[]>;
  retry(claim: PushClaim, options: { delayMs: number; maxAttempts: number; error: string; deliveredTokens: string[] }): Promise<RetryOutcome | 'stale'>;
  deadLetter(claim: PushClaim, options: { error: string; deliveredTokens: string[] }): Promise<number>;
  /** Dead jobs, newest first; `before` is the last id of the previous page. */
  listDeadLetters(options: { limit: number; before?: string | undefined }): Promise<DeadLetter[]>;
  /** Returns false when no dead job has that id. */
  replay(id: string): Promise<boolean>;
  depth(): Promise<number>;
  /** Deletes dead letters that died before `before`; returns how many. Run by one replica (the lease holder). */
  purgeDeadLetters(before: Date): Promise<number>;
}
