/**
 * The WoSignDoc simulator's admin operations: one interface, two implementations — the
 * in-process one (`RunningWosignDocSimulator.admin`, control.ts) and this HTTP client for the
 * admin listener (plain HTTP on its own port: the platform's port admits only client
 * certificates). Both throw WosignDocAdminError on refusal (404 unknown order, token or
 * certificate, 409 a re-push that cannot be, 400 invalid settings/faults/patch, 401 wrong
 * admin token).
 */
import { SimulatorAdminError } from '../wotrus/admin-client';
import type { CountersView } from './counters';
import type { Faults } from './faults';
import type { OrderView, SignState } from './orders';
import type { Settings, SettingsPatch } from './settings';
import type { ClientCertificateView, IssuedCertificate, IssueOptions } from './tls';
import type { TokenPatch, TokenView } from './tokens';

export class WosignDocAdminError extends SimulatorAdminError {
  constructor(status: number, body: string, what: string) {
    super(status, body, `(wosigndoc) ${what}`);
    this.name = 'WosignDocAdminError';
  }
}

/** Options of an extra client certificate; `authorized: false` is one WoSign never configured (-80). */
export interface IssueClientOptions {
  commonName?: string;
  /** ISO time or Date; default now − 1 minute. */
  notBefore?: string | Date;
  notAfter?: string | Date;
  /** Default 365. */
  validityDays?: number;
  /** Default true. */
  authorized?: boolean;
}

export interface CaView {
  /** The server CA's root: what certflow pins. */
  caPem: string;
  /** Server CA root, then intermediate. */
  serverCaPems: string[];
  /** Client CA root, then intermediate: the only CA client certificates are accepted from. */
  clientCaPems: string[];
  /** The initial client certificate (leaf, then intermediate); its key is only in process or in files main.ts writes. */
  clientCertPem: string;
  clientCertificateFingerprint: string;
}

export interface WosignDocAdmin {
  counters(): Promise<CountersView>;
  /** Every order held, oldest first. */
  orders(filter?: { state?: SignState }): Promise<OrderView[]>;
  /** One order by the caller's `orderNumber`: state, signid, hashes, pushes and their attempts. */
  order(orderNumber: string): Promise<OrderView>;
  /** A new round of pushes for a signed or failed order whose pushes were given up or never sent (409 while signing or once acknowledged). */
  repush(orderNumber: string): Promise<OrderView>;
  settings(): Promise<Settings>;
  updateSettings(patch: SettingsPatch): Promise<Settings>;
  faults(): Promise<Faults>;
  /** Replaces the armed faults. */
  setFaults(faults: Faults): Promise<Faults>;
  clearFaults(): Promise<Faults>;
  tokens(): Promise<TokenView[]>;
  /** Creates the token when new (enabled, unlimited unless the patch says otherwise). */
  updateToken(tokenid: string, patch: TokenPatch): Promise<TokenView>;
  /** null: unlimited; below `pricePerSigning`: -68. */
  setBalance(tokenid: string, balance: number | null): Promise<TokenView>;
  disableToken(tokenid: string): Promise<TokenView>;
  enableToken(tokenid: string): Promise<TokenView>;
  /** The client certificates issued (or given), with their authorisation. */
  certificates(): Promise<ClientCertificateView[]>;
  /** A new client certificate from the simulator's client CA, with its key. */
  issueClientCertificate(o?: IssueClientOptions): Promise<IssuedCertificate>;
  /** Revoked: its creates answer -80 (the TLS layer still admits it). */
  revokeClientCertificate(fingerprint: string): Promise<ClientCertificateView>;
  /** Authorised and not revoked. */
  authorizeClientCertificate(fingerprint: string): Promise<ClientCertificateView>;
  /** Back to the start: no orders, zero counters, no faults, the start settings and tokens, only the initial client certificate (same CA). */
  reset(): Promise<CountersView>;
  ca(): Promise<CaView>;
}

export const ADMIN_PREFIX = '/admin';

/** Dates in IssueOptions from the admin's wire form. */
export function issueOptions(o: IssueClientOptions = {}): IssueOptions {
  const date = (v: string | Date | undefined): Date | undefined => (v === undefined ? undefined : new Date(v));
  return {
    ...(o.commonName !== undefined ? { commonName: o.commonName } : {}),
    ...(o.notBefore !== undefined ? { notBefore: date(o.notBefore) } : {}),
    ...(o.notAfter !== undefined ? { notAfter: date(o.notAfter) } : {}),
    ...(o.validityDays !== undefined ? { validityDays: o.validityDays } : {}),
  };
}

/** `url`: the admin listener's (`RunningWosignDocSimulator.adminUrl`). */
export function createWosignDocAdmin(url: string, adminToken: string): WosignDocAdmin {
  const base = `${url.replace(/\/+$/, '')}${ADMIN_PREFIX}`;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const init: RequestInit = { method, headers: body === undefined ? { authorization: `Bearer ${adminToken}` } : { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    if (res.ok) return JSON.parse(text) as T;
    throw new WosignDocAdminError(res.status, text, `${method} ${path}`);
  };
  const enc = encodeURIComponent;
  const updateToken = (tokenid: string, patch: TokenPatch): Promise<TokenView> => call('PUT', `/tokens/${enc(tokenid)}`, patch);
  return {
    counters: () => call('GET', '/counters'),
    orders: async (filter = {}) => (await call<{ orders: OrderView[] }>('GET', `/orders${filter.state ? `?state=${enc(filter.state)}` : ''}`)).orders,
    order: (orderNumber) => call('GET', `/orders/${enc(orderNumber)}`),
    repush: (orderNumber) => call('POST', `/orders/${enc(orderNumber)}/push`),
    settings: () => call('GET', '/settings'),
    updateSettings: (patch) => call('PUT', '/settings', patch),
    faults: () => call('GET', '/faults'),
    setFaults: (faults) => call('PUT', '/faults', faults),
    clearFaults: () => call('DELETE', '/faults'),
    tokens: async () => (await call<{ tokens: TokenView[] }>('GET', '/tokens')).tokens,
    updateToken,
    setBalance: (tokenid, balance) => updateToken(tokenid, { balance }),
    disableToken: (tokenid) => updateToken(tokenid, { enabled: false }),
    enableToken: (tokenid) => updateToken(tokenid, { enabled: true }),
    certificates: async () => (await call<{ certificates: ClientCertificateView[] }>('GET', '/certificates')).certificates,
    issueClientCertificate: (o = {}) => call('POST', '/certificates', o),
    revokeClientCertificate: (fingerprint) => call('POST', `/certificates/${enc(fingerprint)}/revoke`),
    authorizeClientCertificate: (fingerprint) => call('POST', `/certificates/${enc(fingerprint)}/authorize`),
    reset: () => call('POST', '/reset'),
    ca: () => call('GET', '/ca'),
  };
}
