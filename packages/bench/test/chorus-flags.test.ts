import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CHORUS_NODE_FLAGS } from '../src/targets/chorus.js';

describe('the Chorus server under test', () => {
  it('starts with the node flags `pnpm start` uses', async () => {
    const root = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
    expect(root.scripts.start).toContain(`&& node ${CHORUS_NODE_FLAGS.join(' ')} packages/standalone/dist/main.js`);
  });
});
