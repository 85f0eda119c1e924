import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const srcDir = join(repoRoot, 'packages/chat-server/src');
const eslint = new ESLint({ cwd: repoRoot });

/** The layer rule's messages for `code` planted at `file` (relative to chat-server/src). */
async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(srcDir, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('chat-server layers (gateway → stomp → fanout → protocol)', () => {
  it('lint refuses an import against the order, in every layer', async () => {
    const planted: [string, string][] = [
      ['fanout/planted.ts', "import { StompSession } from '../stomp/session.js';\nexport const s = StompSession;\n"],
      ['presence/planted.ts', "import type { Transport } from '../stomp/transport.js';\nexport type T = Transport;\n"],
      ['stomp/planted.ts', "export { ChatGateway } from '../gateway/chat-gateway.js';\n"],
      ['protocol/codec/planted.ts', "import type { RoomHub } from '../../fanout/room-hub.js';\nexport type H = RoomHub;\n"],
      ['util/planted.ts', "import { CloseCodes } from '../protocol/close-codes.js';\nexport const c = CloseCodes;\n"],
    ];
    for (const [file, code] of planted) {
      const errors = await layerErrors(file, code);
      expect(errors, file).toHaveLength(1);
      expect(errors[0]).toMatch(/layers point one way/);
    }
  });

  it('lint accepts imports along the order', async () => {
    expect(await layerErrors('stomp/planted.ts', "import { RoomHub } from '../fanout/room-hub.js';\nexport const h = RoomHub;\n")).toEqual([]);
    expect(await layerErrors('fanout/planted.ts', "import { encodeFrame } from '../protocol/codec/index.js';\nexport const e = encodeFrame;\n")).toEqual([]);
    expect(await layerErrors('protocol/codec/planted.ts', "import { encodeFrame } from './encoder.js';\nexport const e = encodeFrame;\n")).toEqual([]);
  });

  it('has no import cycle between source files', () => {
    const graph = new Map<string, string[]>();
    for (const file of sourceFiles(srcDir)) {
      const targets = [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^;]*?from '(\.[^']+)\.js';/gms)].map((m) =>
        resolve(dirname(file), `${m[1]}.ts`),
      );
      graph.set(file, targets);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(srcDir, f)).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(graph.size).toBeGreaterThan(20);
    expect(cycles).toEqual([]);
  });
});
