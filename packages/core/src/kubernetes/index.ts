export * from './in-cluster.js';
export * from './pod-deletion-cost.js';
export * from './lease-elector.js';
