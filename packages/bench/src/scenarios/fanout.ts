import type { LoadConnection } from '../clients/connection.js';
import { cpuMsPer1k, DeliveryMeter, limitNote, sleep, waitFor, WindowMeter, type Window } from '../meter.js';
import type { Progress } from '../progress.js';
import { RatePublisher } from '../publisher.js';
import type { ResultRow } from '../results.js';
import { round } from '../stats.js';
import { LoadPool } from '../load/pool.js';
import type { Target } from '../targets/target.js';

export interface FanoutOptions {
  subscribers: number;
  publishers: number;
  messageBytes: number;
  /** First offered rate, messages/s (each is delivered to every subscriber). */
  startRate: number;
  /** Multiplier between ramp steps. */
  growth: number;
  maxSteps: number;
  /** Bisection steps between the last passing and the first failing rate. */
  refineSteps: number;
  stepSeconds: number;
  p99LimitMs: number;
  /** Threads the subscribers are spread over (0: this thread). */
  loadWorkers: number;
}

export interface RampStep {
  rate: number;
  offeredDeliveriesPerSec: number;
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cpuMsPer1k: number;
  machineBusy: number;
  loadgenBusy: number;
  loadgenCores: number;
  pass: boolean;
}

/**
 * 1 room × N subscribers, publishers at a fixed rate ramped until p99 exceeds the
 * limit (or deliveries fall behind the offered rate); then a run at 50% of the max
 * sustained rate for the latency and CPU figures.
 */
export async function runFanout(target: Target, options: FanoutOptions, progress: Progress, label: string): Promise<ResultRow> {
  const replicas = target.replicas;
  progress.update(`${label}: setting up`);
  const [room] = await target.setupRooms(1, options.subscribers + options.publishers, (d, t) => progress.update(`${label}: setup ${d}/${t}`));
  const meter = new DeliveryMeter();
  const publishers: LoadConnection[] = [];
  // A publisher the server disconnected (a deployment's send limit, say) ends the ramp: later steps would measure nothing.
  let publisherError: string | undefined;
  const pool = await LoadPool.start(options.loadWorkers, meter);
  try {
    progress.update(`${label}: ${options.subscribers} subscribers over ${Math.max(1, options.loadWorkers)} load thread(s)`);
    const specs = Array.from({ length: options.subscribers }, (_, i) => target.spec({ replica: i % replicas, room: room!, member: i, subscribe: true }));
    await pool.open(specs, { concurrency: 64 });
    for (let i = 0; i < options.publishers; i++) {
      const onError = (message: string) => {
        publisherError ??= message;
      };
      publishers.push(await target.connect({ replica: i % replicas, room: room!, member: options.subscribers + i, subscribe: false, onError }));
    }
    const publisher = new RatePublisher(publishers, options.messageBytes);
    const window = new WindowMeter(target.pids, meter, pool);
    const steps: RampStep[] = [];

    const runStep = async (rate: number): Promise<{ step: RampStep; w: Window }> => {
      const offered = rate * options.subscribers;
      progress.update(`${label}: ${Math.round(offered).toLocaleString('en-US')} deliveries/s offered`);
      const sentBefore = publisher.sent;
      const receivedBefore = meter.received;
      publisher.start(rate);
      await sleep(Math.min(1000, options.stepSeconds * 250)); // warm-up, not measured
      window.start();
      await sleep(options.stepSeconds * 1000);
      const w = window.stop();
      const lat = w.latency;
      publisher.stop();
      const expected = (publisher.sent - sentBefore) * options.subscribers;
      await waitFor(() => meter.received - receivedBefore >= expected, 5000);
      const deliveriesPerSec = w.deliveries / w.seconds;
      const step: RampStep = {
        rate,
        offeredDeliveriesPerSec: Math.round(offered),
        deliveriesPerSec: Math.round(deliveriesPerSec),
        p50Ms: lat.p50,
        p99Ms: lat.p99,
        maxMs: lat.max,
        cpuMsPer1k: round(cpuMsPer1k(w), 3),
        machineBusy: round(w.machineBusy),
        loadgenBusy: round(w.loadgenBusy),
        loadgenCores: round(w.loadgenCores),
        pass: lat.p99 <= options.p99LimitMs && deliveriesPerSec >= 0.95 * offered,
      };
      progress.log(
        `${label}: ${step.deliveriesPerSec.toLocaleString('en-US')}/s (offered ${step.offeredDeliveriesPerSec.toLocaleString('en-US')}) p50 ${step.p50Ms} p99 ${step.p99Ms} max ${step.maxMs} ms, ${step.cpuMsPer1k} ms CPU/1k ${step.pass ? 'ok' : 'OVER'}${limitNote(w) ? ' — ' + limitNote(w) : ''}`,
      );
      await sleep(300);
      return { step, w };
    };

    let best: { step: RampStep; w: Window } | null = null;
    let failed: { step: RampStep; w: Window } | null = null;
    let rate = options.startRate;
    for (let i = 0; i < options.maxSteps; i++) {
      const result = await runStep(rate);
      steps.push(result.step);
      if (publisherError) break;
      if (!result.step.pass) {
        failed = result;
        if (best || rate <= 2) break;
        // The first step was already too fast: step down until one holds.
        rate = Math.max(1, Math.round(rate / (options.growth * options.growth)));
        continue;
      }
      best = result;
      if (failed) break; // stepped down to a rate that holds; the next one up already failed
      rate = Math.round(rate * options.growth);
    }
    // Narrow the gap between the last passing and the first failing rate (geometric bisection).
    for (let i = 0; i < options.refineSteps && !publisherError && best && failed && failed.step.rate / best.step.rate > 1.15; i++) {
      const mid = Math.round(Math.sqrt(best.step.rate * failed.step.rate));
      if (mid <= best.step.rate || mid >= failed.step.rate) break;
      const result = await runStep(mid);
      steps.push(result.step);
      if (result.step.pass) best = result;
      else failed = result;
    }
    const notes: string[] = [];
    if (publisherError) notes.push(`ramp stopped: a publisher connection ended: ${publisherError}`);
    if (!best || publisherError) {
      if (best) return { scenario: 'fanout', target: target.name, deliveriesPerSec: best.step.deliveriesPerSec, p99Ms: best.step.p99Ms, steps, notes };
      return { scenario: 'fanout', target: target.name, steps, notes: [...notes, `no step held p99 ≤ ${options.p99LimitMs} ms (first step ${options.startRate} msg/s)`] };
    }
    if (!failed) notes.push(`ramp ended at ${options.maxSteps} steps without exceeding the limit`);
    if (failed) {
      // Neither bound: the ramp ended on a latency spike the cores and the load thread had room for.
      const limit = limitNote(failed.w) ?? `p99 ${failed.step.p99Ms} ms with the cores ${(failed.w.machineBusy * 100).toFixed(0)}% and the load thread ${(failed.w.loadgenBusy * 100).toFixed(0)}% busy (neither full)`;
      notes.push(`at the first failing step: ${limit}`);
    }
    const half = await runStep(Math.max(1, Math.round(best.step.rate / 2)));
    steps.push({ ...half.step, pass: half.step.pass });
    const halfLimit = limitNote(half.w);
    if (halfLimit) notes.push(`at 50%: ${halfLimit}`);
    return {
      scenario: 'fanout',
      target: target.name,
      deliveriesPerSec: best.step.deliveriesPerSec,
      p50Ms: half.step.p50Ms,
      p99Ms: half.step.p99Ms,
      maxMs: half.step.maxMs,
      ...(target.pids.length > 0 ? { cpuMsPer1kDeliveries: half.step.cpuMsPer1k } : {}),
      extra: {
        maxSustainedP99Ms: best.step.p99Ms,
        cpuMsPer1kAtMax: best.step.cpuMsPer1k,
        rateAt50pct: half.step.deliveriesPerSec,
        loadWorkers: options.loadWorkers,
        ...(meter.bad > 0 ? { unparsedMessages: meter.bad } : {}),
      },
      notes,
      steps,
    };
  } finally {
    for (const c of publishers) c.close();
    await pool.stop();
  }
}
