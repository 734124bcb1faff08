/**
 * Typed client of the simulator's admin API, for tests, benchmarks and scripts that run the
 * simulator in another process. Uses global fetch; throws on any non-2xx answer.
 */
import type { CountersView } from './counters';
import type { Faults } from './faults';
import type { SimEmail, SimOrder, SimStatus } from './model';
import type { PushDelivery } from './pushes';
import type { Settings, SettingsPatch } from './settings';
import type { DriveAction } from './state-machine';

export type AdminOrderSummary = Omit<SimOrder, 'csrPem' | 'csrEncryptPem' | 'cert' | 'uKeyPassword'> & {
  cert?: { serialNumber: string; notBefore: string; notAfter: string; encryptSerialNumber?: string };
};
export type AdminOrder = SimOrder & { pendingLink: string; product: { id: string; name: string; kind: string; brand: string } };

export class SimulatorAdminError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`simulator admin ${what} answered ${status}: ${body}`);
    this.name = 'SimulatorAdminError';
  }
}

export interface SimulatorAdmin {
  counters(): Promise<CountersView>;
  resetCounters(): Promise<CountersView>;
  orders(status?: SimStatus, limit?: number): Promise<{ total: number; orders: AdminOrderSummary[] }>;
  order(id: string): Promise<AdminOrder>;
  drive(orderId: string, action: DriveAction, reason?: string): Promise<AdminOrderSummary>;
  forceStatus(orderId: string, status: SimStatus): Promise<AdminOrderSummary>;
  emails(): Promise<SimEmail[]>;
  pushes(limit?: number): Promise<PushDelivery[]>;
  faults(): Promise<Faults & { outageRemainingMs: number }>;
  setFaults(faults: Faults): Promise<Faults & { outageRemainingMs: number }>;
  clearFaults(): Promise<Faults & { outageRemainingMs: number }>;
  settings(): Promise<Settings>;
  updateSettings(patch: SettingsPatch): Promise<Settings>;
  ca(): Promise<{ rsa: { root: string; intermediate: string }; sm2: { root: string; intermediate: string } }>;
}

export function createSimulatorAdmin(url: string, adminToken: string): SimulatorAdmin {
  const base = `${url.replace(/\/+$/, '')}/__admin`;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new SimulatorAdminError(res.status, text, `${method} ${path}`);
    return JSON.parse(text) as T;
  };
  const qs = (params: Record<string, string | number | undefined>): string => {
    const entries = Object.entries(params).filter(([, v]) => v !== undefined) as [string, string | number][];
    return entries.length ? `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}` : '';
  };
  const id = (s: string): string => encodeURIComponent(s);
  return {
    counters: () => call('GET', '/counters'),
    resetCounters: () => call('POST', '/counters/reset'),
    orders: (status, limit) => call('GET', `/orders${qs({ status, limit })}`),
    order: (orderId) => call('GET', `/orders/${id(orderId)}`),
    drive: (orderId, action, reason) => call('POST', `/orders/${id(orderId)}/${action}`, reason === undefined ? undefined : { reason }),
    forceStatus: (orderId, status) => call('POST', `/orders/${id(orderId)}/status`, { status }),
    emails: async () => (await call<{ emails: SimEmail[] }>('GET', '/emails')).emails,
    pushes: async (limit) => (await call<{ pushes: PushDelivery[] }>('GET', `/pushes${qs({ limit })}`)).pushes,
    faults: () => call('GET', '/faults'),
    setFaults: (faults) => call('PUT', '/faults', faults),
    clearFaults: () => call('DELETE', '/faults'),
    settings: () => call('GET', '/settings'),
    updateSettings: (patch) => call('PUT', '/settings', patch),
    ca: () => call('GET', '/ca'),
  };
}
