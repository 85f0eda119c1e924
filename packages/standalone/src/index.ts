export { startChorus, type RunningChorus, type StartOptions } from './start.js';
