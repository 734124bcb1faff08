/**
 * The whole service in one test process against the run's shared dev server: the API (real
 * HTTP, API key, push receiver, codec endpoints), the simulator pushing to it, the ACMAPI
 * simulator with the customers' web host (no domain serves the signfile until a test says so:
 * `acmapi.serve(domain)`), the reseller platform simulator with the customers' DNS server (no
 * record is published until a test says so: `reseller.dns.setCname`, `reseller.publish`), and a
 * worker on a task queue of its own. Used by the e2e tests, the fault suite and the benchmark smoke.
 */
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import type { BillingEvent, BillingNotifier } from '../../src/activities';
import type { Config } from '../../src/config';
import type { OrderPolicyInput } from '../../src/domain/order';
import { createOrderService, type OrderService } from '../../src/orders/order-service';
import type { RunningSimulator, SimulatorOptions } from '../../tools/simulators/wotrus/server';
import type { AcmapiStack, AcmapiStackOptions } from '../../tools/stack/acmapi';
import type { ResellerStack, ResellerStackOptions } from '../../tools/stack/reseller';
import { type ApiCall, type InProcessWorker, randomSecrets, serviceEnv, startFront, startInProcessWorker } from '../../tools/stack/compose';
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
  /** The ACMAPI simulator (`acmapi.sim`) and the customers' web host (`acmapi.web`). */
  acmapi: AcmapiStack;
  /** The reseller simulator (`reseller.sim`, its `admin`) and the customers' DNS server (`reseller.dns`). */
  reseller: ResellerStack;
  client: Client;
  orders: OrderService;
  billing: RecordingBilling;
  worker?: Worker;
  /** Authorised fetch against the API. */
  api: ApiCall;
  close(): Promise<void>;
}

export interface StackOptions {
  codec?: boolean;
  simulator?: Partial<SimulatorOptions>;
  /** Over the ACMAPI stack's defaults (e.g. `serveEverywhere: true`). */
  acmapi?: Partial<AcmapiStackOptions>;
  /** Over the reseller stack's defaults (e.g. `customerPublishes: true`). */
  reseller?: Partial<ResellerStackOptions>;
  /** Start an in-process worker (default true). */
  worker?: boolean;
  logger?: Logger;
  env?: Record<string, string>;
  /** Every order's policy, over the product's (e.g. a first poll after 10 minutes, so only pushes move orders). */
  policyOverrides?: OrderPolicyInput;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const address = process.env.CERTFLOW_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('no shared dev server: run under the integration project (globalSetup)');
  const logger = opts.logger ?? pino({ level: 'silent' });
  const secrets = randomSecrets();
  const env: Record<string, string> = {
    ...serviceEnv({ secrets, keyName: 'e2e', temporalAddress: address, taskQueue: uniqueId('e2e'), publicBaseUrl: 'http://certflow.test', codecKeyId: opts.codec === false ? false : 'e2e1' }),
    CA_TIMEOUT_MS: '3000',
    // The simulator's steps here are 20–50 ms apart (a real CA's, minutes): a 5 s push window
    // would hold an order's "issued" push back for seconds. Push tests set their own.
    CA_PUSH_WINDOW_MS: '200',
    ...opts.env,
  };
  const front = await startFront({
    env,
    secrets,
    logger,
    ...(opts.policyOverrides ? { orders: (deps) => createOrderService({ ...deps, policyOverrides: opts.policyOverrides }) } : {}),
    simulator: { delays: { submitMs: 20, reviewMs: 50, dcvMs: 50, issueMs: 50, revokeMs: 50 }, ...opts.simulator },
    acmapi: opts.acmapi ?? {},
    reseller: opts.reseller ?? {},
  });
  const billing = new RecordingBilling();
  let worker: InProcessWorker | undefined;
  if (opts.worker !== false) worker = await startInProcessWorker(front.config, { deps: { billing }, logger });

  return {
    config: front.config,
    apiUrl: front.apiUrl,
    apiKey: secrets.apiKey,
    operatorToken: secrets.operatorToken,
    sim: front.sim,
    acmapi: front.acmapi!,
    reseller: front.reseller!,
    client: front.client,
    orders: front.orders,
    billing,
    worker: worker?.worker,
    api: front.api,
    close: async () => {
      await worker?.close();
      await front.close();
    },
  };
}
