/**
 * The whole service in one test process against the run's shared dev server: the API (real
 * HTTP, API key, push receiver, codec endpoints), the simulator pushing to it, and a worker
 * on a task queue of its own. Used by the e2e tests, the fault suite and the benchmark smoke.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { BillingEvent, BillingNotifier } from '../../src/activities';
import { buildApi } from '../../src/api/server';
import { codecCorsOrigins } from '../../src/codec/codec-server';
import { type ConfiguredIssuer, createIssuerFromConfig } from '../../src/ca/issuer-from-config';
import { createHmacPushVerifier } from '../../src/ca/wotrus/push';
import { type Config, parseConfig } from '../../src/config';
import { createOrderService, type OrderService } from '../../src/orders/order-service';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../../tools/simulators/wotrus/server';
import { connectClient } from '../../src/temporal/connection';
import { createCodecFromConfig, createDataConverter } from '../../src/temporal/data-converter';
import { bundleWorkflows, createCertflowWorker } from '../../src/worker-factory';
import { uniqueId } from './temporal';

export class RecordingBilling implements BillingNotifier {
  readonly events: BillingEvent[] = [];
  async send(event: BillingEvent): Promise<void> {
    this.events.push(event);
  }
}

export interface Stack {
  config: Config;
  apiUrl: string;
  apiKey: string;
  operatorToken: string;
  sim: RunningSimulator;
  client: Client;
  orders: OrderService;
  billing: RecordingBilling;
  worker?: Worker;
  /** Authorised fetch against the API. */
  api(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

export interface StackOptions {
  codec?: boolean;
  simulator?: Partial<SimulatorOptions>;
  /** Start an in-process worker (default true). */
  worker?: boolean;
  logger?: Logger;
  env?: Record<string, string>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const address = process.env.CERTFLOW_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('no shared dev server: run under the integration project (globalSetup)');
  const logger = opts.logger ?? pino({ level: 'silent' });
  const apiKey = `key_${randomBytes(12).toString('hex')}`;
  const operatorToken = randomBytes(16).toString('hex');
  const caToken = randomBytes(12).toString('hex');
  const pushSecret = randomBytes(24).toString('hex');
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: uniqueId('e2e'),
    API_KEYS: `e2e:${createHash('sha256').update(apiKey).digest('hex')}`,
    OPERATOR_TOKEN: operatorToken,
    DOWNLOAD_LINK_SECRET: randomBytes(24).toString('hex'),
    CA_TOKEN: caToken,
    CA_PUSH_SECRET: pushSecret,
    CA_BASE_URL: 'http://127.0.0.1:1', // replaced once the simulator listens
    CA_TIMEOUT_MS: '3000',
    PUBLIC_BASE_URL: 'http://certflow.test',
    ...(opts.codec === false ? {} : { CODEC_KEYS: `e2e1:${randomBytes(32).toString('base64')}`, CODEC_CURRENT_KEY_ID: 'e2e1' }),
    ...opts.env,
  };
  const preliminary = parseConfig(env);
  const client = await connectClient(preliminary);
  const orders = createOrderService({ client, taskQueue: preliminary.TEMPORAL_TASK_QUEUE, publicBaseUrl: preliminary.PUBLIC_BASE_URL!, collectLinkSecret: preliminary.DOWNLOAD_LINK_SECRET });
  const codec = createCodecFromConfig(preliminary);
  const app: FastifyInstance = await buildApi({
    config: preliminary,
    orders,
    pushVerifier: createHmacPushVerifier(pushSecret),
    logger,
    codec: codec ? { codec, operatorToken, corsOrigins: codecCorsOrigins(preliminary) } : undefined,
  });
  const apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const sim = await startSimulator({
    token: caToken,
    adminToken: randomBytes(16).toString('hex'),
    pushUrl: `${apiUrl}/v1/ca/wotrus/push`,
    pushSecret,
    delays: { submitMs: 20, reviewMs: 50, dcvMs: 50, issueMs: 50, revokeMs: 50 },
    ...opts.simulator,
  });
  const config = parseConfig({ ...env, CA_BASE_URL: sim.url });

  const billing = new RecordingBilling();
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let issuer: ConfiguredIssuer | undefined;
  let connection: NativeConnection | undefined;
  if (opts.worker !== false) {
    const dataConverter = createDataConverter(config);
    const key = dataConverter.failureConverterPath ?? 'plain';
    if (!bundles.has(key)) bundles.set(key, bundleWorkflows(dataConverter));
    issuer = createIssuerFromConfig(config, logger);
    connection = await NativeConnection.connect({ address });
    worker = await createCertflowWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      deps: { issuer, billing, logger },
      dataConverter,
      workflowBundle: await bundles.get(key)!,
    });
    workerRun = worker.run();
  }

  return {
    config,
    apiUrl,
    apiKey,
    operatorToken,
    sim,
    client,
    orders,
    billing,
    worker,
    api: (path, init = {}) =>
      fetch(`${apiUrl}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: { authorization: `Bearer ${apiKey}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      }),
    close: async () => {
      if (worker) {
        worker.shutdown();
        await workerRun;
      }
      await issuer?.close();
      await connection?.close();
      await app.close();
      await sim.close();
      await client.connection.close();
    },
  };
}
