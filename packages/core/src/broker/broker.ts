/** A payload handler; called synchronously in publish order for one publisher. */
export type TopicHandler = (payload: string) => void;

export type BrokerState = 'connecting' | 'ready' | 'down';

/**
 * Moves already-stored facts between processes. Topics are plain strings
 * (see `topics.ts`); payloads are JSON strings, forwarded untouched so that a
 * receiving process never re-serialises what it fans out.
 *
 * Contract:
 * - Delivery is at most once: a payload published while a process is
 *   disconnected is lost for that process. Consumers that need every message
 *   (room fan-out) detect gaps by `seq` and backfill from the Store.
 * - Order is preserved per publisher and topic.
 * - `subscribe` is reference-counted per topic: however many local handlers a
 *   topic has, the process holds one upstream subscription (one Redis SUBSCRIBE).
 *   The returned function removes exactly that handler; the upstream
 *   subscription is dropped with the last handler.
 * - A process receives its own publications (the memory broker included).
 * - `onReconnect` listeners run after the upstream connection is restored and
 *   every topic is subscribed again, so they can reconcile what was missed.
 */
export interface Broker {
  readonly state: BrokerState;
  publish(topic: string, payload: string): Promise<void>;
  subscribe(topic: string, handler: TopicHandler): Promise<() => Promise<void>>;
  onStateChange(listener: (state: BrokerState) => void): () => void;
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}
