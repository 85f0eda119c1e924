/** Called for every message a subscriber receives, with the send time stamped in it. */
export type DeliveryHandler = (sentAt: number) => void;

/** One load-generator connection, bound to its room. */
export interface LoadConnection {
  /** Sends a message to the room (no receipt). */
  publish(text: string): void;
  /** Sends a message and calls back once the server confirmed it (Chorus: stored; RECEIPT). */
  publishConfirmed?(text: string, done: (err?: Error) => void): void;
  close(): void;
  /** Bytes its TCP socket has read (headers, frames, compressed or not). */
  bytesRead?(): number;
}
