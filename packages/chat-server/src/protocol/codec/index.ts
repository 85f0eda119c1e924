export * from './frame.js';
export * from './limits.js';
export * from './errors.js';
export * from './escape.js';
export * from './parser.js';
export * from './encoder.js';
export * from './message-frame.js';
