import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { chorusDockerfileIssues, instructions, npmLinterIssues } from '../src/dockerfile.js';
import { paths, REPO_ROOT } from '../src/paths.js';

let dockerfile = '';
beforeAll(async () => {
  dockerfile = await readFile(paths.dockerfile, 'utf8');
});

describe('Dockerfile', () => {
  it('passes dockerfilelint and dockerfile-utils (the Dockerfile linters on npm)', () => {
    expect(npmLinterIssues(dockerfile, REPO_ROOT)).toEqual([]);
  });

  it('passes Chorus’s own rules: pinned base, no ADD URL, non-root user, exec-form command', () => {
    expect(chorusDockerfileIssues(dockerfile)).toEqual([]);
  });

  it('the linters and rules catch the mistakes they are for', () => {
    const bad = ['FROM node', 'ADD https://example.com/tool.tgz /tool.tgz', 'RUN apt-get install curl', 'CMD node main.js', ''].join('\n');
    expect(npmLinterIssues(bad, REPO_ROOT).map((i) => i.rule)).toEqual(expect.arrayContaining(['dockerfilelint/missing_tag', 'dockerfilelint/apt-get_missing_param']));
    expect(chorusDockerfileIssues(bad).map((i) => i.rule).sort()).toEqual(['exec-form', 'no-add-url', 'non-root-user', 'pinned-base-image']);
    expect(chorusDockerfileIssues('ARG V\nFROM node:${V}\nUSER node\nCMD ["node"]\n').map((i) => i.rule)).toEqual(['pinned-base-image']);
    expect(chorusDockerfileIssues('FROM node:latest\nUSER 0\nCMD ["node"]\n').map((i) => i.rule)).toEqual(['pinned-base-image', 'non-root-user']);
    expect(chorusDockerfileIssues('FROM node:26-slim AS a\nUSER node\nFROM a\nCMD ["node", "x.js"]\n').map((i) => i.rule)).toEqual(['non-root-user']);
  });

  it('runs the current Node LTS line in both stages, installs the repository’s pnpm, and ships production dependencies only', async () => {
    const all = instructions(dockerfile);
    const nodeVersion = all.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_VERSION='))!.args.split('=')[1]!;
    expect(Number(nodeVersion) % 2).toBe(0); // even major lines become LTS
    expect(Number(nodeVersion)).toBeGreaterThanOrEqual(24);
    expect(all.filter((i) => i.keyword === 'FROM').map((i) => i.args)).toEqual(['node:${NODE_VERSION}-trixie-slim AS build', 'node:${NODE_VERSION}-trixie-slim AS runtime']);
    const packageManager = (JSON.parse(await readFile(`${REPO_ROOT}package.json`, 'utf8')) as { packageManager: string }).packageManager;
    expect(dockerfile).toContain(`npm install --global ${packageManager}`);
    expect(all.some((i) => i.keyword === 'RUN' && /pnpm install --offline --frozen-lockfile --prod/.test(i.args))).toBe(true);
    const runtime = all.slice(all.findIndex((i) => i.args.endsWith('AS runtime')));
    expect(runtime.filter((i) => i.keyword === 'RUN')).toEqual([]); // nothing built or installed in the final stage
    expect(runtime.find((i) => i.keyword === 'USER')?.args).toBe('node');
    expect(runtime.find((i) => i.keyword === 'CMD')?.args).toBe('["node", "--min-semi-space-size=16", "packages/standalone/dist/main.js"]');
  });

  it('starts the standalone process with the node flags `pnpm start` uses, as the chat-server package starts alone', async () => {
    const startOf = async (dir: string) => (JSON.parse(await readFile(`${REPO_ROOT}${dir}package.json`, 'utf8')) as { scripts: { start: string } }).scripts.start;
    const cmd = JSON.parse(instructions(dockerfile).find((i) => i.keyword === 'CMD')!.args) as string[];
    expect(await startOf('')).toContain(`&& ${cmd.join(' ')}`);
    expect(await startOf('packages/chat-server/')).toBe(cmd.join(' ').replace('packages/standalone/', ''));
  });

  it('.dockerignore keeps dependencies, build outputs, git and local data out of the context', async () => {
    const ignored = (await readFile(paths.dockerignore, 'utf8')).split('\n').map((l) => l.trim());
    for (const entry of ['.git', '**/node_modules', '**/dist', '**/.turbo', 'data', '.env']) expect(ignored).toContain(entry);
  });
});
