export * from './destinations.js';
export * from './wire.js';
