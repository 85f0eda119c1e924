import { randomUUID, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { ConfigError, type ChorusConfig, type Logger } from '@chorus/core';
import { applicationDefault, cert, deleteApp, initializeApp, type App, type Credential } from 'firebase-admin/app';
import { getMessaging, type Message, type Messaging } from 'firebase-admin/messaging';
import type { PushNotification, PushResult, PushSender } from './push-sender.js';
import { watchRetryAfter } from './retry-after.js';

/** FCM accepts at most 500 messages per sendEach call. */
const MAX_BATCH = 500;

/** FCM error codes (as firebase-admin names them) that mean the token is dead. */
const INVALID_TOKEN_CODES = new Set(['messaging/registration-token-not-registered', 'messaging/invalid-registration-token']);

/** Transient failures: quota, unavailable, internal errors, network trouble, token fetch failures. */
const RETRY_CODES = new Set([
  'messaging/message-rate-exceeded',
  'messaging/device-message-rate-exceeded',
  'messaging/server-unavailable',
  'messaging/internal-error',
  'messaging/unknown-error',
  'messaging/authentication-error',
  'app/network-error',
  'app/network-timeout',
  'app/invalid-credential',
]);

export type FcmCredentialSource = { serviceAccount: Record<string, unknown> } | { credentialsFile: string };

export interface FcmSenderOptions {
  credential: FcmCredentialSource;
  /** HTTP/1.1 agent for firebase-admin (token exchange and, with transport http1, the sends). */
  httpAgent?: Agent;
  /** 'http2' (firebase-admin's default) or 'http1' (its legacy transport, which uses httpAgent). */
  transport: 'http2' | 'http1';
  logger: Logger;
}

/** The credential source configured by FCM_SERVICE_ACCOUNT_JSON or GOOGLE_APPLICATION_CREDENTIALS, if any. */
export function fcmCredentialFromConfig(push: ChorusConfig['push']): FcmCredentialSource | undefined {
  if (push.serviceAccountJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(push.serviceAccountJson);
    } catch {
      throw new ConfigError('FCM_SERVICE_ACCOUNT_JSON', 'is not valid JSON (expected a service account key)');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError('FCM_SERVICE_ACCOUNT_JSON', 'expected a JSON object (a service account key)');
    }
    return { serviceAccount: parsed as Record<string, unknown> };
  }
  if (push.credentialsFile !== undefined) return { credentialsFile: push.credentialsFile };
  return undefined;
}

function toCredential(source: FcmCredentialSource, httpAgent: Agent | undefined): Credential {
  if ('serviceAccount' in source) return cert(source.serviceAccount, httpAgent);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(source.credentialsFile, 'utf8'));
  } catch (err) {
    throw new ConfigError('GOOGLE_APPLICATION_CREDENTIALS', `cannot read ${source.credentialsFile}: ${(err as Error).message}`);
  }
  // A service account key directly; any other ADC file (workload identity, user) through Google's loader.
  if ((json as { type?: unknown }).type === 'service_account') return cert(json as Record<string, unknown>, httpAgent);
  return applicationDefault(httpAgent);
}

/** A stable ≤32-character Web Push Topic (URL-safe base64) for a collapse key. */
const webPushTopic = (collapseKey: string) => createHash('sha256').update(collapseKey).digest('base64url').slice(0, 32);

/** The FCM HTTP v1 message: collapsed per room on Android, iOS and the web alike. */
export function toFcmMessage(n: PushNotification): Message {
  return {
    token: n.token,
    notification: { title: n.title, body: n.body },
    data: n.data,
    android: { collapseKey: n.collapseKey, priority: 'high', notification: { tag: n.collapseKey } },
    apns: { headers: { 'apns-collapse-id': n.collapseKey }, payload: { aps: { threadId: n.collapseKey } } },
    webpush: { headers: { Topic: webPushTopic(n.collapseKey) }, notification: { tag: n.collapseKey } },
  };
}

/** Sends through firebase-admin's Messaging.sendEach (its own firebase App, deleted on close). */
export class FcmPushSender implements PushSender {
  readonly kind = 'fcm' as const;
  readonly #app: App;
  readonly #messaging: Messaging;
  readonly #logger: Logger;

  constructor(options: FcmSenderOptions) {
    this.#logger = options.logger;
    this.#app = initializeApp(
      { credential: toCredential(options.credential, options.httpAgent), ...(options.httpAgent ? { httpAgent: options.httpAgent } : {}) },
      `chorus-push-${randomUUID()}`,
    );
    this.#messaging = getMessaging(this.#app);
    if (options.transport === 'http1') this.#messaging.enableLegacyHttpTransport();
  }

  async send(batch: PushNotification[]): Promise<PushResult[]> {
    const results: PushResult[] = [];
    for (let i = 0; i < batch.length; i += MAX_BATCH) results.push(...(await this.#sendChunk(batch.slice(i, i + MAX_BATCH))));
    return results;
  }

  async #sendChunk(chunk: PushNotification[]): Promise<PushResult[]> {
    try {
      const { value: response, retryAfterMs } = await watchRetryAfter(() => this.#messaging.sendEach(chunk.map(toFcmMessage)));
      return response.responses.map((r): PushResult => {
        if (r.success) return { status: 'sent', messageId: r.messageId ?? '' };
        const code = r.error?.code ?? 'unknown';
        const reason = `${code}: ${r.error?.message ?? 'no message'}`;
        if (INVALID_TOKEN_CODES.has(code)) return { status: 'invalid-token', reason };
        if (RETRY_CODES.has(code)) return { status: 'retry', reason, retryAfterMs };
        return { status: 'failed', reason };
      });
    } catch (err) {
      // The whole call failed (e.g. no access token): nothing was sent, everything is retried.
      const reason = `sendEach failed: ${(err as Error).message ?? String(err)}`;
      this.#logger.warn({ err, notifications: chunk.length }, 'FCM batch failed; will retry');
      return chunk.map(() => ({ status: 'retry', reason }));
    }
  }

  async close(): Promise<void> {
    await deleteApp(this.#app);
  }
}
