import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLIENT = new URL('../src/client/', import.meta.url).pathname;

/** Every API that turns a string into markup or script. The client uses none of them. */
const SINKS = [
  /\.innerHTML\b/,
  /\.outerHTML\b/,
  /insertAdjacentHTML/,
  /document\.write/,
  /DOMParser/,
  /createContextualFragment/,
  /\bsrcdoc\b/,
  /setHTMLUnsafe|parseHTMLUnsafe/,
  /\beval\s*\(/,
  /new Function\s*\(/,
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('safe by construction', () => {
  it('has no HTML or script sinks anywhere in the client source', () => {
    const files = sources(CLIENT);
    expect(files.length).toBeGreaterThan(10);
    const hits = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (SINKS.some((sink) => sink.test(line)) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });
});
