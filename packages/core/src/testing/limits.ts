/**
 * Abuse limits raised far above anything a suite does: suites sign up users and create rooms from
 * one address (127.0.0.1), and with REDIS_URL the counters outlive a run. Tests of the limits set
 * their own low values.
 */
export const RELAXED_LIMITS_ENV: Readonly<Record<string, string>> = Object.freeze({
  SIGNUPS_PER_HOUR: '1000000',
  PASSWORD_HASH_QUEUE: '10000',
  ROOM_CREATE_RATE_PER_MINUTE: '100000',
  ROOM_CREATE_BURST: '1000000',
  MEMBERSHIP_RATE_PER_MINUTE: '100000',
  MEMBERSHIP_BURST: '1000000',
});
