import type { Logger, Metrics, PushClaim, PushQueue, Store } from '@chorus/core';
import { retryDelayMs, type BackoffPolicy } from './backoff.js';
import { planNotifications, type PlannedNotification } from './notifications.js';
import type { OnlineChecker } from './online.js';
import type { PushResult, PushSender } from './push-sender.js';

export interface PushWorkerOptions {
  queue: PushQueue;
  store: Pick<Store, 'listPushRecipientsByRoom' | 'deleteDevice'>;
  sender: PushSender;
  online: OnlineChecker;
  logger: Logger;
  metrics: Metrics;
  previews: boolean;
  /** Idle wait between polls. */
  pollMs: number;
  /** Rooms claimed per round. */
  batchRooms: number;
  leaseMs: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  random?: () => number;
}

/** What one round did (tests and logs). */
export interface RoundSummary {
  claims: number;
  sent: number;
  acked: number;
  retried: number;
  dead: number;
}

interface Settlement {
  delivered: string[];
  retry: PushResult[];
  failed: PushResult[];
  sent: number;
}

/** Shortest time between the starts of two rounds that were not full (adds at most this to push latency). */
const MIN_ROUND_MS = 100;

/** How often a busy worker recounts the backlog for chorus_push_queue_depth. */
const DEPTH_REFRESH_MS = 5000;

const NOBODY_ONLINE: ReadonlySet<string> = new Set();

const emptySummary = (): RoundSummary => ({ claims: 0, sent: 0, acked: 0, retried: 0, dead: 0 });

/**
 * Moves push jobs from the queue to the push service. Each round claims the due jobs of up to
 * `batchRooms` rooms, plans one notification per recipient device and room, sends them all in
 * one batch, then settles each room: ack when everything was accepted (or the token was dead),
 * retry with back-off for transient failures (dead-letter once attempts are used up), dead-letter
 * at once for permanent ones. A crash anywhere leaves the claim to expire and be retried.
 */
export class PushWorker {
  readonly #o: PushWorkerOptions;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #depthRefreshedAt = 0;

  constructor(options: PushWorkerOptions) {
    this.#o = options;
  }

  /** Starts the polling loop (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops claiming and resolves once the round in flight (if any) has been settled. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let claims = 0;
      const startedAt = Date.now();
      try {
        claims = (await this.runOnce()).claims;
        await this.#refreshDepth(claims === 0);
      } catch (err) {
        this.#o.logger.warn({ err }, 'push round failed; retrying after the poll interval');
      }
      if (!this.#running) break;
      if (claims === 0) await this.#sleep(this.#o.pollMs);
      else if (claims < this.#o.batchRooms) {
        // Every due room fitted in the round: let jobs gather for the next one rather than
        // paying a round's fixed cost for a handful of them. A full round (more rooms
        // waiting) goes again at once.
        const wait = MIN_ROUND_MS - (Date.now() - startedAt);
        if (wait > 0) await this.#sleep(Math.min(wait, this.#o.pollMs));
      }
    }
  }

  /**
   * Counting the backlog is a scan of every pending job, so under load (when rounds follow
   * each other back to back) the gauge is refreshed at most every DEPTH_REFRESH_MS; an idle
   * round always refreshes it, so it drops to 0 as soon as the queue is drained.
   */
  async #refreshDepth(idle: boolean): Promise<void> {
    const now = Date.now();
    if (!idle && now - this.#depthRefreshedAt < DEPTH_REFRESH_MS) return;
    this.#depthRefreshedAt = now;
    this.#o.metrics.pushQueueDepth.set(await this.#o.queue.depth());
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  /** One round: claim, send, settle. Resolves once every claim of the round is settled. */
  async runOnce(): Promise<RoundSummary> {
    const claims = await this.#o.queue.claim({ maxRooms: this.#o.batchRooms, leaseMs: this.#o.leaseMs });
    const summary = emptySummary();
    summary.claims = claims.length;
    if (claims.length === 0) return summary;

    // One query for every claimed room's recipients, then presence (pipelined) only for rooms
    // where someone could be notified: listing who is online in a big room costs more than the
    // rest of the round, and in many rooms nobody but the sender has a device.
    const plans = new Map<PushClaim, PlannedNotification[]>();
    let planError: { cause: unknown } | undefined;
    try {
      const recipients = await this.#o.store.listPushRecipientsByRoom(claims.map((claim) => claim.roomId), mentionedByRoom(claims));
      const online = await Promise.all(
        claims.map((claim) => ((recipients.get(claim.roomId)?.length ?? 0) > 0 ? this.#onlineIn(claim.roomId) : NOBODY_ONLINE)),
      );
      claims.forEach((claim, i) => plans.set(claim, planNotifications(claim, recipients.get(claim.roomId) ?? [], online[i]!, { previews: this.#o.previews })));
    } catch (err) {
      planError = { cause: err };
    }

    const planned = [...plans.values()].flat();
    const results = planned.length > 0 ? await this.#o.sender.send(planned.map((p) => p.notification)) : [];
    const resultOf = new Map<PlannedNotification, PushResult>();
    planned.forEach((p, i) => resultOf.set(p, results[i] ?? { status: 'retry', reason: 'sender returned no result' }));

    const toAck: Array<{ claim: PushClaim; sent: boolean }> = [];
    for (const claim of claims) {
      if (planError !== undefined) {
        await this.#retry(claim, { delivered: [], retry: [{ status: 'retry', reason: `planning failed: ${String(planError.cause)}` }], failed: [], sent: 0 }, summary);
        continue;
      }
      const settlement = await this.#collect(plans.get(claim) ?? [], resultOf);
      summary.sent += settlement.sent;
      if (settlement.retry.length > 0) await this.#retry(claim, settlement, summary);
      else if (settlement.failed.length > 0) await this.#deadLetter(claim, settlement, summary);
      else toAck.push({ claim, sent: settlement.sent > 0 });
    }
    if (toAck.length > 0) await this.#ack(toAck, summary);
    return summary;
  }

  async #onlineIn(roomId: string): Promise<Set<string>> {
    try {
      return await this.#o.online.onlineUserIds(roomId);
    } catch (err) {
      // Better a notification someone did not need than a missed one.
      this.#o.logger.warn({ err, roomId }, 'presence unavailable; treating every member as offline');
      return new Set();
    }
  }

  async #collect(planned: PlannedNotification[], resultOf: Map<PlannedNotification, PushResult>): Promise<Settlement> {
    const settlement: Settlement = { delivered: [], retry: [], failed: [], sent: 0 };
    for (const plan of planned) {
      const result = resultOf.get(plan)!;
      const { platform, token } = plan.notification;
      switch (result.status) {
        case 'sent':
          settlement.delivered.push(token);
          settlement.sent += 1;
          this.#o.metrics.pushSent.inc({ platform, result: 'sent' });
          break;
        case 'invalid-token':
          this.#o.metrics.pushSent.inc({ platform, result: 'invalid_token' });
          try {
            await this.#o.store.deleteDevice(plan.userId, token);
            settlement.delivered.push(token);
            this.#o.logger.info({ userId: plan.userId, platform, reason: result.reason }, 'deleted a push token FCM rejected as invalid');
          } catch (err) {
            settlement.retry.push({ status: 'retry', reason: `could not delete invalid token: ${String(err)}` });
          }
          break;
        case 'retry':
          this.#o.metrics.pushSent.inc({ platform, result: 'retry' });
          settlement.retry.push(result);
          break;
        case 'failed':
          this.#o.metrics.pushSent.inc({ platform, result: 'failed' });
          settlement.failed.push(result);
          break;
      }
    }
    return settlement;
  }

  /** Acknowledges every fully settled claim of the round in one statement. */
  async #ack(settled: Array<{ claim: PushClaim; sent: boolean }>, summary: RoundSummary): Promise<void> {
    const acked = await this.#o.queue.ackAll(settled.map((s) => s.claim));
    const now = Date.now();
    settled.forEach(({ claim, sent }, i) => {
      summary.acked += acked[i]!;
      if (acked[i] === 0) this.#o.logger.warn({ roomId: claim.roomId }, 'push claim expired before it was acknowledged; its jobs may be sent again');
      if (!sent) return;
      for (const job of claim.jobs) this.#o.metrics.pushLatency.observe(Math.max(0, now - Date.parse(job.storedAt)) / 1000);
    });
  }

  async #retry(claim: PushClaim, settlement: Settlement, summary: RoundSummary): Promise<void> {
    const attempts = Math.max(...claim.jobs.map((job) => job.attempts));
    const retryAfterMs = Math.max(0, ...settlement.retry.map((r) => (r.status === 'retry' ? (r.retryAfterMs ?? 0) : 0)));
    const delayMs = retryDelayMs(attempts, this.#o.backoff, retryAfterMs || undefined, this.#o.random);
    const error = describe([...settlement.retry, ...settlement.failed]);
    const outcome = await this.#o.queue.retry(claim, { delayMs, maxAttempts: this.#o.maxAttempts, error, deliveredTokens: settlement.delivered });
    if (outcome === 'dead') {
      summary.dead += claim.jobs.length;
      this.#o.logger.error({ roomId: claim.roomId, jobs: claim.jobs.length, attempts, error }, 'push jobs failed too often; moved to dead letters');
    } else if (outcome === 'retrying') {
      summary.retried += claim.jobs.length;
      this.#o.logger.warn({ roomId: claim.roomId, attempts, delayMs, error }, 'push failed; will retry');
    }
  }

  async #deadLetter(claim: PushClaim, settlement: Settlement, summary: RoundSummary): Promise<void> {
    const error = describe(settlement.failed);
    summary.dead += await this.#o.queue.deadLetter(claim, { error, deliveredTokens: settlement.delivered });
    this.#o.logger.error({ roomId: claim.roomId, jobs: claim.jobs.length, error }, 'push failed permanently; moved to dead letters');
  }
}

/** The distinct failure reasons, shortened for the job's last_error. */
function describe(results: PushResult[]): string {
  const reasons = [...new Set(results.map((r) => ('reason' in r ? r.reason : r.status)))];
  return reasons.join('; ').slice(0, 1000);
}

/** Who the claimed messages mention, per room: muted members among them may still be notified. */
function mentionedByRoom(claims: readonly PushClaim[]): Map<string, string[]> {
  const mentioned = new Map<string, string[]>();
  for (const claim of claims) {
    const ids = [...new Set(claim.jobs.flatMap((job) => job.mentions ?? []))];
    if (ids.length > 0) mentioned.set(claim.roomId, ids);
  }
  return mentioned;
}
