import type { DevicePlatform } from '@chorus/core';

/** One notification to one device. */
export interface PushNotification {
  token: string;
  platform: DevicePlatform;
  /** Notifications with the same key replace each other on the device (one per room). */
  collapseKey: string;
  title: string;
  body: string;
  /** Delivered to the app as-is (FCM data: string values only). */
  data: Record<string, string>;
}

export type PushResult =
  | { status: 'sent'; messageId: string }
  /** The token is dead (unregistered or malformed): delete it, never retry it. */
  | { status: 'invalid-token'; reason: string }
  /** Transient (quota, unavailable, internal, network): try again later, not before `retryAfterMs`. */
  | { status: 'retry'; retryAfterMs?: number | undefined; reason: string }
  /** Permanent for this notification (bad payload, wrong credentials): retrying will not help. */
  | { status: 'failed'; reason: string };

/**
 * Hands notifications to a push service. Implementations: FCM (firebase-admin) and a
 * log-only sender for the embedded default.
 *
 * Contract: `send` resolves with exactly one result per notification, at the same index,
 * and never rejects for a per-device or per-request failure (a failure of the whole call,
 * such as an unreachable service, is a `retry` result for every notification). It may split
 * the batch into several requests; it does not retry by itself beyond what its library does.
 */
export interface PushSender {
  readonly kind: 'fcm' | 'log';
  send(batch: PushNotification[]): Promise<PushResult[]>;
  close(): Promise<void>;
}
