/**
 * The one place that wires certflow's processes for development: the Temporal engine (dev
 * server, or the Java time-skipping test server), the WoTrus simulator pushing to the API,
 * the WoSign ACMAPI simulator with the customers' web host (./acmapi.ts), the reseller platform
 * simulator with the customers' DNS (./reseller.ts), the API, and the
 * worker (in this process or as a child). Small functions, each used by
 * several of `npm start` (scripts/start.ts), the tests (test/support), the fault suite
 * (test/faults/support) and the benchmark (bench/stack.ts); each caller keeps its own shape.
 */
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { type ClientOptionsForTestEnv, TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { type ActivityDeps, issuerDirectory } from '../../src/activities';
import { apiListenOptions, buildApi } from '../../src/api/server';
import { closeIssuers, createIssuersFromConfig } from '../../src/ca/issuer-from-config';
import { createFileCheckerFromConfig } from '../../src/validation/http-file-check';
import { createDnsCheckerFromConfig } from '../../src/validation/dns-cname-check';
import { codecAuthFromConfig, codecCorsOrigins, codecDevAccess } from '../../src/codec/codec-server';
import { type Config, parseConfig } from '../../src/config';
import { createOrderService, type OrderService, type OrderServiceDeps } from '../../src/orders/order-service';
import { loadProductCatalogFromConfig } from '../../src/products-file';
import { connectClient } from '../../src/temporal/connection';
import { createCodecFromConfig, createDataConverter } from '../../src/temporal/data-converter';
import { bundleWorkflows, type CertflowWorkerOptions, createCertflowWorker } from '../../src/worker-factory';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { type DevServerOptions, type RunningDevServer, startDevServer } from '../engine/dev-server';
import { locateTemporalCli } from '../engine/locator';
import { freePort } from '../engine/ports';
import type { Progress } from '../engine/progress';
import { ensureTestServer } from '../engine/test-server';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../simulators/wotrus/server';
import { type AcmapiStack, type AcmapiStackOptions, startAcmapiStack } from './acmapi';
import { type ResellerStack, type ResellerStackOptions, startResellerStack } from './reseller';

export const ROOT = path.resolve(__dirname, '../..');

/** The process entry points, relative to ROOT. */
export const ENTRIES = {
  worker: 'src/worker.ts',
  api: 'src/api/main.ts',
  simulator: 'tools/simulators/wotrus/main.ts',
} as const;

// ---------------------------------------------------------------------------------------------
// Secrets and configuration

/** The secrets one stack shares between its parts (also the layout of `npm start`'s dev-secrets.json). */
export interface StackSecrets {
  apiKey: string;
  operatorToken: string;
  caToken: string;
  simulatorAdminToken: string;
  pushSecret: string;
  /** base64 of 32 random bytes (one AES-256-GCM payload codec key). */
  codecKey: string;
  downloadLinkSecret?: string;
  /** ACMAPI_AUTH_TOKEN (the ACMAPI simulator's auth_token). */
  acmapiAuthToken: string;
  /** ACMAPI_SIGNFILE: the content every domain of an ACMAPI order serves. */
  acmapiSignfile: string;
  /** RESELLER_API_KEY (what the reseller simulator's auth header must carry). */
  resellerApiKey: string;
  /** RESELLER_NOTIFY_TOKEN: the secret in the notify_url the reseller simulator calls back. */
  resellerNotifyToken: string;
}

export function randomSecrets(apiKeyPrefix = 'key_'): Required<StackSecrets> {
  const r = (n: number): string => randomBytes(n).toString('base64url');
  return {
    apiKey: `${apiKeyPrefix}${r(24)}`,
    operatorToken: r(24),
    caToken: r(24),
    simulatorAdminToken: r(24),
    pushSecret: r(32),
    codecKey: randomBytes(32).toString('base64'),
    downloadLinkSecret: r(24),
    acmapiAuthToken: r(24),
    acmapiSignfile: `certflow-signfile-${r(18)}`,
    resellerApiKey: r(24),
    resellerNotifyToken: r(24),
  };
}

/** The API_KEYS entry for a key: stored hashed, with a name for logs. */
export function apiKeyEntry(name: string, apiKey: string): string {
  return `${name}:${createHash('sha256').update(apiKey).digest('hex')}`;
}

/** Where the simulator pushes: the API's WoTrus push receiver. */
export function pushUrl(apiUrl: string): string {
  return `${apiUrl}/v1/ca/wotrus/push`;
}

/** CA_BASE_URL until the simulator listens (the API is built first, so the simulator knows where to push). */
export const CA_URL_PLACEHOLDER = 'http://127.0.0.1:1';

export interface ServiceEnvOptions {
  secrets: StackSecrets;
  /** Name of the API key in API_KEYS. */
  keyName: string;
  publicBaseUrl: string;
  temporalAddress?: string;
  taskQueue?: string;
  caBaseUrl?: string;
  /** Codec key id, or false for no payload codec. */
  codecKeyId: string | false;
  /** OPERATOR_TOKEN (codec endpoints) and DOWNLOAD_LINK_SECRET (signed collect links); default true. */
  operator?: boolean;
  /** CA_PUSH_VERIFY: `none` (default, the document's unsigned pushes) or `hmac` (with CA_PUSH_SECRET). */
  pushVerify?: 'none' | 'hmac';
}

/** certflow's configuration (src/config.ts variables) for one stack's worker and API. */
export function serviceEnv(o: ServiceEnvOptions): Record<string, string> {
  const s = o.secrets;
  return {
    ...(o.temporalAddress ? { TEMPORAL_ADDRESS: o.temporalAddress } : {}),
    ...(o.taskQueue ? { TEMPORAL_TASK_QUEUE: o.taskQueue } : {}),
    API_KEYS: apiKeyEntry(o.keyName, s.apiKey),
    CA_BASE_URL: o.caBaseUrl ?? CA_URL_PLACEHOLDER,
    CA_TOKEN: s.caToken,
    ...(o.pushVerify === 'hmac' ? { CA_PUSH_VERIFY: 'hmac', CA_PUSH_SECRET: s.pushSecret } : {}),
    PUBLIC_BASE_URL: o.publicBaseUrl,
    ...(o.codecKeyId === false ? {} : { CODEC_KEYS: `${o.codecKeyId}:${s.codecKey}`, CODEC_CURRENT_KEY_ID: o.codecKeyId }),
    ...(o.operator === false ? {} : { OPERATOR_TOKEN: s.operatorToken, ...(s.downloadLinkSecret ? { DOWNLOAD_LINK_SECRET: s.downloadLinkSecret } : {}) }),
  };
}

/** The standalone simulator's settings (tools/simulators/wotrus/env.ts) matching a stack. */
export function simulatorEnv(o: { secrets: StackSecrets; port: number | string; apiUrl: string; pushVerify?: 'none' | 'hmac' }): Record<string, string> {
  return {
    SIMULATOR_PORT: String(o.port),
    CA_TOKEN: o.secrets.caToken,
    // The document's unsigned pushes unless the API verifies our signature.
    ...(o.pushVerify === 'hmac' ? { SIMULATOR_PUSH_MODE: 'signed', CA_PUSH_SECRET: o.secrets.pushSecret } : { SIMULATOR_PUSH_MODE: 'document' }),
    SIMULATOR_ADMIN_TOKEN: o.secrets.simulatorAdminToken,
    SIMULATOR_PUSH_URL: pushUrl(o.apiUrl),
  };
}

// ---------------------------------------------------------------------------------------------
// Engine

export interface EngineOptions extends Partial<Omit<DevServerOptions, 'cliPath'>> {
  /** Skips the locator (a restart on the same CLI). */
  cliPath?: string;
  progress?: Progress;
}

export type Engine = RunningDevServer & { cliPath: string; port: number };

/**
 * A Temporal dev server from the per-user engine cache (certflow's search attributes
 * registered, see devServerArgs): on a free port unless one is given, headless unless a UI
 * port is given, in memory unless `dbFile` is given.
 */
export async function startEngine(o: EngineOptions = {}): Promise<Engine> {
  const { cliPath: given, progress, ...rest } = o;
  let cliPath = given;
  if (!cliPath) {
    const cli = await locateTemporalCli({ progress });
    progress?.(`Temporal CLI: ${cli.path} (${cli.source})`);
    cliPath = cli.path;
  }
  const port = o.port || (await freePort());
  const server = await startDevServer({ ...rest, cliPath, port, headless: o.headless ?? o.uiPort === undefined });
  return { ...server, cliPath, port };
}

/** The Java time-skipping test server (per-user cache, never the SDK's download), with certflow's search attributes. */
export async function startTimeSkipping(options: { client?: ClientOptionsForTestEnv; launcher?: string } = {}): Promise<TestWorkflowEnvironment> {
  const launcher = options.launcher ?? (await ensureTestServer());
  // The SDK already passes `<port> --enable-time-skipping`; adding the flag again makes the
  // server time every workflow out at once, so extraArgs stays empty.
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: launcher } }, client: options.client });
  // The test server validates upserts against registered attributes, like a real cluster.
  const types: Record<string, temporal.api.enums.v1.IndexedValueType> = {
    Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, types[type]!])),
  });
  return env;
}

/** Whether the task queue has pollers (of the given types, default workflow; of one process when `pid` is given). */
export async function isPolling(
  service: Pick<Client, 'workflowService'>,
  namespace: string,
  taskQueue: string,
  o: { types?: temporal.api.enums.v1.TaskQueueType[]; pid?: number } = {},
): Promise<boolean> {
  const types = o.types ?? [temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW];
  const found = await Promise.all(
    types.map(async (taskQueueType) => {
      const r = await service.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType });
      // The SDK's default identity is `<pid>@<host>`.
      return (r.pollers ?? []).some((p) => o.pid === undefined || p.identity?.startsWith(`${o.pid}@`));
    }),
  );
  return found.every(Boolean);
}

// ---------------------------------------------------------------------------------------------
// API and simulator in this process

export type ApiCall = (path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }) => Promise<Response>;

/** Authorised JSON fetch against an API. */
export function apiCaller(apiUrl: string, apiKey: string): ApiCall {
  return (p, init = {}) =>
    fetch(`${apiUrl}${p}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${apiKey}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
}

export interface FrontOptions {
  /** certflow variables (serviceEnv and extras); CA_BASE_URL is replaced by the simulator's URL. */
  env: Record<string, string>;
  secrets: StackSecrets;
  logger?: Logger;
  /** Passed to startSimulator over the defaults (token, admin token, push URL and secret). */
  simulator?: Partial<SimulatorOptions>;
  /** /readyz asks Temporal, as src/api/main.ts does (else always ready). */
  readiness?: boolean;
  /** The API's order service from its dependencies (default createOrderService). */
  orders?: (deps: OrderServiceDeps) => OrderService;
  /** Where the API listens (default a free port): a Web UI started first already points its codec endpoint here. */
  apiPort?: number;
  /**
   * The ACMAPI simulator and the customers' web host (startAcmapiStack; secrets from `secrets`,
   * chain in a temporary file), options over those; false: neither (no ACMAPI issuer).
   */
  acmapi?: false | Partial<AcmapiStackOptions>;
  /**
   * The reseller platform simulator and the customers' DNS server (startResellerStack; API
   * key and notify token from `secrets`, files on the ACMAPI stack's web host), options over
   * those; false: neither (no reseller issuer).
   */
  reseller?: false | Partial<ResellerStackOptions>;
}

/** The API (on a random port), the simulator pushing to it, the ACMAPI and reseller simulators, with their Temporal client. */
export interface Front {
  /** `env` with CA_BASE_URL pointing at the simulator, the ACMAPI variables (AcmapiStack.env) unless `acmapi: false`, the reseller ones (ResellerStack.env) unless `reseller: false`. */
  env: Record<string, string>;
  config: Config;
  client: Client;
  orders: OrderService;
  app: FastifyInstance;
  apiUrl: string;
  sim: RunningSimulator;
  /** The ACMAPI simulator and the web host (absent with `acmapi: false`). */
  acmapi?: AcmapiStack;
  /** The reseller simulator and the DNS server (absent with `reseller: false`). */
  reseller?: ResellerStack;
  api: ApiCall;
  close(): Promise<void>;
}

export async function startFront(o: FrontOptions): Promise<Front> {
  const logger = o.logger ?? pino({ level: 'silent' });
  const preliminary = parseConfig(o.env);
  const client = await connectClient(preliminary);
  const deps: OrderServiceDeps = { client, taskQueue: preliminary.TEMPORAL_TASK_QUEUE, products: loadProductCatalogFromConfig(preliminary), publicBaseUrl: preliminary.PUBLIC_BASE_URL!, collectLinkSecret: preliminary.DOWNLOAD_LINK_SECRET };
  const orders = (o.orders ?? createOrderService)(deps);
  const codec = createCodecFromConfig(preliminary);
  const codecAuth = codecAuthFromConfig(preliminary);
  const openToLocalUi = codecDevAccess(preliminary);
  const app = await buildApi({
    config: preliminary,
    orders,
    logger,
    ready: o.readiness
      ? async () => {
          await client.withDeadline(Date.now() + 2_000, () => client.workflowService.getSystemInfo({}));
          return true;
        }
      : undefined,
    codec: codec && (codecAuth || openToLocalUi) ? { codec, ...codecAuth, openToLocalUi, corsOrigins: codecCorsOrigins(preliminary) } : undefined,
  });
  const apiUrl = await app.listen(apiListenOptions(preliminary, { host: '127.0.0.1', port: o.apiPort ?? 0 }));
  const sim = await startSimulator({
    token: o.secrets.caToken,
    adminToken: o.secrets.simulatorAdminToken,
    pushUrl: pushUrl(apiUrl),
    // Signed only for an API that checks signatures, with the secret it checks; otherwise as the WoTrus document shows.
    pushSecret: preliminary.CA_PUSH_SECRET ?? o.secrets.pushSecret,
    pushMode: preliminary.CA_PUSH_VERIFY === 'hmac' ? 'signed' : 'document',
    ...o.simulator,
  });
  let acmapi: AcmapiStack | undefined;
  let reseller: ResellerStack | undefined;
  try {
    if (o.acmapi !== false) acmapi = await startAcmapiStack({ authToken: o.secrets.acmapiAuthToken, signfile: o.secrets.acmapiSignfile, adminToken: o.secrets.simulatorAdminToken, ...o.acmapi });
    if (o.reseller !== false) {
      reseller = await startResellerStack({ apiKey: o.secrets.resellerApiKey, notifyToken: o.secrets.resellerNotifyToken, adminToken: o.secrets.simulatorAdminToken, web: acmapi?.web, ...o.reseller });
    }
  } catch (err) {
    await app.close();
    await sim.close();
    await acmapi?.close();
    await client.connection.close();
    throw err;
  }
  const env = { ...o.env, CA_BASE_URL: sim.url, ...acmapi?.env, ...reseller?.env };
  return {
    env,
    config: parseConfig(env),
    client,
    orders,
    app,
    apiUrl,
    sim,
    acmapi,
    reseller,
    api: apiCaller(apiUrl, o.secrets.apiKey),
    close: async () => {
      await app.close();
      await sim.close();
      // The reseller stack first: it may check files on the ACMAPI stack's web host.
      await reseller?.close();
      await acmapi?.close();
      await client.connection.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Workers

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

export interface InProcessWorker {
  worker: Worker;
  close(): Promise<void>;
}

/** certflow's worker in this process (workflow bundle built once per process and codec mode). */
export async function startInProcessWorker(
  config: Config,
  o: { deps?: Omit<ActivityDeps, 'issuers' | 'logger'>; logger?: Logger; tuning?: CertflowWorkerOptions['tuning'] } = {},
): Promise<InProcessWorker> {
  const logger = o.logger ?? pino({ level: 'silent' });
  const dataConverter = createDataConverter(config);
  const key = dataConverter.failureConverterPath ?? 'plain';
  if (!bundles.has(key)) bundles.set(key, bundleWorkflows(dataConverter));
  const issuers = createIssuersFromConfig(config, logger, loadProductCatalogFromConfig(config));
  const fileChecker = createFileCheckerFromConfig(config);
  const dnsChecker = createDnsCheckerFromConfig(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createCertflowWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: { ...o.deps, issuers: issuerDirectory(issuers), fileChecker, dnsChecker, logger },
    dataConverter,
    workflowBundle: await bundles.get(key)!,
    tuning: o.tuning,
  });
  const run = worker.run();
  return {
    worker,
    close: async () => {
      worker.shutdown();
      await run;
      await closeIssuers(issuers);
      await fileChecker.close();
      await dnsChecker.close();
      await connection.close();
    },
  };
}

/** `node [nodeArgs] [--import tsx] <entry>` in ROOT: a TypeScript entry through tsx, compiled JavaScript as is. */
export function spawnNode(entry: string, o: { env: NodeJS.ProcessEnv; stdio?: StdioOptions; nodeArgs?: string[] }): ChildProcess {
  const file = path.resolve(ROOT, entry);
  const loader = file.endsWith('.ts') ? ['--import', 'tsx'] : [];
  return spawn(process.execPath, [...(o.nodeArgs ?? []), ...loader, file], { cwd: ROOT, env: o.env, stdio: o.stdio ?? ['ignore', 'pipe', 'pipe'] });
}
