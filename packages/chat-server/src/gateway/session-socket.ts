import { WebSocket } from 'ws';
import type { StompSession } from '../stomp/session.js';

/**
 * The gateway's WebSocket class (ws's `WebSocket` server option): each socket carries its
 * STOMP session, so one set of listener functions serves every connection instead of three
 * closures per connection, which an idle server with many connections pays for in memory.
 */
export class SessionSocket extends WebSocket {
  session: StompSession | undefined;

  /** Hands the socket's traffic to `session` from now on. */
  attach(session: StompSession): void {
    this.session = session;
    this.on('message', onMessage);
    this.on('close', onClose);
    this.on('error', onError);
  }
}

// ws calls listeners with the socket as `this`, and every socket of the gateway is a SessionSocket.
function onMessage(this: WebSocket, data: Buffer): void {
  (this as SessionSocket).session!.receive(data);
}

function onClose(this: WebSocket): void {
  (this as SessionSocket).session!.closed();
}

function onError(this: WebSocket, err: Error): void {
  (this as SessionSocket).session!.transportError(err);
}
