export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before the next attempt after `attempts` failed ones: exponential (base·2^(n-1),
 * capped at maxMs) with "equal jitter" (a random point in its upper half, so replicas that
 * failed together do not retry together), and never earlier than the server's Retry-After.
 */
export function retryDelayMs(attempts: number, policy: BackoffPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or malformed. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
