/**
 * The reseller simulator's admin operations: one interface, two implementations — the
 * in-process one (`RunningResellerSimulator.admin`, control.ts) and this HTTP client for a
 * simulator in another process (bearer admin token). Refusals throw ResellerAdminError.
 */
import { SimulatorAdminError } from '../wotrus/admin-client';
import type { CallbackDelivery } from './callbacks';
import type { ResellerCountersView } from './counters';
import type { ResellerFaults } from './faults';
import type { Certificate, CreateServiceInput, ReissueAnswer, Revocation } from './services';

export class ResellerAdminError extends SimulatorAdminError {
  constructor(status: number, body: string, what: string) {
    super(status, body, `(reseller) ${what}`);
    this.name = 'ResellerAdminError';
  }
}

export interface ResellerAdmin {
  counters(): Promise<ResellerCountersView>;
  /** INFERRED (no create call documented): a service holding an issued certificate, every domain valid. */
  createService(input: CreateServiceInput): Promise<ReissueAnswer>;
  /** The service as the status read answers it, without checking anything. */
  service(serviceId: string): Promise<ReissueAnswer>;
  /** The approver clicked: the domain's e-mail validation passes (and the certificate issues if it was the last). */
  approveEmail(serviceId: string, domain: string): Promise<ReissueAnswer>;
  certificates(): Promise<Certificate[]>;
  revoked(): Promise<Revocation[]>;
  callbacks(): Promise<CallbackDelivery[]>;
  faults(): Promise<ResellerFaults>;
  setFaults(faults: ResellerFaults): Promise<ResellerFaults>;
  clearFaults(): Promise<ResellerFaults>;
  /** No services, zero counters, no faults, no callbacks (same CA). */
  reset(): Promise<ResellerCountersView>;
  ca(): Promise<{ chainPems: string[]; rootPem: string }>;
}

export const RESELLER_ADMIN_PREFIX = '/admin';

export function createResellerAdmin(url: string, adminToken: string): ResellerAdmin {
  const root = `${url.replace(/\/+$/, '')}${RESELLER_ADMIN_PREFIX}`;
  async function call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(root + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new ResellerAdminError(res.status, text, `${method} ${path}`);
    return JSON.parse(text) as T;
  }
  const svc = (id: string): string => `/services/${encodeURIComponent(id)}`;
  return {
    counters: () => call('GET', '/counters'),
    createService: (input) => call('POST', '/services', input),
    service: (id) => call('GET', svc(id)),
    approveEmail: (id, domain) => call('POST', `${svc(id)}/approve-email`, { domain }),
    certificates: () => call('GET', '/certificates'),
    revoked: () => call('GET', '/revoked'),
    callbacks: () => call('GET', '/callbacks'),
    faults: () => call('GET', '/faults'),
    setFaults: (faults) => call('PUT', '/faults', faults),
    clearFaults: () => call('DELETE', '/faults'),
    reset: () => call('POST', '/reset'),
    ca: () => call('GET', '/ca'),
  };
}
