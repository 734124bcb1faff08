/**
 * Phase C driver: starts bare workflows (bench/bare-workflow.ts) with the shape of an order on
 * the same server, signals them as the CA pushes would, and measures their rate to "active".
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { bareSignal, type BareShape } from './bare-shared';
import { createBareWorker } from './bare-worker';
import { waitForCount } from './load';
import { type ChildWorker, ROOT, spawnWorker, type WorkerTuning } from './stack';

export interface BareWorkerHandle {
  taskQueue: string;
  /** Child process id (absent in process). */
  pid?: number;
  child?: ChildWorker;
  activeAt: Map<string, number>;
  stop(): Promise<void>;
}

export async function startBareWorker(o: { mode: 'child' | 'in-process'; client: Client; address: string; tuning: WorkerTuning; logFile: string }): Promise<BareWorkerHandle> {
  const taskQueue = `bench-bare-${process.pid}-${Date.now().toString(36)}`;
  const activeAt = new Map<string, number>();
  if (o.mode === 'child') {
    const child = await spawnWorker(path.join(ROOT, 'bench', 'bare-worker.ts'), {
      TEMPORAL_ADDRESS: o.address,
      TEMPORAL_NAMESPACE: o.client.options.namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_MAX_CACHED_WORKFLOWS: String(o.tuning.maxCachedWorkflows),
      WORKER_MAX_CONCURRENT_ACTIVITIES: String(o.tuning.maxConcurrentActivityTaskExecutions),
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: String(o.tuning.maxConcurrentWorkflowTaskExecutions),
    }, { client: o.client, taskQueue, logFile: o.logFile });
    child.onMessage((msg) => {
      const m = msg as { type?: string; workflowId?: string; at?: number };
      if (m.type === 'active' && m.workflowId && m.at !== undefined && !activeAt.has(m.workflowId)) activeAt.set(m.workflowId, m.at);
    });
    return { taskQueue, pid: child.pid, child, activeAt, stop: () => child.stop() };
  }
  const connection = await NativeConnection.connect({ address: o.address });
  const worker: Worker = await createBareWorker({
    connection,
    namespace: o.client.options.namespace,
    taskQueue,
    onActive: (id, at) => void (activeAt.has(id) || activeAt.set(id, at)),
    ...o.tuning,
  });
  const running = worker.run();
  return {
    taskQueue,
    activeAt,
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

export interface BareRunResult {
  label: string;
  runs: number;
  started: number;
  active: number;
  shape: BareShape;
  durationS: number;
  ordersPerSec: number;
  /** 95 % of the runs over the time to reach 95 %. */
  ordersPerSec95: number;
  timedOut: boolean;
}

/** Starts `n` bare workflows at `concurrency`, each followed by its signals, and waits until all are active. */
export async function runBare(o: {
  client: Client;
  worker: BareWorkerHandle;
  n: number;
  concurrency: number;
  shape: BareShape;
  label: string;
  prefix: string;
  timeoutMs: number;
  progress?: (line: string) => void;
}): Promise<BareRunResult> {
  const startedAt = Date.now();
  let next = 0;
  let started = 0;
  const ids = new Set<string>();
  async function lane(): Promise<void> {
    for (;;) {
      const i = next++;
      if (i >= o.n) return;
      const workflowId = `${o.prefix}-${i}`;
      ids.add(workflowId);
      const handle = await o.client.workflow.start('bareWorkflow', { workflowId, taskQueue: o.worker.taskQueue, args: [o.shape] });
      started++;
      for (let s = 0; s < o.shape.signals; s++) await handle.signal(bareSignal);
    }
  }
  const starting = Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, o.n)) }, lane));
  let startError: unknown;
  starting.catch((err: unknown) => (startError = err));
  const count = (): number => {
    if (startError) throw startError;
    let c = 0;
    for (const id of o.worker.activeAt.keys()) if (ids.has(id)) c++;
    return c;
  };
  const wait = await waitForCount(count, { label: o.label, expected: o.n, timeoutMs: o.timeoutMs, progress: o.progress, since: startedAt, extra: () => `${started} started` });
  await starting;
  const done: number[] = [];
  for (const [id, at] of o.worker.activeAt) if (ids.has(id)) done.push((at - startedAt) / 1000);
  done.sort((x, y) => x - y);
  const active = done.length;
  const durationS = done[done.length - 1] ?? 0;
  const p95S = done[Math.max(0, Math.ceil(0.95 * o.n) - 1)] ?? Number.NaN;
  return { label: o.label, runs: o.n, started, active, shape: o.shape, durationS, ordersPerSec: active / Math.max(0.001, durationS), ordersPerSec95: (0.95 * o.n) / Math.max(0.001, p95S), timedOut: wait.timedOut };
}
