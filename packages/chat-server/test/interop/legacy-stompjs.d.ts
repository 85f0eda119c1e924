// Legacy stompjs 2.3.3 ships no types; only what the matrix uses.
declare module 'stompjs/lib/stomp.js' {
  interface LegacyFrame {
    command: string;
    headers: Record<string, string>;
    body: string;
  }
  interface LegacyClient {
    heartbeat: { outgoing: number; incoming: number };
    debug: ((message: string) => void) | null;
    onreceipt: ((frame: LegacyFrame) => void) | null;
    connect(headers: Record<string, string>, onConnect: (frame: LegacyFrame) => void, onError: (error: LegacyFrame | string) => void): void;
    subscribe(destination: string, callback: (frame: LegacyFrame) => void, headers?: Record<string, string>): { id: string };
    send(destination: string, headers?: Record<string, string>, body?: string): void;
    disconnect(callback?: () => void): void;
  }
  export const Stomp: {
    over(socket: unknown): LegacyClient;
    setInterval: (interval: number, f: () => void) => unknown;
    clearInterval: (id: unknown) => void;
  };
}
