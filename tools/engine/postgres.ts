/**
 * A PostgreSQL instance of our own from the distribution's binaries (`.ci/run` installs the
 * `postgresql` package when missing): its own data directory and port, trust authentication
 * on loopback only. PostgreSQL refuses to run as root; as root we run it as `postgres`.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { isExecutable, onPath } from './go-install';

const run = promisify(execFile);

export interface RunningPostgres {
  host: string;
  port: number;
  user: string;
  version: string;
  /** The postmaster's pid (its backends are its children). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

/** PG_BIN, else the newest /usr/lib/postgresql/<major>/bin, else initdb's directory on PATH. */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PG_BIN) return env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => isExecutable(path.join(root, d, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (majors[0]) return path.join(root, majors[0], 'bin');
  const initdb = onPath('initdb');
  if (initdb) return path.dirname(initdb);
  throw new Error('PostgreSQL not found: install the distribution package (apt-get install postgresql) or set PG_BIN to the directory of initdb and pg_ctl');
}

/** As root: the command run as `postgres` (the package's user), who must own the data directory. */
function asServiceUser(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, args];
  return ['runuser', ['-u', 'postgres', '--', cmd, ...args]];
}

export async function startPostgres(o: { dir: string; port: number; user?: string; log: string }): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const user = o.user ?? 'temporal';
  fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() === 0) {
    // `postgres` must reach its directory: private ancestors (mkdtemp makes 0700) get o+x
    // (search only, not listing).
    for (let dir = path.dirname(o.dir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const mode = fs.statSync(dir).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
    }
    execFileSync('chown', ['-R', 'postgres:postgres', o.dir]);
    fs.closeSync(fs.openSync(o.log, 'a'));
    execFileSync('chown', ['postgres:postgres', o.log]);
  }
  if (!fs.existsSync(path.join(o.dir, 'PG_VERSION'))) {
    await run(...asServiceUser(path.join(bin, 'initdb'), ['-D', o.dir, '-U', user, '-A', 'trust', '-E', 'UTF8', '--locale=C']));
  }
  const options = `-p ${o.port} -k ${o.dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  await run(...asServiceUser(path.join(bin, 'pg_ctl'), ['-D', o.dir, '-l', o.log, '-o', options, '-w', '-t', '60', 'start']));
  const version = (await run(path.join(bin, 'postgres'), ['--version'])).stdout.trim();
  return {
    host: '127.0.0.1',
    port: o.port,
    user,
    version,
    pid: () => {
      try {
        return Number(fs.readFileSync(path.join(o.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      } catch {
        return undefined;
      }
    },
    stop: async () => {
      await run(...asServiceUser(path.join(bin, 'pg_ctl'), ['-D', o.dir, '-m', 'fast', '-w', 'stop'])).catch(() => undefined);
    },
  };
}
