import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { heartbeat, type Progress } from './progress';

/** The first executable `name` on PATH. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * `go install <packages>` into `dir` (GOBIN), once per user: a lock lets a second process
 * (npm start beside a test run) wait for the first's build; progress lines and a heartbeat
 * show the build is alive. `fail` turns a missing Go or a failed build into the caller's error.
 */
export async function goInstallCached(o: {
  dir: string;
  packages: string[];
  /** Present in `dir` when the build is done. */
  done: () => boolean;
  what: string;
  progress: Progress;
  fail: (detail: string) => Error;
}): Promise<void> {
  const go = onPath('go');
  if (!go) throw o.fail('`go` is not on PATH');
  fs.mkdirSync(path.dirname(o.dir), { recursive: true });
  const release = await acquireLock(`${o.dir}.lock`, o.progress);
  try {
    if (o.done()) return;
    fs.mkdirSync(o.dir, { recursive: true });
    const goVersion = spawnSync(go, ['version'], { encoding: 'utf8' }).stdout.trim();
    o.progress(`building ${o.what} with ${goVersion} (once; cached in ${o.dir}). This takes a few minutes.`);
    const stop = heartbeat(o.progress, `building ${o.what}`);
    try {
      await new Promise<void>((resolve, reject) => {
        const child = spawn(go, ['install', ...o.packages], {
          env: { ...process.env, GOBIN: o.dir, GOFLAGS: '-mod=mod', GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local' },
          stdio: ['ignore', 'inherit', 'pipe'],
        });
        let tail = '';
        let downloads = 0;
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => {
          tail = (tail + chunk).slice(-4000);
          const before = downloads;
          downloads += (chunk.match(/go: downloading/g) ?? []).length;
          if (Math.floor(downloads / 25) > Math.floor(before / 25)) o.progress(`building ${o.what}: ${downloads} modules downloaded`);
        });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(o.fail(`go install exited with ${code}:\n${tail}`))));
      });
    } finally {
      stop();
    }
    o.progress(`built ${o.what} in ${o.dir}`);
  } finally {
    release();
  }
}

/** Where `go` keeps downloaded module sources (a module's non-Go files, e.g. SQL schemas, live there). */
export function goModCache(): string {
  const go = onPath('go');
  if (!go) throw new Error('`go` is not on PATH');
  return spawnSync(go, ['env', 'GOMODCACHE'], { encoding: 'utf8' }).stdout.trim();
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
      if (!announced) progress(`another process is building (${lock}); waiting`);
      announced = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}
