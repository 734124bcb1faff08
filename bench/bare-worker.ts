/**
 * The bare benchmark worker as a child process (`node --import tsx bench/bare-worker.ts`):
 * same tuning variables as certflow's worker, reports each run's "active" moment over IPC.
 */
import { NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap, bundleWorkflowCode, makeTelemetryFilterString } from '@temporalio/worker';
import { createBareActivities } from './bare-activities';

const BARE_WORKFLOWS_PATH = require.resolve('./bare-workflow');

const quiet = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined,
  error: (m: string) => process.stderr.write(`[bundler] ${m}\n`),
};

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function bundleBareWorkflow(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: BARE_WORKFLOWS_PATH, logger: quiet });
  return bundle;
}

export async function createBareWorker(o: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  onActive: (workflowId: string, at: number) => void;
  maxCachedWorkflows?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
}): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    workflowBundle: await bundleBareWorkflow(),
    activities: createBareActivities(o.onActive),
    maxCachedWorkflows: o.maxCachedWorkflows,
    maxConcurrentActivityTaskExecutions: o.maxConcurrentActivityTaskExecutions,
    maxConcurrentWorkflowTaskExecutions: o.maxConcurrentWorkflowTaskExecutions,
  });
}

async function main(): Promise<void> {
  Runtime.install({ telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } } });
  const env = process.env;
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
  const num = (v: string | undefined): number | undefined => (v ? Number(v) : undefined);
  const worker = await createBareWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE ?? 'bench-bare',
    onActive: (workflowId, at) => process.send?.({ type: 'active', workflowId, at }),
    maxCachedWorkflows: num(env.WORKER_MAX_CACHED_WORKFLOWS),
    maxConcurrentActivityTaskExecutions: num(env.WORKER_MAX_CONCURRENT_ACTIVITIES),
    maxConcurrentWorkflowTaskExecutions: num(env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS),
  });
  await worker.run();
  await connection.close();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bare worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
