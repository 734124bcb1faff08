/**
 * The ACMAPI simulator's admin operations: one interface, two implementations — the
 * in-process one (`RunningAcmapiSimulator.admin`, control.ts) and this HTTP client for a
 * simulator in another process. Both throw AcmapiAdminError on refusal (404 unknown
 * handle_id, 409 not pending, 400 invalid settings or faults, 401 wrong admin token).
 */
import { SimulatorAdminError } from '../wotrus/admin-client';
import type { ApplicationState, ApplicationView, IssuedCertificate } from './applications';
import type { CountersView } from './counters';
import type { Faults } from './faults';
import type { SettingsPatch, settingsView } from './settings';

export type SettingsView = ReturnType<typeof settingsView>;

/** The WoTrus simulator's admin error, under this simulator's name: status and body of the refusal. */
export class AcmapiAdminError extends SimulatorAdminError {
  constructor(status: number, body: string, what: string) {
    super(status, body, `(acmapi) ${what}`);
    this.name = 'AcmapiAdminError';
  }
}

export interface AcmapiAdmin {
  counters(): Promise<CountersView>;
  /** Every certificate issued since start or reset, oldest first. */
  certificates(): Promise<IssuedCertificate[]>;
  /** An operator looking a domain up at the CA. */
  applications(filter?: { domain?: string; state?: ApplicationState }): Promise<ApplicationView[]>;
  /** One application, with its certificate's PEM when issued. */
  application(handleId: string): Promise<ApplicationView>;
  /** A person at the CA issues a pending application; the next handle_id ask gets it. */
  issue(handleId: string): Promise<ApplicationView>;
  settings(): Promise<SettingsView>;
  updateSettings(patch: SettingsPatch): Promise<SettingsView>;
  faults(): Promise<Faults>;
  /** Replaces the armed faults. */
  setFaults(faults: Faults): Promise<Faults>;
  clearFaults(): Promise<Faults>;
  /** Back to the state at start: no applications, zero counters, no faults, the start settings (same CA). */
  reset(): Promise<CountersView>;
  ca(): Promise<{ chainPems: string[]; rootPem: string }>;
}

export const ADMIN_PREFIX = '/admin';

export function createAcmapiAdmin(url: string, adminToken: string): AcmapiAdmin {
  const base = `${url.replace(/\/+$/, '')}${ADMIN_PREFIX}`;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const init: RequestInit = { method, headers: body === undefined ? { authorization: `Bearer ${adminToken}` } : { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    if (res.ok) return JSON.parse(text) as T;
    throw new AcmapiAdminError(res.status, text, `${method} ${path}`);
  };
  const enc = encodeURIComponent;
  return {
    counters: () => call('GET', '/counters'),
    certificates: async () => (await call<{ certificates: IssuedCertificate[] }>('GET', '/certificates')).certificates,
    applications: async (filter = {}) => {
      const qs = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => typeof e[1] === 'string')).toString();
      return (await call<{ applications: ApplicationView[] }>('GET', `/applications${qs ? `?${qs}` : ''}`)).applications;
    },
    application: (handleId) => call('GET', `/applications/${enc(handleId)}`),
    issue: (handleId) => call('POST', `/applications/${enc(handleId)}/issue`),
    settings: () => call('GET', '/settings'),
    updateSettings: (patch) => call('PUT', '/settings', patch),
    faults: () => call('GET', '/faults'),
    setFaults: (faults) => call('PUT', '/faults', faults),
    clearFaults: () => call('DELETE', '/faults'),
    reset: () => call('POST', '/reset'),
    ca: () => call('GET', '/ca'),
  };
}
