/**
 * The admin operations in process: the one implementation behind both the `admin` object a
 * test holds and the admin HTTP API (admin-routes.ts only translates).
 */
import type { AcmapiCa } from '../acmapi/ca';
import { ResellerAdminError, type ResellerAdmin } from './admin-client';
import type { CallbackSender } from './callbacks';
import type { ResellerCounters } from './counters';
import { type ResellerFaultInjector, resellerFaultsSchema } from './faults';
import { Refusal } from './protocol';
import type { ServiceStore } from './services';

export interface ResellerControlDeps {
  store: ServiceStore;
  ca: AcmapiCa;
  counters: ResellerCounters;
  faults: ResellerFaultInjector;
  callbacks: CallbackSender;
}

/** A refusal of the store becomes 404 (unknown service) or 400, with its message. */
async function guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    const status = err.message.startsWith('service_id:') ? 404 : 400;
    throw new ResellerAdminError(status, JSON.stringify({ error: err.message }), what);
  }
}

export function createResellerControl(d: ResellerControlDeps): ResellerAdmin {
  return {
    counters: async () => d.counters.view(),
    createService: (input) => guarded('createService', () => d.store.create(input)),
    service: (id) => guarded(`service ${id}`, () => d.store.viewOf(id)),
    approveEmail: (id, domain) => guarded(`approveEmail ${id}`, () => d.store.approveEmail(id, domain)),
    certificates: async () => d.store.certificates(),
    revoked: async () => d.store.revoked(),
    callbacks: async () => d.callbacks.list(),
    faults: async () => d.faults.view(),
    setFaults: async (faults) => {
      const r = resellerFaultsSchema.safeParse(faults ?? {});
      if (!r.success) throw new ResellerAdminError(400, JSON.stringify({ error: 'invalid faults', issues: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }), 'faults');
      d.faults.set(r.data);
      return d.faults.view();
    },
    clearFaults: async () => {
      d.faults.clear();
      return d.faults.view();
    },
    reset: async () => {
      d.store.clear();
      d.counters.reset();
      d.faults.clear();
      d.callbacks.clear();
      return d.counters.view();
    },
    ca: async () => ({ chainPems: d.ca.chainPems, rootPem: d.ca.rootPem }),
  };
}
