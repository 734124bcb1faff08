import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cacheRoot } from './cache';
import { heartbeat, type Progress, stderrProgress } from './progress';

/**
 * v1.5.1 is the newest Temporal CLI release whose go.mod has no `replace` directive, which
 * `go install pkg@version` refuses. It embeds Temporal server 1.29.1 and the Web UI.
 */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export type CliSource = 'env' | 'path' | 'cache' | 'built';
export interface LocatedCli {
  path: string;
  source: CliSource;
}

export class EngineNotFoundError extends Error {
  constructor(detail: string) {
    super(
      `The Temporal CLI (which runs the Temporal dev server) was not found and could not be built: ${detail}\n` +
        'Get it in any of these ways, then run again:\n' +
        '  - set TEMPORAL_CLI=/path/to/temporal (an existing binary)\n' +
        '  - install it with a package manager (e.g. `brew install temporal`) so `temporal` is on PATH\n' +
        '  - unpack a release archive of the Temporal CLI and put `temporal` on PATH\n' +
        `  - install Go >= 1.23 and let certflow build it once: go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`,
    );
    this.name = 'EngineNotFoundError';
  }
}

export const cachedCliDir = (): string => path.join(cacheRoot(), 'temporal-cli', TEMPORAL_CLI_VERSION);
export const cachedCliPath = (): string => path.join(cachedCliDir(), process.platform === 'win32' ? 'temporal.exe' : 'temporal');

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Finds the CLI: $TEMPORAL_CLI, `temporal` on PATH, the per-user cache; else builds it with Go. */
export async function locateTemporalCli(opts: { build?: boolean; progress?: Progress } = {}): Promise<LocatedCli> {
  const progress = opts.progress ?? stderrProgress;
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new EngineNotFoundError(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return { path: fromEnv, source: 'env' };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { path: fromPath, source: 'path' };
  if (isExecutable(cachedCliPath())) return { path: cachedCliPath(), source: 'cache' };
  if (opts.build === false) throw new EngineNotFoundError('no cached build and building was not allowed');
  await buildWithGo(progress);
  return { path: cachedCliPath(), source: 'built' };
}

async function buildWithGo(progress: Progress): Promise<void> {
  const go = onPath('go');
  if (!go) throw new EngineNotFoundError('`go` is not on PATH');
  const dir = cachedCliDir();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  // Two processes may start at once (npm start and a test run): one builds, the other waits.
  const lock = `${dir}.lock`;
  const release = await acquireLock(lock, progress);
  try {
    if (isExecutable(cachedCliPath())) return;
    fs.mkdirSync(dir, { recursive: true });
    const goVersion = spawnSync(go, ['version'], { encoding: 'utf8' }).stdout.trim();
    progress(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} with ${goVersion} (once; cached in ${dir}). This takes a few minutes on a first start.`);
    const stop = heartbeat(progress, 'building the Temporal CLI');
    try {
      await new Promise<void>((resolve, reject) => {
        const child = spawn(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
          env: { ...process.env, GOBIN: dir, GOFLAGS: '-mod=mod', GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local' },
          stdio: ['ignore', 'inherit', 'pipe'],
        });
        let tail = '';
        let downloads = 0;
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => {
          tail = (tail + chunk).slice(-4000);
          downloads += (chunk.match(/go: downloading/g) ?? []).length;
          if (downloads > 0 && downloads % 25 === 0) progress(`building the Temporal CLI: ${downloads} modules downloaded`);
        });
        child.on('error', reject);
        child.on('exit', (code) =>
          code === 0 ? resolve() : reject(new EngineNotFoundError(`go install exited with ${code}:\n${tail}`)),
        );
      });
    } finally {
      stop();
    }
    progress(`built ${cachedCliPath()}`);
  } finally {
    release();
  }
}

async function acquireLock(lock: string, progress: Progress): Promise<() => void> {
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      return () => fs.rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than 30 minutes belongs to a build that died.
      if (Date.now() - fs.statSync(lock).mtimeMs > 30 * 60_000) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!announced) progress(`another process is building the engine (${lock}); waiting`);
      announced = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}
