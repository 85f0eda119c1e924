import WebSocket from 'ws';
import type { DeliveryHandler, LoadConnection } from './connection.js';
import { readStamp } from './payload.js';

/** A plain WebSocket client for the ws-ceiling server: every message is a stamped text. */
export class RawWsClient implements LoadConnection {
  private constructor(private readonly ws: WebSocket) {}

  static connect(url: string, onMessage?: DeliveryHandler, localAddress?: string): Promise<RawWsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}) });
      if (onMessage) ws.on('message', (data: Buffer) => onMessage(readStamp(data, 0)));
      ws.once('open', () => resolve(new RawWsClient(ws)));
      ws.once('error', reject);
    });
  }

  publish(text: string): void {
    this.ws.send(text);
  }

  close(): void {
    this.ws.terminate();
  }
}
