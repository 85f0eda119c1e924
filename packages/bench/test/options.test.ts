import { describe, expect, it } from 'vitest';
import { defaultLoadWorkers } from '../src/load/pool.js';
import { parseOptions } from '../src/options.js';

const parse = (...argv: string[]) => parseOptions(argv, {}, '/tmp/out');

describe('bench options: load workers, source addresses, target URL', () => {
  it('defaults to defaultLoadWorkers() and accepts 0 (main thread only)', () => {
    expect(parse().loadWorkers).toBe(defaultLoadWorkers());
    const zero = parse('--load-workers', '0');
    expect([zero.loadWorkers, zero.fanout.loadWorkers, zero.manyRooms.loadWorkers, zero.idle.loadWorkers]).toEqual([0, 0, 0, 0]);
    expect(() => parse('--load-workers=-1')).toThrow(/--load-workers must be an integer 0..64/);
    expect(() => parse('--load-workers', '1.5')).toThrow(/--load-workers/);
  });

  it('spreads idle connections over one loopback address per 25,000 unless told', () => {
    expect(parse().idle.localAddresses).toEqual([]);
    expect(parse('--idle-connections', '100000').idle.localAddresses).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']);
    expect(parse('--idle-connections', '3000', '--source-addresses', '3').idle.localAddresses).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(() => parse('--source-addresses', '300')).toThrow(/1\.\.254/);
  });

  it('--target-url: http(s) only, chorus only, and only the scenarios a deployment can run', () => {
    const o = parse('--target-url', 'http://127.0.0.1:3000/');
    expect(o.targetUrl).toBe('http://127.0.0.1:3000');
    expect(o.targets).toEqual(['chorus']);
    expect(o.scenarios).toEqual(['fanout', 'many-rooms', 'idle', 'connect-storm']);
    expect(() => parse('--target-url', 'ftp://x')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => parse('--target-url', 'not a url')).toThrow(/must be an http\(s\) URL/);
    expect(() => parse('--target-url', 'http://127.0.0.1:3000', '--scenarios', 'persistence')).toThrow(/unknown scenario "persistence"/);
    expect(() => parse('--target-url', 'http://127.0.0.1:3000', '--targets', 'socket.io')).toThrow(/--targets must be chorus/);
  });

  it('--rounds: many-rooms rounds, 3 by default, 1 in a quick run, a small whole number', () => {
    expect(parse().manyRooms.rounds).toBe(3);
    expect(parse('--quick').manyRooms.rounds).toBe(1);
    expect(parse('--rounds', '5').manyRooms.rounds).toBe(5);
    expect(() => parse('--rounds', '2.5')).toThrow(/--rounds must be an integer 1..9/);
    expect(() => parse('--rounds', '0')).toThrow(/--rounds must be a positive number/);
    expect(() => parse('--rounds', '10')).toThrow(/--rounds must be an integer 1..9/);
  });
});
