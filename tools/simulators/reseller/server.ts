/**
 * `startResellerSimulator`: the reseller platform (seed 004) as an embeddable server — the
 * documented reissue, the inferred create and status read (src/ca/reseller/inferred.ts;
 * products: products.ts), real X.509,
 * the document's rules checked independently, per-domain validation checked for real (DNS
 * through `dnsServers`, files through `connectTo`, e-mail by admin), charging by `unique_id`,
 * `notify_url` callbacks, faults, counters and an admin API. Started by tools/stack/reseller.ts.
 */
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import pino, { type Logger } from 'pino';
import { INFERRED, RESELLER_DEFAULT_AUTH_HEADER } from '../../../src/ca/reseller/inferred';
import type { ConnectTo } from '../acmapi/signfile-check';
import { Pauses } from '../wotrus/routes';
import type { ResellerAdmin } from './admin-client';
import { registerResellerAdminRoutes } from './admin-routes';
import { sharedResellerCa } from './ca';
import { CallbackSender } from './callbacks';
import { DomainChecks } from './checks';
import { createResellerControl } from './control';
import { ResellerCounters } from './counters';
import { ResellerFaultInjector } from './faults';
import { registerResellerRoutes } from './routes';
import type { ResellerSimProduct } from './products';
import { type PendingPublication, ServiceStore } from './services';

export interface ResellerSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** What the auth header must carry, verbatim. */
  apiKey: string;
  /** INFERRED: default `RESELLER_DEFAULT_AUTH_HEADER` (src/ca/reseller/inferred.ts). */
  authHeader?: string;
  /** Bearer token of the admin API; not mounted without it (the in-process admin always works). */
  adminToken?: string;
  /** The web host: every http(s) file fetch connects here, Host and SNI stay the domain. */
  connectTo: ConnectTo;
  /** The DNS servers (host:port) CNAMEs are resolved through. */
  dnsServers: string[];
  /** One callback attempt; default 2000. */
  notifyTimeoutMs?: number;
  /** One DNS or file check; default 2000. */
  checkTimeoutMs?: number;
  /** What the create sells; default RESELLER_SIM_PRODUCTS (the dev products file's reseller GUIDs). */
  products?: readonly ResellerSimProduct[];
  /** Development stacks: every dns or file domain left pending, for a stand-in customer to publish (tools/stack/reseller.ts `customerPublishes`). */
  onPending?: (p: PendingPublication) => void;
  /** Default: silent. */
  logger?: Logger;
}

export interface RunningResellerSimulator {
  /** The base URL certflow's reseller client is configured with, e.g. http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Intermediate then root, PEM (`ca_pem` is these concatenated). */
  chainPems: string[];
  rootPem: string;
  admin: ResellerAdmin;
  close(): Promise<void>;
}

export async function startResellerSimulator(options: ResellerSimulatorOptions): Promise<RunningResellerSimulator> {
  const log = options.logger ?? pino({ level: 'silent' });
  if (!options.apiKey.trim()) throw new Error('startResellerSimulator: apiKey is required');
  if (options.dnsServers.length === 0) throw new Error('startResellerSimulator: dnsServers is required');
  const host = options.host ?? '127.0.0.1';
  const ca = await sharedResellerCa();
  const counters = new ResellerCounters();
  const faults = new ResellerFaultInjector();
  const pauses = new Pauses();
  const checks = new DomainChecks({ connectTo: options.connectTo, dnsServers: options.dnsServers, timeoutMs: options.checkTimeoutMs ?? 2_000 });
  const callbacks = new CallbackSender({ timeoutMs: options.notifyTimeoutMs ?? 2_000, counters, log });
  const store = new ServiceStore({ ca, checks, counters, callbacks, log, products: options.products, onPending: options.onPending });
  const admin = createResellerControl({ store, ca, counters, faults, callbacks });

  const app = Fastify({
    loggerInstance: log.child({ component: 'reseller-simulator-http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
  });
  await registerResellerRoutes(app, { store, faults, counters, pauses, apiKey: options.apiKey, authHeader: options.authHeader ?? RESELLER_DEFAULT_AUTH_HEADER, log });
  if (options.adminToken) await registerResellerAdminRoutes(app, { adminToken: options.adminToken, admin });

  const shutdown = async (): Promise<void> => {
    pauses.releaseAll();
    callbacks.close();
    await app.close();
    await checks.close();
  };
  try {
    await app.listen({ host, port: options.port ?? 0 });
  } catch (err) {
    await shutdown();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}`;
  log.info({ url, inferred: INFERRED, connectTo: options.connectTo, dnsServers: options.dnsServers }, 'reseller simulator: listening (paths, auth, create, status read, callbacks, products are inferred)');

  let closing: Promise<void> | undefined;
  return { url, port, chainPems: ca.chainPems, rootPem: ca.rootPem, admin, close: () => (closing ??= shutdown()) };
}
