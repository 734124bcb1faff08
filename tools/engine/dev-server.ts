import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import YAML from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { waitUntil } from './ports';

export interface DevServerOptions {
  cliPath: string;
  host?: string;
  port: number;
  uiPort?: number;
  /** The Web UI decodes payloads through this codec endpoint (certflow's `/codec`). */
  uiCodecEndpoint?: string;
  /** Persist to this SQLite file; in memory when absent. */
  dbFile?: string;
  namespace?: string;
  headless?: boolean;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Where the server's own output goes; inherited when absent. */
  logFile?: string;
  extraDynamicConfig?: Record<string, string>;
  /** SQLite pragmas of the file database (default SQLITE_PRAGMAS; the benchmark compares others). */
  sqlitePragmas?: readonly string[];
}

export interface RunningDevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The dev server runs one history shard and writes through one SQLite connection; WAL with
 * synchronous=NORMAL keeps durability across process crashes (not power loss) and removes
 * most of the fsync cost, which is where a busy dev server spends its time.
 */
export const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal', 'busy_timeout=10000'];

/** certflow's dynamic config (deploy/temporal/dynamicconfig.yaml), shared with the cluster and compose. */
export const DYNAMIC_CONFIG_FILE = path.resolve(__dirname, '../../deploy/temporal/dynamicconfig.yaml');

/** The file's keys as the dev server's `--dynamic-config-value key=<JSON value>` flags (constrained values are not supported there). */
export function dynamicConfigValues(file = DYNAMIC_CONFIG_FILE): Record<string, string> {
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as Record<string, { value: unknown; constraints?: unknown }[]>;
  return Object.fromEntries(
    Object.entries(doc).map(([key, entries]) => {
      if (entries.length !== 1 || entries[0]!.constraints !== undefined) throw new Error(`${file}: ${key} has constrained values, which the dev server's flags cannot express`);
      return [key, JSON.stringify(entries[0]!.value)];
    }),
  );
}

export function devServerArgs(o: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', o.host ?? '127.0.0.1', '--port', String(o.port), '--namespace', o.namespace ?? 'default', '--log-level', o.logLevel ?? 'warn'];
  if (o.headless || o.uiPort === undefined) args.push('--headless');
  else {
    args.push('--ui-port', String(o.uiPort));
    if (o.uiCodecEndpoint) args.push('--ui-codec-endpoint', o.uiCodecEndpoint);
  }
  if (o.dbFile) {
    args.push('--db-filename', o.dbFile);
    for (const p of o.sqlitePragmas ?? SQLITE_PRAGMAS) args.push('--sqlite-pragma', p);
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [k, v] of Object.entries({ ...dynamicConfigValues(), ...o.extraDynamicConfig })) args.push('--dynamic-config-value', `${k}=${v}`);
  return args;
}

export async function startDevServer(o: DevServerOptions): Promise<RunningDevServer> {
  if (o.dbFile) fs.mkdirSync(path.dirname(o.dbFile), { recursive: true });
  const out = o.logFile ? fs.openSync(o.logFile, 'a') : 'inherit';
  const child = spawn(o.cliPath, devServerArgs(o), { stdio: ['ignore', out, out] });
  let exited = false;
  child.once('exit', () => (exited = true));
  const address = `${o.host ?? '127.0.0.1'}:${o.port}`;
  await waitUntil(
    `Temporal dev server on ${address}`,
    async () => {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.describeNamespace({ namespace: o.namespace ?? 'default' });
        return true;
      } finally {
        await conn.close();
      }
    },
    { timeoutMs: 90_000, intervalMs: 200, isAlive: () => !exited },
  );
  return {
    address,
    uiUrl: o.uiPort && !o.headless ? `http://localhost:${o.uiPort}` : undefined,
    process: child,
    stop: () => stopChild(child),
  };
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
