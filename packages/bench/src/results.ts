import type { TargetName } from './targets/target.js';

export type ScenarioName = 'fanout' | 'many-rooms' | 'idle' | 'connect-storm' | 'two-replicas' | 'persistence' | 'compression';
export const SCENARIO_NAMES: readonly ScenarioName[] = ['fanout', 'many-rooms', 'idle', 'connect-storm', 'two-replicas', 'persistence', 'compression'];

/** One row of the results table: a scenario run against one target (variant: e.g. "×2 replicas"). */
export interface ResultRow {
  scenario: ScenarioName;
  target: TargetName;
  variant?: string;
  /** Deliveries/s (fan-out: max sustained with p99 within the limit). */
  deliveriesPerSec?: number;
  /** End-to-end latency (ms) measured by the receiving clients. */
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  cpuMsPer1kDeliveries?: number;
  rssKbPerConn?: number;
  heapKbPerConn?: number;
  /** Scenario-specific figures (connections/s, stored messages/s, history p99…). */
  extra?: Record<string, number | string>;
  notes?: string[];
  /** Raw steps of a ramp, for the JSON file. */
  steps?: unknown[];
  error?: string;
}
