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
import { temporal } from '@temporalio/proto';
import YAML from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { DYNAMIC_CONFIG_FILE, stopChild } from './dev-server';
import { locateTemporalCli } from './locator';
import { freeLowPort, freePort, waitUntil } from './ports';
import { startPostgres, type RunningPostgres } from './postgres';
import type { Progress } from './progress';
import { ensureTemporalServer, type ServerBuild, TEMPORAL_SERVER_VERSION } from './server-build';

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

/** Databases and schemas, once per data directory: temporal-sql-tool's create, setup and update. */
async function setUpSchemas(build: ServerBuild, pg: RunningPostgres, dataDir: string, progress: Progress): Promise<void> {
  const marker = path.join(dataDir, `schema-${TEMPORAL_SERVER_VERSION}.done`);
  if (fs.existsSync(marker)) return;
  const base = ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user];
  for (const [db, dir] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']] as const) {
    progress(`schema: ${db}`);
    await run(build.sqlTool, [...base, '--db', db, 'create-database']).catch((err: { stderr?: string }) => {
      if (!/already exists/.test(err.stderr ?? '')) throw err;
    });
    await run(build.sqlTool, [...base, '--db', db, 'setup-schema', '-v', '0.0']);
    await run(build.sqlTool, [...base, '--db', db, 'update-schema', '-d', path.join(build.postgresSchemas, dir, 'versioned')]);
  }
  fs.writeFileSync(marker, new Date().toISOString());
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
    await setUpSchemas(build, pg, o.dataDir, progress);
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
    await register(cli.path, address, namespace, progress);

    const cluster: RunningCluster = {
      address,
      namespace,
      shards,
      postgres: pg.version,
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
const INDEXED_TYPES = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
} as const;

async function register(cli: string, address: string, namespace: string, progress: Progress): Promise<void> {
  await run(cli, ['operator', 'namespace', 'create', '--address', address, '--namespace', namespace, '--retention', '72h']).catch((err: { stderr?: string }) => {
    if (!/already/i.test(err.stderr ?? '')) throw err;
  });
  // A new namespace reaches every frontend's cache on its refresh.
  await waitUntil(`namespace ${namespace}`, async () => {
    const conn = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await conn.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      return true;
    } finally {
      await conn.close();
    }
  }, { timeoutMs: 60_000, intervalMs: 500 });
  const conn = await Connection.connect({ address });
  try {
    const existing = await conn.operatorService.listSearchAttributes({ namespace });
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in (existing.customAttributes ?? {})));
    if (missing.length > 0) {
      await conn.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_TYPES[type]])) });
    }
  } finally {
    await conn.close();
  }
  progress(`namespace ${namespace} with search attributes ${Object.keys(SEARCH_ATTRIBUTES).join(', ')}`);
}
