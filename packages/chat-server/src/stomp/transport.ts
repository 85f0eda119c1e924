/** What a STOMP session needs from the connection under it (WebSocket or SockJS). */
export interface Transport {
  readonly kind: 'websocket' | 'sockjs';
  /** Bytes queued but not yet written to the network. */
  readonly bufferedAmount: number;
  /** Writes one or more complete STOMP frames (a text message). */
  send(data: Buffer): void;
  /** Flushes what is queued, then closes with a WebSocket close code. */
  close(code: number, reason: string): void;
  /** Drops the connection at once (for clients that do not read). */
  terminate(): void;
}
