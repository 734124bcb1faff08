/**
 * `startSimulator`: the WoTrus-compatible CA as an embeddable server (tests, benchmarks,
 * `npm start`) — PKI, order store, state machines, pushes, faults, WoTrus API and admin API.
 */
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import pino, { type Logger } from 'pino';
import { SIM_PRODUCTS, type SimProduct } from './catalog';
import { Counters, type CountersView } from './counters';
import { FaultInjector, type Faults } from './faults';
import { registerAdminRoutes } from './admin-routes';
import { registerSimulatorMetrics } from './metrics';
import type { SimEmail, SimOrder, SimStatus } from './model';
import { WoTrusOperations } from './operations';
import { Persistence } from './persistence';
import { createPki, loadPki, type Pki, pkiMaterial } from './pki';
import { type PushDelivery, PushSender } from './pushes';
import { Pauses, registerWoTrusRoutes } from './routes';
import { applyPatch, type Delays, defaultSettings, type Settings, type SettingsPatch } from './settings';
import { type DriveAction, type DriveResult, OrderEngine } from './state-machine';
import { OrderStore } from './store';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The partner token: requests must carry `WoTrusToken: <token>`. */
  token: string;
  /** Bearer token of the admin API; without it the admin API is not mounted. */
  adminToken?: string;
  /** Where order-status pushes go; none are sent without it. */
  pushUrl?: string;
  /** HMAC key of the `x-wotrus-signature` header (`signed` mode). */
  pushSecret?: string;
  /** `document`: unsigned, as the WoTrus document shows; `signed`: our HMAC header. Default: `signed` when pushSecret is given, else `document`. */
  pushMode?: Settings['pushMode'];
  /** `orderId` (the document, default) or `orderID` (its OCR copy). */
  pushOrderIdField?: Settings['pushOrderIdField'];
  /** Persist CA keys and orders under `<dataDir>/simulator/`; in memory only when absent. */
  dataDir?: string;
  /** Step delays (ms); `manual: true` means steps advance only through the admin API. */
  delays?: Partial<Delays> & { manual?: boolean };
  /** Same as `delays.manual`. */
  manual?: boolean;
  /** `issue` (default): `issued` as soon as the CA issues; `retrieve`: only once RetrievePem is called. */
  issuedOn?: Settings['issuedOn'];
  /** Waits between push attempts (default [200, 1000]: 3 attempts). */
  pushRetryDelaysMs?: number[];
  /** Per-attempt push timeout (default 2000 ms). */
  pushTimeoutMs?: number;
  /** State file write debounce (default 1000 ms: a snapshot of thousands of orders is megabytes). */
  persistDebounceMs?: number;
  /** Base of pendingLink when the listen address is not what clients use. */
  publicUrl?: string;
  /** Default: silent. */
  logger?: Logger;
  /** Random source of fault injection (tests pin it). */
  random?: () => number;
}

export interface SimulatorState {
  order(id: string): SimOrder | undefined;
  orders(status?: SimStatus): SimOrder[];
  counters(): CountersView;
  resetCounters(): void;
  emails(): readonly SimEmail[];
  pushes(limit?: number): PushDelivery[];
  /** Resolves once no push is being attempted or waiting for a retry. */
  pushesIdle(): Promise<void>;
  settings(): Settings;
  updateSettings(patch: SettingsPatch): Settings;
  faults(): Faults;
  setFaults(faults: Faults): void;
  clearFaults(): void;
  drive(orderId: string, action: DriveAction, reason?: string): Promise<DriveResult>;
  /** Any status (e.g. `pendingAutoIssue`, `unknown`, `pending`), as the admin API's POST /orders/:id/status. */
  forceStatus(orderId: string, status: SimStatus): SimOrder | undefined;
  /** PEMs of both hierarchies (root and intermediate). */
  ca: { rsa: { rootPem: string; intermediatePem: string }; sm2: { rootPem: string; intermediatePem: string } };
  products: readonly SimProduct[];
  /** Writes the state file now (no-op without dataDir). */
  flush(): Promise<void>;
}

export interface RunningSimulator {
  url: string;
  host: string;
  port: number;
  state: SimulatorState;
  close(): Promise<void>;
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * In-memory simulators of one process share a CA: key generation is most of a start, and tests
 * and benchmarks start many. A simulator with a dataDir has its own, persisted CA.
 */
let sharedPki: Promise<Pki> | undefined;

async function preparePki(persistence: Persistence | undefined, log: Logger): Promise<Pki> {
  if (!persistence) {
    sharedPki ??= createPki().catch((err: unknown) => {
      sharedPki = undefined;
      throw err;
    });
    return sharedPki;
  }
  const saved = await persistence.loadCa();
  if (saved) {
    const { upgraded, ...pki } = await loadPki(saved);
    if (upgraded) {
      await persistence.saveCa(pkiMaterial(pki));
      log.warn({ file: persistence.caFile }, 'simulator: replaced the ECDSA stand-in SM2 hierarchy with a real SM2 one; SM2 certificates issued before chain to the old one');
    }
    return pki;
  }
  const pki = await createPki();
  await persistence.saveCa(pkiMaterial(pki));
  log.info({ file: persistence.caFile }, 'simulator: created a new private CA');
  return pki;
}

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  if (!options.token) throw new Error('startSimulator: token is required');
  const log = options.logger ?? pino({ level: 'silent' });
  const host = options.host ?? '127.0.0.1';

  let settings: Settings = applyPatch(defaultSettings(), {
    delays: options.delays ? Object.fromEntries(Object.entries(options.delays).filter(([k]) => k !== 'manual')) : undefined,
    manual: options.manual ?? options.delays?.manual ?? false,
    pushUrl: options.pushUrl ?? null,
    issuedOn: options.issuedOn,
    pushRetryDelaysMs: options.pushRetryDelaysMs,
    pushTimeoutMs: options.pushTimeoutMs,
    pushMode: options.pushMode ?? (options.pushSecret ? 'signed' : 'document'),
    pushOrderIdField: options.pushOrderIdField,
  } as SettingsPatch);

  let persistence: Persistence | undefined;
  const store = new OrderStore(() => persistence?.schedule());
  if (options.dataDir) {
    persistence = new Persistence(options.dataDir, () => store.snapshot(), log, options.persistDebounceMs);
    await persistence.init();
  }
  const pki = await preparePki(persistence, log);
  const saved = await persistence?.loadState();
  if (saved) {
    store.restore(saved);
    log.info({ orders: store.size, file: persistence?.stateFile }, 'simulator: state loaded');
  }

  const counters = new Counters();
  const faults = new FaultInjector(counters, options.random);
  const pushes = new PushSender({
    url: () => settings.pushUrl,
    secret: options.pushSecret,
    mode: () => settings.pushMode,
    orderIdField: () => settings.pushOrderIdField,
    retryDelaysMs: () => settings.pushRetryDelaysMs,
    timeoutMs: () => settings.pushTimeoutMs,
    counters,
    faults,
    log,
  });
  const engine = new OrderEngine({ store, pki, pushes, settings: () => settings, log });
  let baseUrl = options.publicUrl ?? '';
  const ops = new WoTrusOperations({ store, engine, pki, counters, log, baseUrl: () => baseUrl });
  const pauses = new Pauses();

  const updateSettings = (patch: SettingsPatch): Settings => {
    const before = settings;
    settings = applyPatch(settings, patch);
    if (settings.manual && !before.manual) engine.pauseAll();
    if (!settings.manual && before.manual) engine.resumeAll(false);
    log.info({ settings: { ...settings, pushUrl: settings.pushUrl ? '(set)' : null } }, 'simulator: settings changed');
    return settings;
  };

  const app = Fastify({
    loggerInstance: log.child({ component: 'simulator-http' }) as FastifyBaseLogger,
    // One line per WoTrus call is logged by routes.ts, with the RequestID; Fastify's own would double it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 32 * 1024 * 1024,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
  });
  await registerWoTrusRoutes(app, { ops, faults, counters, token: options.token, log, pauses });
  registerSimulatorMetrics(app, { counters, store });
  if (options.adminToken) {
    await registerAdminRoutes(app, { adminToken: options.adminToken, store, engine, counters, faults, pushes, pki, settings: () => settings, updateSettings, baseUrl: () => baseUrl });
  } else {
    log.warn('simulator: no admin token, admin API disabled');
  }
  // The "pendingLink" page where, at WoTrus, the end user would do DCV and upload documents.
  app.get<{ Params: { id: string } }>('/pending/:id', async (req, reply) => {
    const o = store.get(req.params.id);
    if (!o) return reply.code(404).type('text/html; charset=utf-8').send('<h1>订单不存在 (order not found)</h1>');
    return reply
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><meta charset="utf-8"><title>WoTrus simulator order ${escapeHtml(o.id)}</title><h1>${escapeHtml(o.commonName)}</h1><p>Order ${escapeHtml(o.id)} (${escapeHtml(o.orderNumber)}): <b>${escapeHtml(o.status)}</b></p>`);
  });

  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const url = `http://${displayHost(host)}:${port}`;
  baseUrl ||= url;
  engine.resumeAll(true);
  log.info({ url, orders: store.size, persistent: Boolean(persistence), manual: settings.manual }, 'simulator: listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      pauses.releaseAll();
      await engine.close();
      await pushes.close();
      await app.close();
      await persistence?.flush();
    })();
    return closing;
  };

  const [rsaRoot, rsaInter] = pki.rsa.chainPems() as [string, string];
  const [sm2Root, sm2Inter] = pki.sm2.chainPems() as [string, string];
  const state: SimulatorState = {
    order: (id) => store.get(id),
    orders: (status) => store.list(status),
    counters: () => counters.view(),
    resetCounters: () => counters.reset(),
    emails: () => store.emails(),
    pushes: (limit) => pushes.recent(limit),
    pushesIdle: () => pushes.idle(),
    settings: () => settings,
    updateSettings,
    faults: () => faults.view(),
    setFaults: (f) => faults.set(f),
    clearFaults: () => faults.clear(),
    drive: (id, action, reason) => engine.drive(id, action, 'admin', reason),
    forceStatus: (id, status) => {
      const o = store.get(id);
      if (o) engine.force(o, status);
      return o;
    },
    ca: { rsa: { rootPem: rsaRoot, intermediatePem: rsaInter }, sm2: { rootPem: sm2Root, intermediatePem: sm2Inter } },
    products: SIM_PRODUCTS,
    flush: async () => {
      await persistence?.flush();
    },
  };

  return { url, host, port, state, close };
}
