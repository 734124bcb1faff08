/**
 * The benchmark's own certflow: a Temporal dev server (SQLite file in a temporary directory,
 * or an existing server for the smoke test), the WoTrus simulator and the API in this process,
 * and the worker either as a child process (so its memory and CPU are measured on their own)
 * or in this process (the smoke test).
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Config } from '../src/config';
import type { OrderPolicyInput } from '../src/domain/order';
import { createOrderService, type OrderService, type OrderServiceDeps } from '../src/orders/order-service';
import { createDataConverter } from '../src/temporal/data-converter';
import { writeWorkflowBundle } from '../src/workflow-bundle';
import { startCluster } from '../tools/engine/cluster';
import { SQLITE_PRAGMAS, stopChild } from '../tools/engine/dev-server';
import { waitUntil } from '../tools/engine/ports';
import type { RunningSimulator } from '../tools/simulators/wotrus/server';
import type { Delays } from '../tools/simulators/wotrus/settings';
import { type InProcessWorker, ROOT, isPolling, randomSecrets, serviceEnv, spawnNode, startEngine, startFront, startInProcessWorker } from '../tools/stack/compose';

export { ROOT };
export const PROBE_PATH = path.join(__dirname, 'worker-probe.cjs');

export interface WorkerTuning {
  maxCachedWorkflows: number;
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentWorkflowTaskExecutions: number;
}

/** certflow's defaults (src/config.ts). */
export const DEFAULT_TUNING: WorkerTuning = { maxCachedWorkflows: 2000, maxConcurrentActivityTaskExecutions: 100, maxConcurrentWorkflowTaskExecutions: 40 };

export interface BenchStackOptions {
  /** An existing Temporal frontend (the smoke test's shared dev server); otherwise one is started. */
  temporalAddress?: string;
  /** SQLite pragmas of the started dev server (default: the engine's SQLITE_PRAGMAS). */
  sqlitePragmas?: readonly string[];
  /** Run the started dev server in memory instead of on a SQLite file. */
  inMemory?: boolean;
  /** `dev` (default): the dev server; `cluster`: a real cluster (tools/engine/cluster.ts: 4 shards, PostgreSQL). */
  engine?: 'dev' | 'cluster';
  /** History shards of the started cluster (default DEFAULT_SHARDS). */
  clusterShards?: number;
  codec: boolean;
  worker: 'child' | 'in-process';
  tuning?: Partial<WorkerTuning>;
  /** undici keep-alive connections of the worker's CA client (CA_POOL_CONNECTIONS). */
  caPoolConnections?: number;
  /** `runtime` (default): src/worker.ts bundles the workflows at start; `prebuilt`: src/worker.ts with WORKFLOW_BUNDLE_PATH, the bundle built here. */
  workerBundle?: 'runtime' | 'prebuilt';
  /** `--max-old-space-size` of the worker child (MiB): its heap limit, workflow threads included. */
  workerHeapMb?: number;
  /** `tsx` (default): TypeScript loaded through tsx; `compiled`: `tsc -p tsconfig.build.json` first, then `node <out>/src/worker.js`, as the production image runs it. */
  workerRuntime?: 'tsx' | 'compiled';
  /** MALLOC_ARENA_MAX of the worker child: glibc's malloc arenas (one per thread by default, 8 × cores at most). */
  mallocArenaMax?: number;
  /** Write V8 CPU profiles of the worker child (one per thread that exits cleanly) into this directory. */
  workerCpuProfDir?: string;
  delays?: Partial<Delays>;
  log?: (line: string) => void;
}

export interface WorkerMemory {
  at: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** A worker process (certflow's or the bare benchmark worker) and what it reports. */
export interface ChildWorker {
  process: ChildProcess;
  pid: number;
  memory(): WorkerMemory | undefined;
  onMessage(fn: (msg: unknown) => void): void;
  stop(): Promise<void>;
}

export interface BenchStack {
  address: string;
  namespace: string;
  taskQueue: string;
  /** The started Temporal server (absent when an existing one is used). */
  server?: { process: ChildProcess; stop(): Promise<void> };
  /** The cluster's PostgreSQL postmaster (its backends are its children). */
  postgresPid?: number;
  engine: 'dev' | 'cluster';
  dbFile?: string;
  tmpDir: string;
  config: Config;
  apiUrl: string;
  apiKey: string;
  sim: RunningSimulator;
  client: Client;
  /** Policy overrides of orders placed from now on (time-compressed polling for phase B). */
  setPolicyOverrides(overrides: OrderPolicyInput | undefined): void;
  worker?: ChildWorker;
  inProcessWorker?: Worker;
  tuning: WorkerTuning;
  close(): Promise<void>;
}

/** Spawns `node --require <probe> [--import tsx] <entry>` with the given environment; resolves once it polls the task queue. */
export async function spawnWorker(entry: string, env: Record<string, string>, o: { client: Client; taskQueue: string; logFile: string; heapMb?: number; cpuProfDir?: string }): Promise<ChildWorker> {
  const out = fs.openSync(o.logFile, 'a');
  // A V8 flag, so it bounds the workflow threads' heaps as well as the main one.
  const heap = o.heapMb ? [`--max-old-space-size=${o.heapMb}`] : [];
  const profile = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [];
  const child = spawnNode(entry, { nodeArgs: [...heap, ...profile, '--require', PROBE_PATH], env: { ...process.env, ...env }, stdio: ['ignore', out, out, 'ipc'] });
  let memory: WorkerMemory | undefined;
  const listeners: ((msg: unknown) => void)[] = [];
  child.on('message', (msg: unknown) => {
    if (msg && typeof msg === 'object' && (msg as { type?: string }).type === 'memory') memory = msg as WorkerMemory;
    for (const l of listeners) l(msg);
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitUntil(
    `worker ${path.basename(entry)} polling ${o.taskQueue}`,
    () => isPolling(o.client, o.client.options.namespace, o.taskQueue),
    { timeoutMs: 120_000, intervalMs: 250, isAlive: () => !exited },
  ).catch((err: unknown) => {
    const tail = fs.existsSync(o.logFile) ? fs.readFileSync(o.logFile, 'utf8').slice(-3000) : '';
    throw new Error(`${(err as Error).message}\n${tail}`);
  });
  return {
    process: child,
    pid: child.pid!,
    memory: () => memory,
    onMessage: (fn) => void listeners.push(fn),
    stop: () => stopChild(child, 15_000),
  };
}

/** `npm run build` into dist/bench-<pid> (under the repo, so node_modules resolves): the worker as the production image runs it, without tsx. */
function compileWorker(log: (line: string) => void): string {
  const outDir = path.join(ROOT, 'dist', `bench-${process.pid}`);
  log('compiling src/ with tsc (tsconfig.build.json) for the worker …');
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc failed (exit ${tsc.status}):\n${tsc.stdout}${tsc.stderr}`);
  return outDir;
}

export async function startBenchStack(o: BenchStackOptions): Promise<BenchStack> {
  const log = o.log ?? (() => undefined);
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-bench-'));
  const tuning: WorkerTuning = { ...DEFAULT_TUNING, ...o.tuning };
  let server: BenchStack['server'];
  let postgresPid: number | undefined;
  let dbFile: string | undefined;
  let address = o.temporalAddress;
  if (!address && o.engine === 'cluster') {
    const cluster = await startCluster({ dataDir: path.join(tmpDir, 'cluster'), shards: o.clusterShards, progress: (m) => log(`cluster: ${m}`) });
    server = { process: cluster.process, stop: () => cluster.stop() };
    postgresPid = cluster.postgresPid;
    address = cluster.address;
    log(`cluster ${address} (server pid ${cluster.process.pid}, ${cluster.shards} history shards, ${cluster.postgres} pid ${postgresPid})`);
  } else if (!address) {
    dbFile = o.inMemory ? undefined : path.join(tmpDir, 'temporal.sqlite');
    const dev = await startEngine({ headless: true, logLevel: 'error', logFile: path.join(tmpDir, 'dev-server.log'), dbFile, sqlitePragmas: o.sqlitePragmas ?? SQLITE_PRAGMAS });
    server = dev;
    address = dev.address;
    log(`dev server ${address} (pid ${dev.process.pid}, ${dbFile ? `SQLite ${dbFile}` : 'in memory'})`);
  }

  const secrets = randomSecrets();
  const taskQueue = `bench-${process.pid}-${Date.now().toString(36)}`;
  const env: Record<string, string> = {
    CERTFLOW_ENV: 'test',
    LOG_LEVEL: 'warn',
    ...serviceEnv({ secrets, keyName: 'bench', temporalAddress: address, taskQueue, publicBaseUrl: 'http://certflow.bench', codecKeyId: o.codec ? 'bench1' : false, operator: false }),
    CA_POOL_CONNECTIONS: String(o.caPoolConnections ?? 32),
    // Throughput is measured, not the push budget: every genuine push acts at once (docs/pushes.md has the production bounds).
    CA_PUSH_WINDOW_MS: '200',
    CA_PUSH_RATE_PER_SEC: '100000',
    CA_PUSH_BURST: '100000',
    WORKER_MAX_CACHED_WORKFLOWS: String(tuning.maxCachedWorkflows),
    WORKER_MAX_CONCURRENT_ACTIVITIES: String(tuning.maxConcurrentActivityTaskExecutions),
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: String(tuning.maxConcurrentWorkflowTaskExecutions),
  };
  let serviceDeps: OrderServiceDeps | undefined;
  let current: OrderService | undefined;
  const now = (): OrderService => current!;
  // The API holds one OrderService; this one forwards to whichever policy is current.
  const forwarding: OrderService = {
    placeOrder: (r) => now().placeOrder(r),
    getOrder: (id) => now().getOrder(id),
    listOrders: (q) => now().listOrders(q),
    countOpenOrders: () => now().countOpenOrders(),
    getCertificate: (id) => now().getCertificate(id),
    cancel: (id, i) => now().cancel(id, i),
    reissue: (id, i) => now().reissue(id, i),
    switchDomainValidation: (id, i) => now().switchDomainValidation(id, i),
    revoke: (id, i) => now().revoke(id, i),
    retryNow: (id) => now().retryNow(id),
    resendCustomerEmail: (id, i) => now().resendCustomerEmail(id, i),
    resolveCreate: (id, i) => now().resolveCreate(id, i),
    findByCaOrderId: (id) => now().findByCaOrderId(id),
    signalPush: (id, p) => now().signalPush(id, p),
  };
  const front = await startFront({
    env,
    secrets,
    simulator: { adminToken: undefined, delays: { submitMs: 0, reviewMs: 0, dcvMs: 0, issueMs: 0, revokeMs: 0, ...o.delays } },
    orders: (deps) => {
      serviceDeps = deps;
      current = createOrderService(deps);
      return forwarding;
    },
  });
  const { config, client, apiUrl, sim } = front;
  log(`simulator ${sim.url}, API ${apiUrl}, task queue ${taskQueue}`);

  let worker: ChildWorker | undefined;
  let compiledDir: string | undefined;
  let inProcess: InProcessWorker | undefined;
  if (o.worker === 'child') {
    const childEnv: Record<string, string> = { ...front.env };
    if (o.mallocArenaMax) childEnv.MALLOC_ARENA_MAX = String(o.mallocArenaMax);
    if (o.workerRuntime === 'compiled') compiledDir = compileWorker(log);
    const entry = compiledDir ? path.join(compiledDir, 'src', 'worker.js') : path.join(ROOT, 'src', 'worker.ts');
    if (o.workerBundle === 'prebuilt') {
      // As production does it: `npm run bundle:workflows`, then WORKFLOW_BUNDLE_PATH.
      const bundleFile = path.join(tmpDir, 'workflow-bundle.js');
      await writeWorkflowBundle(bundleFile, createDataConverter(config).failureConverterPath ? 'encoded' : 'plain');
      childEnv.WORKFLOW_BUNDLE_PATH = bundleFile;
    }
    worker = await spawnWorker(entry, childEnv, { client, taskQueue, logFile: path.join(tmpDir, 'worker.log'), heapMb: o.workerHeapMb, cpuProfDir: o.workerCpuProfDir });
    log(`certflow worker pid ${worker.pid} (${o.workerRuntime === 'compiled' ? 'compiled JS, ' : ''}${o.mallocArenaMax ? `MALLOC_ARENA_MAX=${o.mallocArenaMax}, ` : ''}${o.workerBundle === 'prebuilt' ? 'prebuilt bundle, ' : ''}${o.workerHeapMb ? `heap limit ${o.workerHeapMb} MiB, ` : ''}cache ${tuning.maxCachedWorkflows}, activity slots ${tuning.maxConcurrentActivityTaskExecutions}, workflow task slots ${tuning.maxConcurrentWorkflowTaskExecutions}, codec ${o.codec ? 'on' : 'off'})`);
  } else {
    inProcess = await startInProcessWorker(config, { tuning });
  }
  const inProcessWorker: Worker | undefined = inProcess?.worker;

  return {
    address,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    server,
    postgresPid,
    engine: o.engine ?? 'dev',
    dbFile,
    tmpDir,
    config,
    apiUrl,
    apiKey: secrets.apiKey,
    sim,
    client,
    setPolicyOverrides: (overrides) => {
      current = createOrderService({ ...serviceDeps!, policyOverrides: overrides });
    },
    worker,
    inProcessWorker,
    tuning,
    close: async () => {
      await worker?.stop();
      await inProcess?.close();
      await front.close();
      await server?.stop();
      fs.rmSync(tmpDir, { recursive: true, force: true });
      if (compiledDir) fs.rmSync(compiledDir, { recursive: true, force: true });
    },
  };
}

/** Size of the dev server's SQLite database (main file + WAL + shared memory). */
export function databaseBytes(dbFile: string | undefined): number | undefined {
  if (!dbFile) return undefined;
  let total = 0;
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) {
    try {
      total += fs.statSync(f).size;
    } catch {
      // absent
    }
  }
  return total;
}
