/**
 * The Temporal server and its SQL schema tool, built from their Go module (pinned, the same
 * server version the CLI embeds) into the per-user cache, with the module's PostgreSQL schemas
 * copied beside them: `go install` leaves them only in the module cache, which may be cleaned.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cacheRoot } from './cache';
import { goInstallCached, goModCache, isExecutable } from './go-install';
import { type Progress, stderrProgress } from './progress';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';

export interface ServerBuild {
  /** The server (`temporal-server`; `go install` names it after its package: `server`). */
  server: string;
  /** `temporal-sql-tool` (a link to the package's binary `sql`, the name compose's scripts call). */
  sqlTool: string;
  /** schema/postgresql/v12 of the module: `temporal/versioned`, `visibility/versioned`. */
  postgresSchemas: string;
}

export class ServerBuildError extends Error {
  constructor(detail: string) {
    super(`The Temporal server ${TEMPORAL_SERVER_VERSION} could not be built: ${detail}\n` +
      `It is built once with Go (>= 1.24): go install ${TEMPORAL_SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION} ${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`);
    this.name = 'ServerBuildError';
  }
}

export function serverBuildDir(): string {
  return path.join(cacheRoot(), 'temporal-server', TEMPORAL_SERVER_VERSION);
}

function layout(dir: string): ServerBuild {
  return { server: path.join(dir, 'server'), sqlTool: path.join(dir, 'temporal-sql-tool'), postgresSchemas: path.join(dir, 'schema', 'postgresql', 'v12') };
}

const complete = (b: ServerBuild): boolean => isExecutable(b.server) && isExecutable(b.sqlTool) && fs.existsSync(path.join(b.postgresSchemas, 'visibility', 'versioned'));

export async function ensureTemporalServer(progress: Progress = stderrProgress): Promise<ServerBuild> {
  const dir = serverBuildDir();
  const build = layout(dir);
  if (complete(build)) return build;
  if (!isExecutable(build.server) || !isExecutable(path.join(dir, 'sql'))) await goInstallCached({
    dir,
    packages: [`${TEMPORAL_SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`],
    done: () => isExecutable(build.server) && isExecutable(path.join(dir, 'sql')),
    what: `the Temporal server ${TEMPORAL_SERVER_VERSION} and temporal-sql-tool`,
    progress,
    fail: (detail) => new ServerBuildError(detail),
  });
  if (!fs.existsSync(path.join(build.postgresSchemas, 'visibility', 'versioned'))) {
    const source = path.join(goModCache(), `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
    if (!fs.existsSync(source)) throw new ServerBuildError(`the module's schemas are not at ${source}`);
    fs.cpSync(source, build.postgresSchemas, { recursive: true });
    // The module cache is read-only; the copy need not be.
    fs.chmodSync(build.postgresSchemas, 0o755);
  }
  if (!isExecutable(build.sqlTool)) fs.symlinkSync('sql', build.sqlTool);
  return build;
}
