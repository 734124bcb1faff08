import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker, type WorkerOptions, type WorkflowBundleOption, type WorkflowBundleWithSourceMap, bundleWorkflowCode } from '@temporalio/worker';
import { type ActivityDeps, createActivities } from './activities';

export const WORKFLOWS_PATH = require.resolve('./workflows');

/**
 * Bundling takes a second or two: tests, replay and benchmarks bundle once and reuse it.
 * With the payload codec on, the bundle must carry the same failure converter as the data
 * converter (`dataConverter.failureConverterPath`), or failures would not be encoded.
 */
export async function bundleWorkflows(dataConverter?: Pick<DataConverter, 'failureConverterPath'>): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger, failureConverterPath: dataConverter?.failureConverterPath });
}

const quietBundlerLogger = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined,
  warn: (m: string) => process.stderr.write(`[bundler] ${m}\n`),
  error: (m: string) => process.stderr.write(`[bundler] ${m}\n`),
};

export interface CertflowWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  dataConverter?: DataConverter;
  workflowBundle?: WorkflowBundleOption;
  tuning?: Partial<Pick<WorkerOptions, 'maxCachedWorkflows' | 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'identity'>>;
}

/** The only place workflows and activities are wired together (worker process, tests, benchmarks). */
export async function createCertflowWorker(o: CertflowWorkerOptions): Promise<Worker> {
  const options: WorkerOptions = {
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    activities: createActivities(o.deps),
    dataConverter: o.dataConverter,
    ...o.tuning,
  };
  // Bundled here (not via workflowsPath) so webpack's statistics stay out of the logs.
  options.workflowBundle = o.workflowBundle ?? (await bundleWorkflows(o.dataConverter));
  return Worker.create(options);
}
