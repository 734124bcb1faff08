/**
 * Lever study (`npm run bench -- --worker-bundle prebuilt`): certflow's worker exactly as
 * src/worker.ts wires it, except that the workflow bundle is built beforehand (by the
 * benchmark, with the same data converter) and loaded from BENCH_WORKFLOW_BUNDLE, so the
 * worker process never loads webpack. Measures what bundling at start costs in RSS.
 */
import fs from 'node:fs';
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createIssuerFromConfig } from '../src/ca/issuer-from-config';
import { loadConfigOrExit } from '../src/config';
import { createLogger } from '../src/lib/logger';
import { connectWorker } from '../src/temporal/connection';
import { createDataConverter } from '../src/temporal/data-converter';
import { createCertflowWorker } from '../src/worker-factory';

async function main(): Promise<void> {
  const bundlePath = process.env.BENCH_WORKFLOW_BUNDLE;
  if (!bundlePath) throw new Error('BENCH_WORKFLOW_BUNDLE is not set');
  const config = loadConfigOrExit();
  const logger = createLogger('worker', config.LOG_LEVEL);
  Runtime.install({ telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } } });
  const issuer = createIssuerFromConfig(config, logger);
  const connection = await connectWorker(config);
  const worker = await createCertflowWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: { issuer, logger },
    dataConverter: createDataConverter(config),
    workflowBundle: { code: fs.readFileSync(bundlePath, 'utf8'), sourceMap: '' },
    tuning: {
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    },
  });
  await worker.run();
  await issuer.close();
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
