/**
 * The admin operations in process: the one implementation behind both the `admin` object a
 * test holds and the admin HTTP API (admin-routes.ts only translates), so the two cannot drift.
 */
import type { z } from 'zod';
import { AcmapiAdminError, type AcmapiAdmin } from './admin-client';
import { applicationView, type ApplicationStore } from './applications';
import type { AcmapiCa } from './ca';
import type { Counters } from './counters';
import { type FaultInjector, faultsSchema } from './faults';
import type { AcmapiOperations } from './operations';
import { applySettingsPatch, type Settings, settingsPatchSchema, settingsView } from './settings';

export interface ControlDeps {
  store: ApplicationStore;
  ops: AcmapiOperations;
  ca: AcmapiCa;
  counters: Counters;
  faults: FaultInjector;
  settings: { get(): Settings; set(s: Settings): void; initial: Settings };
}

function parsed<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const r = schema.safeParse(input ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new AcmapiAdminError(400, JSON.stringify({ error: `invalid ${what}`, issues }), what);
  }
  return r.data;
}

export function createControl(d: ControlDeps): AcmapiAdmin {
  const find = (handleId: string) => {
    const a = d.store.get(handleId);
    if (!a) throw new AcmapiAdminError(404, JSON.stringify({ error: `unknown handle_id ${handleId}` }), `application ${handleId}`);
    return a;
  };
  return {
    counters: async () => d.counters.view(),
    certificates: async () => d.store.certificates(),
    applications: async (filter = {}) => d.store.list(filter).map((a) => applicationView(a)),
    application: async (handleId) => applicationView(find(handleId), true),
    issue: async (handleId) => {
      const a = find(handleId);
      if (a.state !== 'pending') throw new AcmapiAdminError(409, JSON.stringify({ error: `${handleId} is ${a.state}, not pending` }), `issue ${handleId}`);
      await d.ops.issueOnce(a);
      return applicationView(a, true);
    },
    settings: async () => settingsView(d.settings.get()),
    updateSettings: async (patch) => {
      const p = parsed(settingsPatchSchema, patch, 'settings');
      try {
        d.settings.set(applySettingsPatch(d.settings.get(), p));
      } catch (err) {
        throw new AcmapiAdminError(400, JSON.stringify({ error: (err as Error).message }), 'settings');
      }
      return settingsView(d.settings.get());
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
    reset: async () => {
      d.store.clear();
      d.counters.reset();
      d.faults.clear();
      d.settings.set(d.settings.initial);
      return d.counters.view();
    },
    ca: async () => ({ chainPems: d.ca.chainPems, rootPem: d.ca.rootPem }),
  };
}
