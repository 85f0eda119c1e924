/** What a STOMP session needs from the connection under it (WebSocket, SockJS or plain TCP). */
export interface Transport {
  readonly kind: 'websocket' | 'sockjs' | 'tcp';
  /** Bytes queued but not yet written to the network. */
  readonly bufferedAmount: number;
  /** Writes one or more complete STOMP frames (a text message). */
  send(data: Buffer): void;
  /** Flushes what is queued, then closes with a WebSocket close code. */
  close(code: number, reason: string): void;
  /** Drops the connection at once (for clients that do not read). */
  terminate(): void;
}

/** How long a client that does not read gets to take our close frame before the socket is dropped. */
const TERMINATE_AFTER_MS = 2000;

/** Closes with `code`, and drops the connection if it has not closed within 2 s (a client that does not read will not read our close frame either). */
export function closeThenTerminate(transport: Transport, code: number, reason: string): void {
  transport.close(code, reason);
  const kill = setTimeout(() => transport.terminate(), TERMINATE_AFTER_MS);
  kill.unref();
}
