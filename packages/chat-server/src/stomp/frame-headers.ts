import { ChorusError } from '@chorus/core';
import type { StompFrame } from '../protocol/codec/index.js';

export function requireHeader(frame: StompFrame, name: string): string {
  const value = frame.headers.get(name);
  if (value === undefined || value === '') throw new ChorusError('bad_request', `${frame.command} requires a ${name} header`);
  return value;
}
