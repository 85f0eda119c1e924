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

/** Close codes Chorus uses (RFC 6455 and the 4000–4999 private range). */
export const CloseCodes = {
  normal: 1000,
  protocolError: 1002,
  policyViolation: 1008,
  tooBig: 1009,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  /** The client did not read fast enough; its send buffer passed SEND_BUFFER_BYTES. */
  slowConsumer: 4008,
  /** No heart-beat from the client within the negotiated window. */
  heartbeatTimeout: 4009,
} as const;
