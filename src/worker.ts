/**
 * The worker process: workflows and activities on one task queue. Stateless: run more of
 * them against the same Temporal namespace to scale out.
 */
import { createDnsCheckerFromConfig } from './validation/dns-cname-check';
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { issuerDirectory } from './activities';
import { closeIssuers, createIssuersFromConfig } from './ca/issuer-from-config';
import { exitOnConfigError, loadConfigOrExit } from './config';
import { createBillingWebhookSender } from './delivery/billing-webhook';
import { createLogger } from './lib/logger';
import { createFileCheckerFromConfig } from './validation/http-file-check';
import { loadProductCatalogOrExit } from './products-file';
import { connectWorker } from './temporal/connection';
import { createDataConverter } from './temporal/data-converter';
import { loadWorkflowBundle } from './workflow-bundle';
import { createCertflowWorker } from './worker-factory';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  // Checked at start like the environment, so a bad products file stops every process alike.
  const products = loadProductCatalogOrExit(config);
  const logger = createLogger('worker', config.LOG_LEVEL);
  Runtime.install({
    logger: new DefaultLogger(config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? 'DEBUG' : 'WARN'),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(config.WORKER_METRICS_BIND ? { metrics: { prometheus: { bindAddress: config.WORKER_METRICS_BIND, countersTotalSuffix: true } } } : {}),
    },
  });
  if (config.WORKER_METRICS_BIND) logger.info({ metrics: `http://${config.WORKER_METRICS_BIND}/metrics` }, 'worker metrics (Prometheus)');
  const issuers = createIssuersFromConfig(config, logger, products);
  const fileChecker = createFileCheckerFromConfig(config);
  const dnsChecker = createDnsCheckerFromConfig(config);
  const billing = config.BILLING_WEBHOOK_URL && config.BILLING_WEBHOOK_SECRET
    ? createBillingWebhookSender({ url: config.BILLING_WEBHOOK_URL, secret: config.BILLING_WEBHOOK_SECRET })
    : undefined;
  const dataConverter = createDataConverter(config);
  const workflowBundle = config.WORKFLOW_BUNDLE_PATH ? loadWorkflowBundle(config.WORKFLOW_BUNDLE_PATH, dataConverter) : undefined;
  const connection = await connectWorker(config);
  const worker = await createCertflowWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: { issuers: issuerDirectory(issuers), fileChecker, dnsChecker, billing, logger },
    dataConverter,
    workflowBundle,
    tuning: {
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    },
  });
  logger.info({ workflowBundle: config.WORKFLOW_BUNDLE_PATH ?? 'built at start', taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE, address: config.TEMPORAL_ADDRESS, cas: issuers.map((i) => i.descriptor.id), products: products.products.length }, 'worker running');
  // Worker.run() handles SIGINT/SIGTERM: it stops polling and lets running activities finish.
  await worker.run();
  await closeIssuers(issuers);
  await fileChecker.close();
  await dnsChecker.close();
  await connection.close();
  logger.info('worker stopped');
}

main().catch((err: unknown) => {
  // A bad WORKFLOW_BUNDLE_PATH is a configuration error like the environment's own.
  exitOnConfigError(err);
  process.stderr.write(`worker: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
