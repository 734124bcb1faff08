/**
 * The service as the fault scenarios need it: the API and the simulator in this process, the
 * worker(s) as child processes, and Temporal either the caller's dev server or one of the
 * scenario's own (SQLite file in a temp dir, so it can be SIGKILLed and restarted), or a real
 * cluster of its own (PostgreSQL, several shards) whose server process can be killed too.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import type { OrderService } from '../../../src/orders/order-service';
import { writeWorkflowBundle } from '../../../src/workflow-bundle';
import { type RunningCluster, startCluster } from '../../../tools/engine/cluster';
import type { RunningDevServer } from '../../../tools/engine/dev-server';
import type { RunningSimulator, SimulatorOptions } from '../../../tools/simulators/wotrus/server';
import type { AcmapiStack, AcmapiStackOptions } from '../../../tools/stack/acmapi';
import type { ResellerStack, ResellerStackOptions } from '../../../tools/stack/reseller';
import { type ApiCall, randomSecrets, serviceEnv, startEngine, startFront } from '../../../tools/stack/compose';
import { OrderStatusKey } from '../../../src/workflows/search-attributes';
import { CallLog } from './call-log';
import { track, type WorkerConfig, WorkerProcess } from './worker-process';

export type Log = (line: string) => void;

export interface FaultStackOptions {
  /** Scenario name: prefixes the task queue and log lines. */
  name: string;
  log: Log;
  /** Use this dev server (no restarts possible); else start one of our own. */
  temporalAddress?: string;
  /** Own server only: persist to SQLite in a temp dir (needed to restart it). */
  persistent?: boolean;
  /** Own server only: the dev server (default) or a real cluster (tools/engine/cluster.ts: shards, PostgreSQL; always persistent). */
  engine?: 'dev' | 'cluster';
  /** Worker processes to start (default 1). */
  workers?: number;
  /** Client timeout of the workers' CA calls (default 2000 ms). */
  caTimeoutMs?: number;
  simulator?: Partial<SimulatorOptions>;
  /** Over the ACMAPI stack's defaults (the ACMAPI simulator and the customers' web host). */
  acmapi?: Partial<AcmapiStackOptions>;
  /** Over the reseller stack's defaults (the reseller simulator and the customers' DNS server). */
  reseller?: Partial<ResellerStackOptions>;
  /** More settings of the worker processes (e.g. WORKER_METRICS_BIND). */
  workerEnv?: Record<string, string>;
}

export interface FaultStack {
  taskQueue: string;
  apiUrl: string;
  apiKey: string;
  pushSecret: string;
  sim: RunningSimulator;
  /** The ACMAPI simulator (`acmapi.sim`, its `admin`) and the customers' web host (`acmapi.web`). */
  acmapi: AcmapiStack;
  /** The reseller simulator (`reseller.sim`, its `admin`) and the customers' DNS server (`reseller.dns`). */
  reseller: ResellerStack;
  calls: CallLog;
  client: Client;
  orders: OrderService;
  workers: WorkerProcess[];
  /** The own Temporal server's process (dev server or cluster server). */
  server?: { process: ChildProcess };
  temporalAddress: string;
  /** Starts one more worker process and waits until it polls. */
  startWorker(): Promise<WorkerProcess>;
  /** SIGKILLs the own Temporal server, waits `downMs`, starts it again on the same port and data. */
  restartServer(downMs: number): Promise<{ downMs: number }>;
  api: ApiCall;
  /** Order states by billing order id, from visibility (the OrderStatus search attribute). */
  states(): Promise<Map<string, string>>;
  close(): Promise<void>;
}

let workerSeq = 0;

let bundle: Promise<string> | undefined;
/** The prebuilt workflow bundle (encoded failures: the fault stack always runs the codec). */
function sharedBundle(): Promise<string> {
  bundle ??= (async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-faults-bundle-')), 'workflow-bundle.js');
    await writeWorkflowBundle(file, 'encoded');
    return file;
  })();
  return bundle;
}

export async function startFaultStack(o: FaultStackOptions): Promise<FaultStack> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `certflow-faults-${o.name}-`));
  let server: RunningDevServer | undefined;
  let temporalAddress = o.temporalAddress;
  let cliPath: string | undefined;
  let serverPort = 0;
  const dbFile = o.persistent ? path.join(tmp, 'temporal.sqlite') : undefined;
  const startServer = async (): Promise<RunningDevServer> => {
    const started = await startEngine({ cliPath, port: serverPort, headless: true, dbFile, logLevel: 'error', logFile: path.join(tmp, 'dev-server.log') });
    cliPath = started.cliPath;
    serverPort = started.port;
    track(started.process);
    return started;
  };
  let cluster: RunningCluster | undefined;
  if (!temporalAddress && o.engine === 'cluster') {
    cluster = await startCluster({ dataDir: path.join(tmp, 'cluster'), progress: (m) => o.log(`[${o.name}] cluster: ${m}`) });
    track(cluster.process);
    temporalAddress = cluster.address;
  } else if (!temporalAddress) {
    server = await startServer();
    temporalAddress = server.address;
  }

  const secrets = randomSecrets();
  const taskQueue = `faults-${o.name}-${process.pid}-${Date.now().toString(36)}`;
  const calls = new CallLog();
  const front = await startFront({
    env: serviceEnv({ secrets, keyName: 'faults', temporalAddress, taskQueue, publicBaseUrl: 'http://certflow.faults.test', codecKeyId: 'f1', operator: false }),
    secrets,
    readiness: true,
    simulator: { delays: { submitMs: 50, reviewMs: 300, dcvMs: 300, issueMs: 300, revokeMs: 300 }, logger: calls.logger(), ...o.simulator },
    acmapi: o.acmapi ?? {},
    reseller: o.reseller ?? {},
  });
  const { client, orders, apiUrl, sim } = front;
  const acmapi = front.acmapi!;
  const reseller = front.reseller!;

  const workerConfig: WorkerConfig = {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    CA_BASE_URL: sim.url,
    CA_TOKEN: secrets.caToken,
    CA_TIMEOUT_MS: String(o.caTimeoutMs ?? 2_000),
    CODEC_KEYS: front.env.CODEC_KEYS,
    CODEC_CURRENT_KEY_ID: 'f1',
    LOG_LEVEL: 'warn',
    // The second CA and the web host its domain file check connects every domain to.
    ...acmapi.env,
    // The third CA and the DNS server its CNAMEs are checked on; the notify_url is built from PUBLIC_BASE_URL.
    ...reseller.env,
    PUBLIC_BASE_URL: front.env.PUBLIC_BASE_URL!,
    // Built once per process and shared, as production does: a restarted worker polls within
    // a second instead of bundling again.
    WORKFLOW_BUNDLE_PATH: await sharedBundle(),
    ...o.workerEnv,
  };
  const workers: WorkerProcess[] = [];
  const startWorker = async (): Promise<WorkerProcess> => {
    const w = new WorkerProcess(`${o.name}-w${++workerSeq}`, workerConfig);
    workers.push(w);
    await w.ready(client, taskQueue);
    return w;
  };
  await Promise.all(Array.from({ length: o.workers ?? 1 }, () => startWorker()));

  const stack: FaultStack = {
    taskQueue,
    apiUrl,
    apiKey: secrets.apiKey,
    pushSecret: secrets.pushSecret,
    sim,
    acmapi,
    reseller,
    calls,
    client,
    orders,
    workers,
    server: cluster ? { process: cluster.process } : server,
    temporalAddress,
    startWorker,
    async restartServer(downMs) {
      if (cluster) {
        const started = Date.now();
        const killed = cluster.process;
        killed.kill('SIGKILL');
        await new Promise((r) => (killed.exitCode !== null || killed.signalCode !== null ? r(undefined) : killed.once('exit', r)));
        await new Promise((r) => setTimeout(r, downMs));
        await cluster.restart();
        track(cluster.process);
        stack.server = { process: cluster.process };
        return { downMs: Date.now() - started };
      }
      if (!server) throw new Error('restartServer needs the scenario’s own Temporal server');
      const started = Date.now();
      server.process.kill('SIGKILL');
      await new Promise((r) => (server!.process.exitCode !== null || server!.process.signalCode !== null ? r(undefined) : server!.process.once('exit', r)));
      await new Promise((r) => setTimeout(r, downMs));
      server = await startServer();
      stack.server = server;
      return { downMs: Date.now() - started };
    },
    api: front.api,
    async states() {
      const out = new Map<string, string>();
      let nextPageToken: Uint8Array | undefined;
      do {
        const r = await client.withDeadline(Date.now() + 10_000, () =>
          client.workflowService.listWorkflowExecutions({ namespace: client.options.namespace, query: `TaskQueue = '${taskQueue}' AND WorkflowType = 'orderWorkflow'`, pageSize: 1000, nextPageToken }),
        );
        for (const e of r.executions) {
          const id = (e.execution?.workflowId ?? '').replace(/^order-/, '');
          out.set(id, decodeTypedSearchAttributes(e.searchAttributes?.indexedFields).get(OrderStatusKey) ?? 'unknown');
        }
        nextPageToken = r.nextPageToken && r.nextPageToken.length > 0 ? r.nextPageToken : undefined;
      } while (nextPageToken);
      return out;
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await front.close();
      await server?.stop();
      await cluster?.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  return stack;
}
