import { Client, type IMessage, type StompHeaders } from '@stomp/stompjs';
import SockJS from 'sockjs-client';
import WebSocket from 'ws';
import type { Message } from '@chorus/core';

export const STOMP_SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

/** A connected @stomp/stompjs client over `ws` (or sockjs-client). */
export async function connectStomp(
  baseUrl: string,
  token: string | undefined,
  options: { transport?: 'websocket' | 'sockjs'; headers?: StompHeaders } = {},
): Promise<Client> {
  const client = new Client({
    webSocketFactory: () =>
      options.transport === 'sockjs'
        ? new SockJS(`${baseUrl}/sockjs`)
        : new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, STOMP_SUBPROTOCOLS),
    connectHeaders: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...options.headers },
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
  });
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve();
    client.onStompError = (frame) => reject(new Error(`STOMP ERROR: ${frame.headers['message']}`));
    client.onWebSocketClose = (event: { code?: number }) => reject(new Error(`socket closed before CONNECTED (${event.code})`));
    client.activate();
  });
  return client;
}

/** Collects messages of one subscription and lets a test await a count. */
export class Inbox {
  readonly messages: Message[] = [];
  readonly frames: IMessage[] = [];
  #waiters: Array<{ count: number; resolve: () => void }> = [];

  push(frame: IMessage): void {
    this.frames.push(frame);
    this.messages.push(JSON.parse(frame.body) as Message);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.messages.length >= w.count) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  /** Resolves once `count` messages arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 10_000): Promise<Message[]> {
    if (this.messages.length >= count) return Promise.resolve(this.messages);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${count} messages (have ${this.messages.length})`)),
        timeoutMs,
      );
      this.#waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.messages);
        },
      });
    });
  }
}

export function subscribeInbox(client: Client, destination: string, headers: StompHeaders = {}): Inbox {
  const inbox = new Inbox();
  client.subscribe(destination, (frame) => inbox.push(frame), headers);
  return inbox;
}

/** Sends with a receipt and resolves when the server acknowledged it (i.e. stored it). */
export function sendWithReceipt(client: Client, destination: string, body: string, headers: StompHeaders = {}): Promise<void> {
  const receipt = `r-${Math.random().toString(36).slice(2)}`;
  return new Promise((resolve) => {
    client.watchForReceipt(receipt, () => resolve());
    client.publish({ destination, body, headers: { ...headers, receipt } });
  });
}

/** Subscribes with a receipt and resolves once the subscription is active (replay included). */
export function subscribeWithReceipt(client: Client, destination: string, headers: StompHeaders = {}): Promise<Inbox> {
  const receipt = `s-${Math.random().toString(36).slice(2)}`;
  const inbox = new Inbox();
  return new Promise((resolve) => {
    client.watchForReceipt(receipt, () => resolve(inbox));
    client.subscribe(destination, (frame) => inbox.push(frame), { ...headers, receipt });
  });
}
