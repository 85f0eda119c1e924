import { describe, expect, it } from 'vitest';
import { readSendBody, readSendText } from '../src/stomp/send-body.js';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('SEND bodies with attachments', () => {
  it('reads attachment ids with or without text, as JSON with or without a content-type', () => {
    for (const type of ['application/json', undefined]) {
      expect(readSendBody(body({ text: 'hi', attachments: ['a'] }), type)).toEqual({ text: 'hi', attachments: ['a'] });
      expect(readSendBody(body({ attachments: ['a', 'b'] }), type)).toEqual({ text: '', attachments: ['a', 'b'] });
      expect(readSendBody(body({ text: 'plain' }), type)).toBe('plain');
    }
  });

  it('passes the attachment value on as given (ChatService validates it) but refuses a non-string text', () => {
    expect(readSendBody(body({ attachments: 'x' }), 'application/json')).toEqual({ text: '', attachments: 'x' });
    expect(() => readSendBody(body({ text: 5, attachments: [] }), 'application/json')).toThrow(/JSON object/);
  });

  it('plain text that looks like JSON with attachments stays text under text/plain', () => {
    const raw = JSON.stringify({ attachments: ['a'] });
    expect(readSendBody(Buffer.from(raw), 'text/plain')).toBe(raw);
  });

  it('readSendText (the batched path) refuses attachments, so such SENDs take the ordinary path', () => {
    expect(() => readSendText(body({ attachments: ['a'] }), 'application/json')).toThrow(/attachments/);
  });
});
