import type { Connection } from 'sockjs';
import type { Transport } from '../stomp/transport.js';

interface SockJsSessionInternals {
  _session?: { send_buffer?: string[]; recv?: { ws?: { bufferedAmount?: number } } };
}

/**
 * A SockJS connection under a STOMP session. SockJS carries strings, so frames
 * are decoded once here; its own send buffer stands in for bufferedAmount.
 */
export class SockJsTransport implements Transport {
  readonly kind = 'sockjs';

  constructor(private readonly conn: Connection) {}

  get bufferedAmount(): number {
    // sockjs keeps unsent frames in its session buffer (polling transports)
    // and hands websocket frames to faye-websocket; neither is public API.
    const session = (this.conn as unknown as SockJsSessionInternals)._session;
    let total = 0;
    const buffer = session?.send_buffer;
    if (buffer) for (const item of buffer) total += item.length;
    return total;
  }

  send(data: Buffer): void {
    this.conn.write(data.toString('utf8'));
  }

  close(code: number, reason: string): void {
    // SockJS reserves 1000/3000-4999 for applications; map protocol codes into its range.
    const sockCode = code === 1000 || (code >= 3000 && code <= 4999) ? code : 3000 + (code % 1000);
    this.conn.close(String(sockCode), reason.slice(0, 120));
  }

  terminate(): void {
    this.conn.destroy();
  }
}
