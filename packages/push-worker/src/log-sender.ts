import type { Logger } from '@chorus/core';
import type { PushNotification, PushResult, PushSender } from './push-sender.js';

/** The embedded default without FCM credentials: logs each notification it would send. */
export class LogPushSender implements PushSender {
  readonly kind = 'log' as const;
  #sent = 0;

  constructor(private readonly logger: Logger) {}

  async send(batch: PushNotification[]): Promise<PushResult[]> {
    return batch.map((n) => {
      this.logger.info(
        // Only a prefix of the device token: enough to recognise it, useless to anyone reading logs.
        { device: `${n.token.slice(0, 8)}…`, platform: n.platform, collapseKey: n.collapseKey, title: n.title, body: n.body, data: n.data },
        `push (log-only): ${n.title}: ${n.body}`,
      );
      return { status: 'sent', messageId: `log-${++this.#sent}` };
    });
  }

  async close(): Promise<void> {}
}
