import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { displayText, typingText } from '../src/client/ui/format.js';

const UI = new URL('../src/client/ui/', import.meta.url).pathname;

describe('bidirectional controls in user text', () => {
  it('are dropped from what is displayed, whatever their kind', () => {
    const controls = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
    for (const c of controls) expect(displayText(`abc${c}def`)).toBe('abcdef');
    // Right-to-left text itself is kept.
    expect(displayText('שלום \u202Egnp.exe')).toBe('שלום gnp.exe');
    expect(typingText(['\u202Eevil'])).toBe('evil is typing…');
  });

  it('every name and room name is rendered through userText (isolated), message text with dir=auto', () => {
    const sources = ['message-list.ts', 'chat-view.ts', 'sidebar-view.ts', '../app.ts'].map((file) => readFileSync(`${UI}${file}`, 'utf8'));
    const all = sources.join('\n');
    // No raw name, room name or message text goes straight into an element.
    expect(all).not.toMatch(/,\s*(?:room\.name|roomName|message\.sender\.username|u\.username|user\.username|message\.text)\s*\)/);
    expect(all).toMatch(/userText\(message\.sender\.username\)/);
    expect(all).toMatch(/userText\(room\.name\)/);
    // Message text: dir=auto, through displayText (mention highlighting splits the displayed text).
    expect(all).toMatch(/attrs: \{ dir: 'auto' \} \}, (?:\.\.\.withMentions\()?displayText\(message\.text\)/);
  });
});
