/**
 * `startWosignDocSimulator`: WoSign's document-signing platform (seed 003) as an embeddable
 * server for tests and stacks — `POST /` over HTTPS with mutual TLS (only its own client CA
 * trusted), `CreateSignOrder` checked from the document, a simulated signing after a delay,
 * `PushSignedDoc` to the callback address repeated until answered `1`, faults, counters, and
 * an admin API on a separate plain-HTTP listener (the platform's port admits only client
 * certificates).
 */
import type { Server as HttpsServer } from 'node:https';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import pino, { type Logger } from 'pino';
import { Pauses } from '../wotrus/routes';
import { type CaView, type IssueClientOptions, type WosignDocAdmin } from './admin-client';
import { registerAdminRoutes } from './admin-routes';
import { createControl } from './control';
import { Counters } from './counters';
import { FaultInjector } from './faults';
import { WosignDocOperations } from './operations';
import { OrderStore } from './orders';
import { PushSender } from './pushes';
import { registerWosignDocRoutes } from './routes';
import { applySettingsPatch, DEFAULT_SETTINGS, type SettingsPatch } from './settings';
import { Signer } from './signing';
import { ClientRegistry, describeCertificate, foreignClientCertificate, type IssuedCertificate, type IssueOptions, pemFingerprint, sharedPki, type WosignDocCaMaterial, WosignDocPki } from './tls';
import { tokenSpecSchema, type TokenSpec, TokenStore } from './tokens';

/** 48 MiB: a 20 MiB document is 28 MiB of base64, with room for pictures and stamps. */
export const DEFAULT_BODY_LIMIT = 48 * 1024 * 1024;

export interface WosignDocSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** The platform's HTTPS port; 0 (default): a free port. */
  port?: number;
  /** The admin listener's port (plain HTTP, same host); 0 (default): a free port. Only with `adminToken`. */
  adminPort?: number;
  /** Bearer token of the admin API; no admin listener without it (the in-process `admin` always works). */
  adminToken?: string;
  /** API users: a tokenid (enabled, unlimited balance) or its spec. At least one. */
  tokens: readonly (string | TokenSpec)[];
  /** Where `PushSignedDoc` goes (settings `callbackUrl`); default none: signed, not pushed. */
  callbackUrl?: string | null;
  /** Trust for an https:// callback address. */
  callbackCaPem?: string;
  /** The server and client CAs; default a pair shared by in-process simulators. */
  ca?: WosignDocCaMaterial;
  /** The initial client certificate (issued by `ca.client`); default a new one, CN `clientCommonName`. */
  clientCertificate?: { certPem: string; keyPem: string };
  /** Default `certflow`. */
  clientCommonName?: string;
  /** Extra subjectAltNames of the server certificate (localhost, 127.0.0.1, ::1 and `host` always). */
  serverNames?: string[];
  /** Largest create body; default DEFAULT_BODY_LIMIT (48 MiB). */
  bodyLimitBytes?: number;
  /** Shorthands for the settings of the same names. */
  signingDelayMs?: number;
  pushRetryDelaysMs?: number[];
  pushTimeoutMs?: number;
  /** Any other start settings (settings.ts). */
  settings?: SettingsPatch;
  /** Default: silent. */
  logger?: Logger;
}

export interface RunningWosignDocSimulator {
  /** The endpoint certflow POSTs to, e.g. https://127.0.0.1:PORT/ */
  url: string;
  port: number;
  /** The admin listener, e.g. http://127.0.0.1:PORT/ (its routes under /admin); undefined without `adminToken`. */
  adminUrl?: string;
  /** The server CA's root, PEM: what certflow pins. */
  caPem: string;
  /** Server CA root, then intermediate. */
  serverCaPems: string[];
  /** The server's certificate, then its intermediate. */
  serverCertPem: string;
  /** Client CA root, then intermediate: the only CA client certificates are accepted from. */
  clientCaPems: string[];
  /** certflow's client certificate (leaf, then intermediate) and its PKCS#8 key, authorised. */
  clientCertPem: string;
  clientKeyPem: string;
  clientCertificateFingerprint: string;
  /** Both CAs with their keys: start another simulator (or a restart) with the same trust. */
  caMaterial(): WosignDocCaMaterial;
  /** The admin operations in process (the same as the admin HTTP API). */
  admin: WosignDocAdmin;
  /** Another client certificate from this simulator's client CA (authorised unless `authorized: false`). */
  issueClientCertificate(o?: IssueClientOptions): Promise<IssuedCertificate>;
  /** A certificate from a CA no simulator trusts (same names as the client CA): refused at the TLS layer. */
  foreignClientCertificate(o?: IssueOptions): Promise<IssuedCertificate>;
  close(): Promise<void>;
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function portOf(app: FastifyInstance | { server: HttpsServer }, fallback: number): number {
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : fallback;
}

export async function startWosignDocSimulator(options: WosignDocSimulatorOptions): Promise<RunningWosignDocSimulator> {
  const log = options.logger ?? pino({ level: 'silent' });
  const host = options.host ?? '127.0.0.1';
  const tokenSpecs = options.tokens.map((t) => tokenSpecSchema.parse(typeof t === 'string' ? { tokenid: t } : t));
  if (tokenSpecs.length === 0) throw new Error('startWosignDocSimulator: at least one tokenid is required');
  const shorthands: SettingsPatch = {
    ...(options.callbackUrl !== undefined ? { callbackUrl: options.callbackUrl } : {}),
    ...(options.signingDelayMs !== undefined ? { signingDelayMs: options.signingDelayMs } : {}),
    ...(options.pushRetryDelaysMs !== undefined ? { pushRetryDelaysMs: options.pushRetryDelaysMs } : {}),
    ...(options.pushTimeoutMs !== undefined ? { pushTimeoutMs: options.pushTimeoutMs } : {}),
  };
  const initial = applySettingsPatch(DEFAULT_SETTINGS, { ...options.settings, ...shorthands });
  let settings = initial;

  const pki = options.ca ? await WosignDocPki.create(options.ca) : await sharedPki();
  const clients = new ClientRegistry();
  const serverNames = ['localhost', '127.0.0.1', '::1', ...(host === '0.0.0.0' || host === '::' ? [] : [host]), ...(options.serverNames ?? [])];
  const [serverCert, client] = await Promise.all([
    pki.serverCertificate(serverNames),
    options.clientCertificate
      ? Promise.resolve(options.clientCertificate)
      : pki.clientCertificate({ commonName: options.clientCommonName ?? 'certflow' }),
  ]);
  const clientFingerprint = pemFingerprint(client.certPem);
  clients.add('fingerprint' in client ? (client as IssuedCertificate) : describeCertificate(client.certPem), { authorized: true, initial: true });

  const store = new OrderStore();
  const tokens = new TokenStore(tokenSpecs);
  const counters = new Counters();
  const faults = new FaultInjector();
  const pauses = new Pauses();
  const pushes = new PushSender({ store, counters, faults, settings: () => settings, callbackCaPem: options.callbackCaPem, log });
  const signer = new Signer({ store, counters, faults, pushes, settings: () => settings, log });
  const ops = new WosignDocOperations({ store, tokens, counters, signer: () => signer, settings: () => settings, log });
  const issue = async (o: IssueOptions, authorized: boolean): Promise<IssuedCertificate> => {
    const c = await pki.clientCertificate(o);
    clients.add(c, { authorized, initial: false });
    return c;
  };
  const ca: CaView = { caPem: pki.caPem, serverCaPems: pki.serverCaPems, clientCaPems: pki.clientCaPems, clientCertPem: client.certPem, clientCertificateFingerprint: clientFingerprint };
  const admin = createControl({
    store,
    tokens,
    counters,
    faults,
    signer,
    pushes,
    clients,
    issue,
    ca,
    settings: {
      get: () => settings,
      set: (s) => {
        settings = s;
        log.info({ callbackUrl: s.callbackUrl, signingDelayMs: s.signingDelayMs }, 'wosigndoc simulator: settings changed');
      },
      initial,
    },
  });

  const api = Fastify({
    loggerInstance: log.child({ component: 'wosigndoc-simulator-https' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
    https: {
      key: serverCert.keyPem,
      cert: serverCert.certPem,
      // Only the client CA (root and intermediate, so a client may send its leaf alone).
      ca: pki.clientCaPems,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
  });
  api.server.on('tlsClientError', (err: Error & { code?: string }) => {
    counters.tlsRefused++;
    log.info({ reason: err.code ?? err.message }, 'wosigndoc simulator: TLS handshake refused');
  });
  await registerWosignDocRoutes(api as unknown as FastifyInstance, { ops, faults, counters, clients, pauses, log });

  let adminApp: FastifyInstance | undefined;
  if (options.adminToken) {
    adminApp = Fastify({ loggerInstance: log.child({ component: 'wosigndoc-simulator-admin' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
    await registerAdminRoutes(adminApp, { adminToken: options.adminToken, control: admin });
  } else log.warn('wosigndoc simulator: no admin token, admin API disabled');

  try {
    await api.listen({ host, port: options.port ?? 0 });
    if (adminApp) await adminApp.listen({ host, port: options.adminPort ?? 0 });
  } catch (err) {
    await api.close();
    await adminApp?.close();
    await pushes.close();
    throw err;
  }
  const port = portOf(api, options.port ?? 0);
  const url = `https://${displayHost(host)}:${port}/`;
  const adminUrl = adminApp ? `http://${displayHost(host)}:${portOf(adminApp, options.adminPort ?? 0)}/` : undefined;
  log.info({ url, adminUrl, callbackUrl: settings.callbackUrl }, 'wosigndoc simulator: listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      pauses.releaseAll();
      signer.clear();
      await api.close();
      await adminApp?.close();
      await pushes.close();
    })();
    return closing;
  };

  return {
    url,
    port,
    ...(adminUrl ? { adminUrl } : {}),
    caPem: pki.caPem,
    serverCaPems: pki.serverCaPems,
    serverCertPem: serverCert.certPem,
    clientCaPems: pki.clientCaPems,
    clientCertPem: client.certPem,
    clientKeyPem: client.keyPem,
    clientCertificateFingerprint: clientFingerprint,
    caMaterial: () => pki.material(),
    admin,
    issueClientCertificate: (o) => admin.issueClientCertificate(o),
    foreignClientCertificate: (o) => foreignClientCertificate(o),
    close,
  };
}
