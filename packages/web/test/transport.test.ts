import { describe, expect, it } from 'vitest';
import { FALLBACK_AFTER_FAILURES, heartbeatFrom, TransportSelector, transportChoiceFrom } from '../src/client/realtime/transport.js';

describe('transportChoiceFrom', () => {
  it('reads ?transport= and defaults to auto', () => {
    expect(transportChoiceFrom('?transport=sockjs')).toBe('sockjs');
    expect(transportChoiceFrom('?a=1&transport=websocket')).toBe('websocket');
    expect(transportChoiceFrom('')).toBe('auto');
    expect(transportChoiceFrom('?transport=carrier-pigeon')).toBe('auto');
  });
});

describe('heartbeatFrom', () => {
  it('reads ?heartbeat=<ms> within 1000..60000, otherwise leaves the default', () => {
    expect(heartbeatFrom('?heartbeat=2000')).toBe(2000);
    expect(heartbeatFrom('')).toBeUndefined();
    expect(heartbeatFrom('?heartbeat=10')).toBeUndefined();
    expect(heartbeatFrom('?heartbeat=1e9')).toBeUndefined();
    expect(heartbeatFrom('?heartbeat=1.5')).toBeUndefined();
  });
});

describe('TransportSelector', () => {
  it('uses SockJS when forced or when the browser has no WebSocket', () => {
    expect(new TransportSelector('sockjs', true).current()).toBe('sockjs');
    expect(new TransportSelector('auto', false).current()).toBe('sockjs');
    expect(new TransportSelector('auto', true).current()).toBe('websocket');
  });

  it('falls back to SockJS when native WebSocket never opens while online', () => {
    const s = new TransportSelector('auto', true);
    for (let i = 1; i < FALLBACK_AFTER_FAILURES; i++) {
      s.record('websocket', false, true);
      expect(s.current()).toBe('websocket');
    }
    s.record('websocket', false, true);
    expect(s.current()).toBe('sockjs');
    s.record('sockjs', true, true);
    expect(s.current()).toBe('sockjs');
  });

  it('does not fall back for failures while offline, or once WebSocket has worked', () => {
    const offline = new TransportSelector('auto', true);
    for (let i = 0; i < 10; i++) offline.record('websocket', false, false);
    expect(offline.current()).toBe('websocket');

    const worked = new TransportSelector('auto', true);
    worked.record('websocket', true, true);
    for (let i = 0; i < 10; i++) worked.record('websocket', false, true);
    expect(worked.current()).toBe('websocket');
  });

  it('never falls back when WebSocket is forced', () => {
    const s = new TransportSelector('websocket', true);
    for (let i = 0; i < 10; i++) s.record('websocket', false, true);
    expect(s.current()).toBe('websocket');
  });
});
