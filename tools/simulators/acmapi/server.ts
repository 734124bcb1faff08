/**
 * `startAcmapiSimulator`: WoSign's free-SSL ACMAPI (seed 002) as an embeddable server for
 * tests, the fault suite and `npm start` — one `POST /` endpoint that validates every domain's
 * signfile itself and issues real X.509, plus faults, counters, an admin API and /metrics.
 */
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import pino, { type Logger } from 'pino';
import { Pauses } from '../wotrus/routes';
import type { AcmapiAdmin } from './admin-client';
import { registerAdminRoutes } from './admin-routes';
import { ApplicationStore } from './applications';
import { sharedCa } from './ca';
import { createControl } from './control';
import { Counters } from './counters';
import { FaultInjector } from './faults';
import { registerAcmapiMetrics } from './metrics';
import { AcmapiOperations } from './operations';
import { registerAcmapiRoutes } from './routes';
import { LOOPBACK_IPS, type Mode, type Settings, settingsSchema } from './settings';
import { type ConnectTo, SignfileChecker } from './signfile-check';

export interface AcmapiSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** What 101 checks. */
  customerId: string;
  /** What 102 checks. */
  authToken: string;
  /** The content every domain must serve at /.well-known/pki-validation/signfile. */
  signfile: string;
  /** Source addresses allowed to call; default loopback (127.0.0.1, ::1, ::ffff:127.0.0.1); others get 110. */
  allowedIps?: string[];
  /** How the CA reaches customer domains: every domain connects here, Host header and SNI stay the domain. */
  connectTo: ConnectTo;
  /** Bearer token of the admin API; not mounted without it. */
  adminToken?: string;
  /** What a new application gets; default 'success'. */
  mode?: Mode;
  /** A pending application issues on the Nth handle_id ask after it (default 1); 0: only by admin. */
  pendingAsks?: number;
  /** Default 'pem' (the document's example); 'base64der' its table's "base64". */
  certificateFormat?: Settings['certificateFormat'];
  /** Default 90. */
  validityDays?: number;
  /** One scheme's signfile fetch, redirects included; default 5000. */
  fetchTimeoutMs?: number;
  /** Default: silent. */
  logger?: Logger;
}

export interface RunningAcmapiSimulator {
  /** The endpoint certflow POSTs to, e.g. http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  /** Intermediate then root, PEM: the chain certflow is configured with (ACMAPI_CHAIN_FILE). */
  chainPems: string[];
  rootPem: string;
  /** The admin operations in process (the same as the admin HTTP API). */
  admin: AcmapiAdmin;
  close(): Promise<void>;
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startAcmapiSimulator(options: AcmapiSimulatorOptions): Promise<RunningAcmapiSimulator> {
  const log = options.logger ?? pino({ level: 'silent' });
  const host = options.host ?? '127.0.0.1';
  const initial = settingsSchema.parse({
    mode: options.mode ?? 'success',
    pendingAsks: options.pendingAsks ?? 1,
    certificateFormat: options.certificateFormat ?? 'pem',
    credentials: { customerId: options.customerId, authToken: options.authToken },
    allowedIps: options.allowedIps ?? LOOPBACK_IPS,
    validityDays: options.validityDays ?? 90,
    fetchTimeoutMs: options.fetchTimeoutMs ?? 5_000,
  });
  if (!options.signfile.trim()) throw new Error('startAcmapiSimulator: signfile is required');
  let settings = initial;

  const ca = await sharedCa();
  const store = new ApplicationStore();
  const counters = new Counters();
  const faults = new FaultInjector();
  const pauses = new Pauses();
  const checker = new SignfileChecker({ connectTo: options.connectTo, timeoutMs: () => settings.fetchTimeoutMs });
  const ops = new AcmapiOperations({ store, ca, counters, faults, checker, settings: () => settings, signfile: () => options.signfile, log });
  const admin = createControl({
    store,
    ops,
    ca,
    counters,
    faults,
    settings: {
      get: () => settings,
      set: (s) => {
        settings = s;
        log.info({ mode: s.mode, pendingAsks: s.pendingAsks, certificateFormat: s.certificateFormat, allowedIps: s.allowedIps }, 'acmapi simulator: settings changed');
      },
      initial,
    },
  });

  const app = Fastify({
    loggerInstance: log.child({ component: 'acmapi-simulator-http' }) as FastifyBaseLogger,
    // routes.ts logs one line per ACMAPI request; Fastify's own would double it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
  });
  await registerAcmapiRoutes(app, { ops, faults, counters, pauses, log });
  registerAcmapiMetrics(app, { counters, store });
  if (options.adminToken) await registerAdminRoutes(app, { adminToken: options.adminToken, control: admin });
  else log.warn('acmapi simulator: no admin token, admin API disabled');

  try {
    await app.listen({ host, port: options.port ?? 0 });
  } catch (err) {
    await checker.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const url = `http://${displayHost(host)}:${port}/`;
  log.info({ url, connectTo: options.connectTo, admin: Boolean(options.adminToken) }, 'acmapi simulator: listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      pauses.releaseAll();
      await app.close();
      await checker.close();
    })();
    return closing;
  };

  return { url, port, chainPems: ca.chainPems, rootPem: ca.rootPem, admin, close };
}
