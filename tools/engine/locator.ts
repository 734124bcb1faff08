import path from 'node:path';
import { cacheRoot } from './cache';
import { goInstallCached, isExecutable, onPath } from './go-install';
import { type Progress, stderrProgress } from './progress';

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

function buildWithGo(progress: Progress): Promise<void> {
  return goInstallCached({
    dir: cachedCliDir(),
    packages: [`${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`],
    done: () => isExecutable(cachedCliPath()),
    what: `the Temporal CLI ${TEMPORAL_CLI_VERSION}`,
    progress,
    fail: (detail) => new EngineNotFoundError(detail),
  });
}
