import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface DockerfileIssue {
  line: number;
  rule: string;
  message: string;
}

interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

/** Instructions with continuation lines joined; comments and blank lines dropped. */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: Instruction | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending) {
      if (line.startsWith('#')) return;
      pending.args += ' ' + line.replace(/\\$/, '').trim();
      if (!line.endsWith('\\')) {
        out.push(pending);
        pending = undefined;
      }
      return;
    }
    const match = /^(\w+)\s*(.*)$/.exec(line);
    if (!match) return;
    const instruction = { line: index + 1, keyword: match[1]!.toUpperCase(), args: match[2]!.replace(/\\$/, '').trim() };
    if (line.endsWith('\\')) pending = instruction;
    else out.push(instruction);
  });
  return out;
}

/**
 * The rules that matter for Chorus's image, checked here because hadolint is not packaged
 * for npm or Debian: every base image pinned (a tag, not latest, ARG defaults resolved), no
 * ADD of URLs, the final stage runs as a non-root USER, and CMD/ENTRYPOINT in exec form so
 * SIGTERM reaches node directly.
 */
export function chorusDockerfileIssues(text: string): DockerfileIssue[] {
  const issues: DockerfileIssue[] = [];
  const all = instructions(text);
  const args = new Map<string, string>();
  const stages: string[] = [];
  let finalStage: Instruction[] = [];
  for (const ins of all) {
    if (ins.keyword === 'ARG') {
      const [name, value] = ins.args.split('=', 2);
      if (name && value !== undefined) args.set(name.trim(), value.trim());
    }
    if (ins.keyword === 'FROM') {
      finalStage = [];
      const [image = '', , alias] = ins.args.split(/\s+/).filter((part) => !part.startsWith('--'));
      const resolved = image.replace(/\$\{?(\w+)\}?/g, (_m, name: string) => args.get(name) ?? `<unset ${name}>`);
      const earlierStage = stages.includes(resolved);
      if (alias) stages.push(alias);
      if (resolved.includes('<unset')) issues.push({ line: ins.line, rule: 'pinned-base-image', message: `FROM ${image}: an ARG without a default` });
      else if (!earlierStage && resolved !== 'scratch') {
        const tag = /^[^@]+?(?::([^/:@]+))?(?:@sha256:[0-9a-f]{64})?$/.exec(resolved)?.[1];
        const digest = resolved.includes('@sha256:');
        if (!digest && (!tag || tag === 'latest')) issues.push({ line: ins.line, rule: 'pinned-base-image', message: `FROM ${resolved}: pin a tag (not latest) or a digest` });
      }
    }
    finalStage.push(ins);
    if (ins.keyword === 'ADD' && /(^|\s)(https?|ftp):\/\//i.test(ins.args)) {
      issues.push({ line: ins.line, rule: 'no-add-url', message: 'ADD of a URL: download in a RUN step and verify a checksum, or COPY' });
    }
  }
  const users = finalStage.filter((i) => i.keyword === 'USER');
  const user = users.at(-1)?.args.split(':')[0];
  if (!user || user === 'root' || user === '0') issues.push({ line: users.at(-1)?.line ?? 0, rule: 'non-root-user', message: 'the final stage must switch to a non-root USER' });
  for (const ins of finalStage.filter((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT')) {
    if (!ins.args.startsWith('[')) issues.push({ line: ins.line, rule: 'exec-form', message: `${ins.keyword} in shell form: signals go to /bin/sh, not node` });
  }
  if (!finalStage.some((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT')) issues.push({ line: 0, rule: 'exec-form', message: 'no CMD or ENTRYPOINT in the final stage' });
  return issues;
}

/** Findings of the two Dockerfile linters published on npm, dockerfilelint and dockerfile-utils. */
export function npmLinterIssues(text: string, dir: string): DockerfileIssue[] {
  const dockerfilelint = require('dockerfilelint') as { run(dir: string, content: string): { line: number; rule: string; title: string }[] };
  const dockerfileUtils = require('dockerfile-utils') as { validate(content: string): { range: { start: { line: number } }; message: string; code?: unknown }[] };
  return [
    ...dockerfilelint.run(dir, text).map((d) => ({ line: d.line, rule: `dockerfilelint/${d.rule}`, message: d.title })),
    ...dockerfileUtils.validate(text).map((d) => ({ line: d.range.start.line + 1, rule: `dockerfile-utils/${String(d.code ?? '')}`, message: d.message })),
  ];
}
