import type { DeliveryHandler, LoadConnection } from './connection.js';
import { LeanSocketIoClient } from './lean-socketio.js';
import { LeanStompClient } from './lean-stomp.js';
import { RawWsClient } from './raw-ws.js';

/**
 * Everything needed to open one load connection, as plain data: the main thread
 * builds specs (it knows the targets, users and rooms) and load workers open them.
 */
export type ConnectSpec =
  | { kind: 'stomp'; url: string; token: string; subscribe: string | null; publishTo: string; heartbeat: boolean; compression?: boolean }
  | { kind: 'raw-ws'; url: string; receive: boolean }
  | { kind: 'socket.io'; url: string; room: string; subscribe: boolean };

/** Opens (and subscribes) a connection from its spec, from the given source address when set. */
export async function openSpec(
  spec: ConnectSpec,
  onMessage: DeliveryHandler | undefined,
  localAddress?: string,
  onError?: (message: string) => void,
): Promise<LoadConnection> {
  if (spec.kind === 'raw-ws') return RawWsClient.connect(spec.url, spec.receive ? onMessage : undefined, localAddress);
  if (spec.kind === 'socket.io') {
    const client = await LeanSocketIoClient.connect(spec.url, spec.subscribe ? onMessage : undefined, localAddress);
    if (spec.subscribe) await client.join(spec.room);
    else client.target(spec.room);
    return client;
  }
  const client = await LeanStompClient.connect({
    url: spec.url,
    token: spec.token,
    heartbeat: spec.heartbeat ? [10_000, 10_000] : [0, 0],
    compression: spec.compression === true,
    ...(onMessage ? { onMessage } : {}),
    ...(localAddress ? { localAddress } : {}),
    ...(onError ? { onError } : {}),
  });
  try {
    if (spec.subscribe) await client.subscribe(spec.subscribe);
  } catch (err) {
    client.close();
    throw err;
  }
  return client.target(spec.publishTo);
}
