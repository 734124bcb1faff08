import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pino from 'pino';
import { type BillingEvent, type BillingNotifier, issuerDirectory } from '../../src/activities';
import { type AcmapiClient, createAcmapiClient } from '../../src/ca/acmapi/client';
import { createResellerIssuer, levelsFromCatalog, type ResellerIssuer } from '../../src/ca/reseller';
import { createDnsCnameChecker } from '../../src/validation/dns-cname-check';
import { type RunningDnsServer, startDnsServer } from '../../tools/simulators/dns';
import { type RunningResellerSimulator, startResellerSimulator } from '../../tools/simulators/reseller';
import { RESELLER_DV_PRODUCT_ID } from '../../tools/stack/reseller';
import { createWotrusClient, type WotrusClient } from '../../src/ca/wotrus/client';
import { createHttpFileChecker } from '../../src/validation/http-file-check';
import { type RunningAcmapiSimulator, startAcmapiSimulator } from '../../tools/simulators/acmapi';
import { ACMAPI_DEV_PRODUCT_ID } from '../../tools/stack/acmapi';
import { type RunningWebHost, startWebHost } from '../../tools/simulators/webhost';
import { createHmacPushVerifier, parsePush } from '../../src/ca/wotrus/push';
import { type OrderPolicyInput, type OrderRequestInput, orderRequestSchema } from '../../src/domain/order';
import { boundOrderWorkflowId, orderWorkflowId, reissueWorkflowId, revokeWorkflowId } from '../../src/domain/workflow-ids';
import { resolvePolicy } from '../../src/domain/policy';
import { issuerRefFor } from '../../src/ca/registry';
import { loadProductCatalogFromConfig } from '../../src/products-file';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import { type RunningSimulator, startSimulator } from '../../tools/simulators/wotrus/server';
import { SIM_PRODUCT_IDS } from '../../tools/simulators/wotrus/catalog';
import { caPushedSignal } from '../../src/workflows/messages';
import type { OrderWorkflowInput } from '../../src/workflows/inputs';
import { createCertflowWorker } from '../../src/worker-factory';
import { uniqueId } from './temporal';

export const TOKEN = 'test-ca-token-0123456789';
export const PUSH_SECRET = 'test-push-secret-0123456789abcdef';
export const SIM_ADMIN_TOKEN = 'test-admin-token-0123456789';
export const ACMAPI_CUSTOMER_ID = 'customer_test01';
export const ACMAPI_AUTH_TOKEN = 'authority-test-0123456789';
export const SIGNFILE = 'wosign-signfile-test-5f2b8c1d9e';
export { SIGNFILE_PATH } from '../../tools/simulators/acmapi';
/** The one ACMAPI product of the default products file. */
export { ACMAPI_DEV_PRODUCT_ID as ACMAPI_PRODUCT_ID } from '../../tools/stack/acmapi';
/** The reseller products of the default products file: DV, and OV (which needs every organisation field). */
export { RESELLER_DV_PRODUCT_ID, RESELLER_OV_PRODUCT_ID } from '../../tools/stack/reseller';
export { RESELLER_TEST_ORGANIZATION } from './reseller-fixtures';
export const RESELLER_API_KEY = 'reseller-test-key-0123456789';

/** Records billing events in memory; the HTTP webhook itself is tested in unit tests. */
export class BillingRecorder implements BillingNotifier {
  readonly events: { event: BillingEvent; key: string }[] = [];
  async send(event: BillingEvent, key: string): Promise<void> {
    this.events.push({ event, key });
  }
  types(billingOrderId: string): string[] {
    return this.events.filter((e) => e.event.billingOrderId === billingOrderId).map((e) => e.event.type);
  }
}

/**
 * Stands in for the API's push receiver in workflow tests (the time-skipping server has no
 * visibility list): verifies the simulator's signature and signals the workflows that can
 * care about the CA order — the order, its reissue child, its revoke child.
 */
async function startPushBridge(getClient: () => Client | undefined, sim: () => RunningSimulator | undefined): Promise<{ url: string; close(): Promise<void>; received: number }> {
  const verifier = createHmacPushVerifier(PUSH_SECRET);
  const state = { received: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        if (!verifier.verify(raw, req.headers)) {
          res.writeHead(401).end();
          return;
        }
        const parsed = parsePush(raw);
        const client = getClient();
        const order = parsed.kind === 'order' ? sim()?.state.order(parsed.push.orderId) : undefined;
        if (parsed.kind !== 'order' || !client || !order?.idempotenceId) {
          res.writeHead(404).end();
          return;
        }
        state.received += 1;
        const caOrderId = parsed.push.orderId;
        const m = /^(.+):reissue:(.+)$/.exec(order.idempotenceId);
        const billingId = m ? m[1]! : order.idempotenceId;
        const targets = [orderWorkflowId(billingId), revokeWorkflowId(orderWorkflowId(billingId), caOrderId), boundOrderWorkflowId(orderWorkflowId(billingId), caOrderId)];
        if (m) targets.push(reissueWorkflowId(orderWorkflowId(billingId), m[2]!));
        const signal = { caOrderId, isIssued: parsed.push.isIssued, isRevoked: parsed.push.isRevoked, receivedAt: new Date().toISOString() };
        await Promise.all(targets.map((id) => client.workflow.getHandle(id).signal(caPushedSignal, signal).catch(() => undefined)));
        res.writeHead(200).end('ok');
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`,
    get received() {
      return state.received;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface Harness {
  sim: RunningSimulator;
  issuer: WotrusClient;
  /** The second issuer: WoSign's ACMAPI simulator, reaching customer domains on `web`. */
  acmapi: RunningAcmapiSimulator;
  acmapiIssuer: AcmapiClient;
  /** The customers' web sites (every domain of every order), for the signfile and the reseller's files. */
  web: RunningWebHost;
  /** The third issuer: the reseller platform simulator (`reseller.admin`), validating on `dns` and `web`. */
  reseller: RunningResellerSimulator;
  resellerIssuer: ResellerIssuer;
  /** The customers' DNS: `dns.setCname(fullname, value)` publishes a reseller validation record (also what the worker's `dnsChecker` asks). */
  dns: RunningDnsServer;
  billing: BillingRecorder;
  worker: Worker;
  taskQueue: string;
  /** Runs the worker until `fn` settles. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `dataConverter` (e.g. the payload codec) must match the client's and the bundle's (bundleWorkflows(dataConverter)). */
export async function startHarness(opts: { client: Client; connection: NativeConnection; bundle: WorkflowBundleWithSourceMap; namespace?: string; dataConverter?: DataConverter }): Promise<Harness> {
  const ref: { sim?: RunningSimulator } = {};
  const bridge = await startPushBridge(() => opts.client, () => ref.sim);
  const sim = await startSimulator({ token: TOKEN, adminToken: SIM_ADMIN_TOKEN, pushUrl: bridge.url, pushSecret: PUSH_SECRET, manual: true, pushRetryDelaysMs: [50, 100] });
  ref.sim = sim;
  const issuer = createWotrusClient({ baseUrl: sim.url, token: TOKEN, timeoutMs: 3000, connectTimeoutMs: 1000, connections: 8 });
  const web = await startWebHost();
  const connectTo = { http: web.httpAddress, https: web.httpsAddress };
  const acmapi = await startAcmapiSimulator({ customerId: ACMAPI_CUSTOMER_ID, authToken: ACMAPI_AUTH_TOKEN, signfile: SIGNFILE, connectTo, adminToken: SIM_ADMIN_TOKEN, fetchTimeoutMs: 1000 });
  const acmapiIssuer = createAcmapiClient({ url: acmapi.url, customerId: ACMAPI_CUSTOMER_ID, authToken: ACMAPI_AUTH_TOKEN, signfile: SIGNFILE, chainPems: acmapi.chainPems, timeoutMs: 3000, connectTimeoutMs: 1000, connections: 8 });
  const fileChecker = createHttpFileChecker({ timeoutMs: 1000, connectTo });
  const dns = await startDnsServer();
  const reseller = await startResellerSimulator({ apiKey: RESELLER_API_KEY, adminToken: SIM_ADMIN_TOKEN, connectTo, dnsServers: [dns.address], checkTimeoutMs: 1000 });
  const resellerIssuer = createResellerIssuer({ url: reseller.url, apiKey: RESELLER_API_KEY, levelOf: levelsFromCatalog(testProducts), timeoutMs: 3000, connectTimeoutMs: 1000, connections: 8 });
  const dnsChecker = createDnsCnameChecker({ servers: [dns.address], timeoutMs: 1000 });
  const billing = new BillingRecorder();
  const taskQueue = uniqueId('tq');
  const worker = await createCertflowWorker({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue,
    deps: { issuers: issuerDirectory([issuer, acmapiIssuer, resellerIssuer]), fileChecker, dnsChecker, billing, logger: pino({ level: 'silent' }) },
    workflowBundle: opts.bundle,
    dataConverter: opts.dataConverter,
  });
  const s = sim;
  return {
    sim: s,
    issuer,
    acmapi,
    acmapiIssuer,
    web,
    reseller,
    resellerIssuer,
    dns,
    billing,
    worker,
    taskQueue,
    run: (fn) => worker.runUntil(fn),
    close: async () => {
      await issuer.close();
      await acmapiIssuer.close();
      await resellerIssuer.close();
      await fileChecker.close();
      await dnsChecker.close();
      await s.close();
      await acmapi.close();
      await reseller.close();
      await dns.close();
      await web.close();
      await bridge.close();
    },
  };
}

export async function dvOrder(overrides: Partial<OrderRequestInput> = {}, csrCommonName?: string): Promise<OrderRequestInput> {
  const commonName = overrides.commonName ?? `${uniqueId('www').toLowerCase()}.example.com`;
  const { csrPem } = await generateCsr({ commonName: csrCommonName ?? commonName, keyType: 'ec' });
  return { billingOrderId: uniqueId('B'), productId: SIM_PRODUCT_IDS.rsaDv, commonName, csr: csrPem, month: 12, ...overrides };
}

/** An order for the ACMAPI product; `hosts` are its other names. The web host serves nothing for it yet. */
export async function acmapiOrder(overrides: Partial<OrderRequestInput> = {}): Promise<OrderRequestInput> {
  const commonName = overrides.commonName ?? `${uniqueId('www').toLowerCase()}.example.com`;
  const { csrPem } = await generateCsr({ commonName, keyType: 'ec', sans: overrides.hosts });
  return { billingOrderId: uniqueId('B'), productId: ACMAPI_DEV_PRODUCT_ID, commonName, csr: csrPem, month: 12, ...overrides };
}

/**
 * An order for the reseller DV product (`productId: RESELLER_OV_PRODUCT_ID` and
 * `organization: RESELLER_TEST_ORGANIZATION` for OV); `hosts` are its other names. Nothing is
 * published for it yet: each name waits for its CNAME (`h.dns`) or file (`h.web`).
 */
export async function resellerOrder(overrides: Partial<OrderRequestInput> = {}): Promise<OrderRequestInput> {
  const commonName = overrides.commonName ?? `${uniqueId('www').toLowerCase()}.example.com`;
  const { csrPem } = await generateCsr({ commonName, keyType: 'ec', sans: overrides.hosts });
  return { billingOrderId: uniqueId('B'), productId: RESELLER_DV_PRODUCT_ID, commonName, csr: csrPem, month: 12, ...overrides };
}

/** The simulator's products, as a test deployment lists them (PRODUCTS_FILE unset). */
const testProducts = loadProductCatalogFromConfig({ CERTFLOW_ENV: 'test' });

/** Production durations unless a test says otherwise. */
export function workflowInput(order: OrderRequestInput, policy: OrderPolicyInput = {}): OrderWorkflowInput {
  const parsed = orderRequestSchema.parse(order);
  const product = testProducts.find(parsed.productId);
  if (!product) throw new Error(`product ${parsed.productId} is not in the simulator's products file`);
  return { order: parsed, policy: resolvePolicy(product, policy), collectUrl: `https://certflow.test/v1/orders/${parsed.billingOrderId}/certificate`, issuer: issuerRefFor(product.issuer) };
}

/** Polls a condition in real time (the time-skipping server keeps time locked meanwhile). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
