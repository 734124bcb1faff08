/**
 * The admin operations in process: the one implementation behind both the `admin` object a
 * test holds and the admin HTTP API (admin-routes.ts only translates), so the two cannot drift.
 */
import { z } from 'zod';
import { type CaView, issueOptions, type IssueClientOptions, WosignDocAdminError, type WosignDocAdmin } from './admin-client';
import type { Counters } from './counters';
import { type FaultInjector, faultsSchema } from './faults';
import { type OrderStore, orderView, SIGN_STATES } from './orders';
import type { PushSender } from './pushes';
import { applySettingsPatch, type Settings } from './settings';
import type { Signer } from './signing';
import type { ClientRegistry, IssuedCertificate, IssueOptions } from './tls';
import { tokenPatchSchema, type TokenStore } from './tokens';

export interface ControlDeps {
  store: OrderStore;
  tokens: TokenStore;
  counters: Counters;
  faults: FaultInjector;
  signer: Signer;
  pushes: PushSender;
  clients: ClientRegistry;
  /** Issues from the client CA and registers the certificate. */
  issue(o: IssueOptions, authorized: boolean): Promise<IssuedCertificate>;
  ca: CaView;
  settings: { get(): Settings; set(s: Settings): void; initial: Settings };
}

const issueSchema = z
  .object({
    commonName: z.string().min(1).max(64).optional(),
    notBefore: z.union([z.iso.datetime({ offset: true }), z.date()]).optional(),
    notAfter: z.union([z.iso.datetime({ offset: true }), z.date()]).optional(),
    validityDays: z.number().int().min(1).max(3_650).optional(),
    authorized: z.boolean().optional(),
  })
  .strict();

function parsed<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const r = schema.safeParse(input ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new WosignDocAdminError(400, JSON.stringify({ error: `invalid ${what}`, issues }), what);
  }
  return r.data;
}

const notFound = (what: string): WosignDocAdminError => new WosignDocAdminError(404, JSON.stringify({ error: `unknown ${what}` }), what);

export function createControl(d: ControlDeps): WosignDocAdmin {
  const find = (orderNumber: string) => {
    const o = d.store.get(orderNumber);
    if (!o) throw notFound(`orderNumber ${orderNumber}`);
    return o;
  };
  const updateToken: WosignDocAdmin['updateToken'] = async (tokenid, patch) => {
    if (!tokenid) throw new WosignDocAdminError(400, JSON.stringify({ error: 'tokenid required' }), 'token');
    return d.tokens.update(tokenid, parsed(tokenPatchSchema, patch, 'token patch'));
  };
  const certificate = (fingerprint: string, patch: { authorized?: boolean; revoked?: boolean }) => {
    const c = d.clients.update(fingerprint, patch);
    if (!c) throw notFound(`certificate ${fingerprint}`);
    return c;
  };
  return {
    counters: async () => d.counters.view(),
    orders: async (filter = {}) => {
      if (filter.state !== undefined && !SIGN_STATES.includes(filter.state)) throw new WosignDocAdminError(400, JSON.stringify({ error: `state is one of ${SIGN_STATES.join(', ')}` }), 'orders');
      return d.store.list(filter).map(orderView);
    },
    order: async (orderNumber) => orderView(find(orderNumber)),
    repush: async (orderNumber) => {
      const o = find(orderNumber);
      const conflict = (why: string) => new WosignDocAdminError(409, JSON.stringify({ error: `${orderNumber}: ${why}` }), `repush ${orderNumber}`);
      if (o.state === 'signing') throw conflict('still signing');
      if (o.pushes.outcome === 'acknowledged') throw conflict('already acknowledged (its content is released)');
      if (o.pushes.outcome === 'pending') throw conflict('pushes still scheduled');
      d.pushes.start(o);
      return orderView(o);
    },
    settings: async () => structuredClone(d.settings.get()),
    updateSettings: async (patch) => {
      try {
        d.settings.set(applySettingsPatch(d.settings.get(), patch));
      } catch (err) {
        const issues = err instanceof z.ZodError ? err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) : [{ path: '', message: (err as Error).message }];
        throw new WosignDocAdminError(400, JSON.stringify({ error: 'invalid settings', issues }), 'settings');
      }
      return structuredClone(d.settings.get());
    },
    faults: async () => d.faults.view(),
    setFaults: async (faults) => {
      d.faults.set(parsed(faultsSchema, faults, 'faults'));
      return d.faults.view();
    },
    clearFaults: async () => {
      d.faults.clear();
      return d.faults.view();
    },
    tokens: async () => d.tokens.list(),
    updateToken,
    setBalance: (tokenid, balance) => updateToken(tokenid, { balance }),
    disableToken: (tokenid) => updateToken(tokenid, { enabled: false }),
    enableToken: (tokenid) => updateToken(tokenid, { enabled: true }),
    certificates: async () => d.clients.list(),
    issueClientCertificate: async (o: IssueClientOptions = {}) => {
      const p = parsed(issueSchema, o, 'certificate options');
      return d.issue(issueOptions(p), p.authorized ?? true);
    },
    revokeClientCertificate: async (fingerprint) => certificate(fingerprint, { revoked: true }),
    authorizeClientCertificate: async (fingerprint) => certificate(fingerprint, { authorized: true, revoked: false }),
    reset: async () => {
      d.signer.clear();
      d.pushes.clear();
      d.store.clear();
      d.counters.reset();
      d.faults.clear();
      d.tokens.reset();
      d.clients.reset();
      d.settings.set(d.settings.initial);
      return d.counters.view();
    },
    ca: async () => structuredClone(d.ca),
  };
}
