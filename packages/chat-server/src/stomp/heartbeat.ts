/**
 * STOMP heart-beat negotiation (spec 1.2 "Heart-beating"). The client sends
 * `heart-beat:cx,cy` (cx = it can send every cx ms, cy = it wants to receive
 * every cy ms); the server answers `sx,sy` likewise. 0 means "cannot"/"does not want".
 */
export interface HeartbeatPlan {
  /** Server sends an EOL at least this often when otherwise silent; 0 = never. */
  sendEveryMs: number;
  /** Server expects client traffic at least this often; 0 = no check. */
  expectEveryMs: number;
  /** The value of the CONNECTED heart-beat header. */
  header: string;
}

export function parseHeartbeatHeader(value: string | undefined): [number, number] | null {
  if (value === undefined) return [0, 0];
  const m = /^\s*(\d{1,9})\s*,\s*(\d{1,9})\s*$/.exec(value);
  if (!m) return null;
  return [Number(m[1]), Number(m[2])];
}

export function negotiateHeartbeat(client: [number, number], serverSendMs: number, serverExpectMs: number): HeartbeatPlan {
  const [cx, cy] = client;
  const sendEveryMs = serverSendMs === 0 || cy === 0 ? 0 : Math.max(serverSendMs, cy);
  const expectEveryMs = serverExpectMs === 0 || cx === 0 ? 0 : Math.max(serverExpectMs, cx);
  return { sendEveryMs, expectEveryMs, header: `${serverSendMs},${serverExpectMs}` };
}
