/**
 * A real Temporal cluster on this machine: the Temporal server (built from its Go module) with
 * several history shards, persistence and SQL visibility on PostgreSQL, certflow's dynamic
 * config (deploy/temporal/dynamicconfig.yaml), the namespace and search attributes registered.
 * What the dev server (one shard, SQLite) cannot show: the production topology's behaviour.
 */
import { execFile } from 'node:child_process';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import YAML from 'yaml';
import { DYNAMIC_CONFIG_FILE, stopChild } from './dev-server';
import { locateTemporalCli } from './locator';
import { freeLowPort, freePort, waitUntil } from './ports';
import { startPostgres } from './postgres';
import type { Progress } from './progress';
import { ensureTemporalServer, TEMPORAL_SERVER_VERSION } from './server-build';

const run = promisify(execFile);

export const DEFAULT_SHARDS = 4;

export interface ClusterOptions {
  /** Holds PostgreSQL's data, the server's config and logs; kept across runs (a restart keeps every order). */
  dataDir: string;
  /** Frontend gRPC port (default a free one). */
  port?: number;
  shards?: number;
  namespace?: string;
  progress: Progress;
}

export interface RunningCluster {
  address: string;
  namespace: string;
  shards: number;
  postgres: string;
  /** PostgreSQL's postmaster. */
  postgresPid?: number;
  serverVersion: string;
  /** The server process: tests kill it and call restart(). */
  process: ChildProcess;
  /** Starts the server again on the same ports and data (after a crash or a kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

interface Ports {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  postgres: number;
}

/** The server's static configuration (config/<env>.yaml); the same shape docker-compose's server reads. */
export function serverConfig(o: { ports: Ports; shards: number; postgres: { host: string; port: number; user: string }; dynamicConfigFile: string }): Record<string, unknown> {
  const store = (databaseName: string, maxConns: number) => ({
    sql: { pluginName: 'postgres12', databaseName, connectAddr: `${o.postgres.host}:${o.postgres.port}`, connectProtocol: 'tcp', user: o.postgres.user, password: '', maxConns, maxIdleConns: maxConns, maxConnLifetime: '1h' },
  });
  const service = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({ rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra } });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: o.shards,
      datastores: { 'postgres-default': store('temporal', 20), 'postgres-visibility': store('temporal_visibility', 10) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: service(o.ports.frontend, o.ports.frontendMembership, { httpPort: o.ports.frontendHttp }),
      history: service(o.ports.history, o.ports.historyMembership),
      matching: service(o.ports.matching, o.ports.matchingMembership),
      worker: service(o.ports.worker, o.ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${o.ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: o.dynamicConfigFile, pollInterval: '10s' },
  };
}

async function portsFor(dataDir: string, frontend?: number): Promise<Ports> {
  // Kept with the data: the cluster metadata records the frontend address. Membership ports
  // are stored as smallint by the SQL persistence: below 32768.
  const file = path.join(dataDir, 'ports.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Ports;
  const ports: Ports = {
    frontend: frontend ?? (await freePort()),
    frontendHttp: await freePort(),
    frontendMembership: await freeLowPort(),
    history: await freePort(),
    historyMembership: await freeLowPort(),
    matching: await freePort(),
    matchingMembership: await freeLowPort(),
    worker: await freePort(),
    workerMembership: await freeLowPort(),
    postgres: await freePort(),
  };
  fs.writeFileSync(file, JSON.stringify(ports, null, 2));
  return ports;
}

export const DEPLOY_DIR = path.resolve(__dirname, '../../deploy/temporal');
/** The scripts compose's admin-tools jobs run too (docker-compose.yml: temporal-schema, temporal-setup). */
export const SCHEMA_SCRIPT = 'setup-schema.sh';
export const NAMESPACE_SCRIPT = 'create-namespace.sh';

/** A deploy/temporal script, as compose's admin-tools jobs run it, with our binaries first on PATH. */
async function runScript(script: string, binDirs: string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await run('sh', [path.join(DEPLOY_DIR, script)], { env: { ...process.env, PATH: [...binDirs, process.env.PATH ?? ''].join(path.delimiter), ...env } });
  return stdout;
}

export async function startCluster(o: ClusterOptions): Promise<RunningCluster> {
  const progress = o.progress;
  const namespace = o.namespace ?? 'default';
  const shards = o.shards ?? DEFAULT_SHARDS;
  fs.mkdirSync(o.dataDir, { recursive: true });
  const shardsFile = path.join(o.dataDir, 'shards');
  // The shard count is fixed when the cluster is first set up.
  if (fs.existsSync(shardsFile) && Number(fs.readFileSync(shardsFile, 'utf8')) !== shards) {
    throw new Error(`${o.dataDir} was set up with ${fs.readFileSync(shardsFile, 'utf8').trim()} history shards, not ${shards}: a cluster's shard count cannot change; use another data directory`);
  }
  const [build, cli] = await Promise.all([ensureTemporalServer(progress), locateTemporalCli({ progress })]);
  const ports = await portsFor(o.dataDir, o.port);
  progress(`PostgreSQL on 127.0.0.1:${ports.postgres} (data: ${path.join(o.dataDir, 'postgres')})`);
  const pg = await startPostgres({ dir: path.join(o.dataDir, 'postgres'), port: ports.postgres, log: path.join(o.dataDir, 'postgres.log') });
  progress(pg.version);
  let server: ChildProcess | undefined;
  try {
    // The same scripts compose runs in its admin-tools jobs (deploy/temporal/).
    progress(`schemas: deploy/temporal/${SCHEMA_SCRIPT}`);
    await runScript(SCHEMA_SCRIPT, [path.dirname(build.sqlTool)], { POSTGRES_SEEDS: pg.host, DB_PORT: String(pg.port), POSTGRES_USER: pg.user, SCHEMA_DIR: build.postgresSchemas });
    fs.writeFileSync(shardsFile, String(shards));
    const configDir = path.join(o.dataDir, 'config');
    fs.mkdirSync(configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, 'cluster.yaml'), YAML.stringify(serverConfig({ ports, shards, postgres: pg, dynamicConfigFile: DYNAMIC_CONFIG_FILE })));
    const address = `127.0.0.1:${ports.frontend}`;
    const log = path.join(o.dataDir, 'temporal.log');

    const launch = async (): Promise<ChildProcess> => {
      progress(`Temporal server ${TEMPORAL_SERVER_VERSION} on ${address}: ${shards} history shards, persistence and visibility on PostgreSQL (log: ${log})`);
      const out = fs.openSync(log, 'a');
      const child = spawn(build.server, ['--root', o.dataDir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'], { stdio: ['ignore', out, out] });
      fs.closeSync(out);
      let exited = false;
      child.once('exit', () => (exited = true));
      await waitUntil(`Temporal server on ${address}`, () => frontendServing(address), { timeoutMs: 120_000, intervalMs: 500, isAlive: () => !exited });
      return child;
    };
    server = await launch();
    progress(`namespace and search attributes: deploy/temporal/${NAMESPACE_SCRIPT}`);
    await runScript(NAMESPACE_SCRIPT, [path.dirname(cli.path)], { TEMPORAL_ADDRESS: address, NAMESPACE: namespace });
    await namespaceServing(address, namespace);

    const cluster: RunningCluster = {
      address,
      namespace,
      shards,
      postgres: pg.version,
      postgresPid: pg.pid(),
      serverVersion: TEMPORAL_SERVER_VERSION,
      process: server,
      restart: async () => {
        if (cluster.process.exitCode === null && cluster.process.signalCode === null) await stopChild(cluster.process);
        cluster.process = await launch();
      },
      stop: async () => {
        await stopChild(cluster.process);
        await pg.stop();
      },
    };
    return cluster;
  } catch (err) {
    if (server) await stopChild(server);
    await pg.stop();
    throw err;
  }
}

async function frontendServing(address: string): Promise<boolean> {
  const conn = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await conn.workflowService.getSystemInfo({});
    return true;
  } finally {
    await conn.close();
  }
}

/** The namespace and certflow's search attributes (idempotent: an existing one is kept). */
/** A new namespace reaches every frontend's cache on its refresh. */
async function namespaceServing(address: string, namespace: string): Promise<void> {
  await waitUntil(`namespace ${namespace}`, async () => {
    const conn = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await conn.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      return true;
    } finally {
      await conn.close();
    }
  }, { timeoutMs: 60_000, intervalMs: 500 });
}
