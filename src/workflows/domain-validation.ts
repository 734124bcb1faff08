import { condition } from '@temporalio/workflow';
import type { DomainValidation } from '../domain/domain-validation';
import type { CaView, DomainStatus } from '../domain/order-view';
import type { DomainValidationCheck } from '../activities';
import { domainCheckActivities } from './activity-stubs';
import type { AttentionControl } from './attention';
import { nextInterval } from './poll-interval';
import type { CaProgress } from './ca-progress';
import type { ActionDomain, CustomerActionTracker } from './customer-action';

/**
 * Per-name validation (issuer capability `domainValidation`, docs/reseller.md): before the
 * CA is asked to look again, certflow looks itself — each pending CNAME through DNS, each
 * pending file over its scheme — tells the customer per name what is still missing or
 * wrong, and checks again on the poll ladder (at once on retryNow). The CA is read again only
 * when every name certflow can see is right, or when the CA pushes. E-mail names are the
 * CA's to see: they never hold the CA read back.
 */

/** Names certflow can check itself that the CA still waits for. */
export function namesToLookAt(domains: readonly DomainValidation[] | undefined): DomainValidation[] {
  return (domains ?? []).filter((d) => d.state === 'pending' && d.method !== 'email');
}

/** The CA's word on each name, keeping certflow's last look at names the CA still waits for by the same method. */
export function noteDomains(ca: CaView, domains: readonly DomainValidation[]): void {
  const before = new Map((ca.domains ?? []).map((d) => [d.domain, d]));
  ca.domains = domains.map((d) => {
    const prev = before.get(d.domain);
    const keep = prev?.check && d.state === 'pending' && prev.method === d.method;
    return keep ? { ...d, check: prev.check } : { ...d };
  });
}

function noteChecks(ca: CaView, look: DomainValidationCheck): void {
  const found = new Map(look.domains.map((c) => [c.domain, c]));
  ca.domains = (ca.domains ?? []).map((d) => {
    const c = found.get(d.domain);
    return c ? { ...d, check: { ready: c.ready, ...(c.problem === undefined ? {} : { problem: c.problem }), checkedAt: look.checkedAt } } : d;
  });
}

/** What billing is told: every name still to do, with what to publish and what certflow found wrong. */
export function actionDomains(domains: readonly DomainStatus[] | undefined): ActionDomain[] {
  return (domains ?? [])
    .filter((d) => d.state === 'pending')
    .map((d) => ({
      domain: d.domain,
      method: d.method,
      state: d.state,
      ...(d.dns ? { dns: d.dns } : {}),
      ...(d.file ? { file: d.file } : {}),
      ...(d.email ? { email: d.email } : {}),
      ...(d.check?.problem === undefined ? {} : { problem: d.check.problem }),
    }));
}

export interface DomainLook extends AttentionControl {
  caOrderId: string;
  /** The last CA read (its status word, for notices). */
  status: CaProgress;
  push: { pending: boolean };
  /** The validation deadline. */
  deadlineAt: number;
  customer?: CustomerActionTracker;
  /** Set while waiting to look again, so retryNow is accepted then. */
  waiting?: { waiting: boolean };
  /** A switch of names or methods waits to be sent to the CA: read (and switch) now. */
  methodSwitch?: { pending(): boolean };
}

export type LookOutcome =
  /** Every name certflow can see is right: read the CA now. `waited`: it took the customer a while. */
  | { kind: 'ready'; waited: boolean }
  /** The CA pushed, or the customer switched a method: read it now, whatever certflow sees. */
  | { kind: 'push' }
  | { kind: 'deadline'; message: string }
  | { kind: 'interrupted' };

/** Looks at the pending names until every one is right, telling the customer what is not. */
export async function untilNamesReady(w: DomainLook): Promise<LookOutcome> {
  const { record, policy } = w;
  const ca = record.view.ca;
  let interval = policy.pollInitialMs;
  let waited = false;
  for (;;) {
    if (w.interrupted?.()) return { kind: 'interrupted' };
    const pending = namesToLookAt(ca.domains);
    if (pending.length === 0) return { kind: 'ready', waited };
    const look = await domainCheckActivities.checkDomainValidations.executeWithOptions({ summary: `Look at the validation of ${pending.map((d) => `${d.domain} (${d.method})`).join(', ')} before the CA does` }, [pending]);
    noteChecks(ca, look);
    const wrong = look.domains.filter((d) => !d.ready);
    if (wrong.length === 0) return { kind: 'ready', waited };

    record.transition('awaitingValidation', 'DomainValidationNotReady', `Not ready for the CA: ${wrong.map((d) => `${d.domain} (${d.method}): ${d.problem ?? 'not ready'}`).join('; ')}. The CA is asked to look again once every name is right.`);
    w.customer?.observe(w.caOrderId, w.status, ['validateDomain'], w.deadlineAt, actionDomains(ca.domains));

    const now = Date.now();
    if (now >= w.deadlineAt) {
      return { kind: 'deadline', message: `The validation deadline passed (${new Date(w.deadlineAt).toISOString()}) while ${wrong.map((d) => d.domain).join(', ')} ${wrong.length === 1 ? 'was' : 'were'} not ready.` };
    }
    const reminderAt = w.customer?.nextWakeAt;
    const wait = Math.min(interval, w.deadlineAt - now, reminderAt === undefined ? Infinity : Math.max(reminderAt - now, 1));
    record.setNextCheck(new Date(now + wait));
    if (w.waiting) w.waiting.waiting = true;
    const switched = (): boolean => w.methodSwitch?.pending() ?? false;
    const woke = await condition(() => w.push.pending || w.retryNow.requested || (w.interrupted?.() ?? false) || switched(), wait, {
      summary: `Names not ready for the CA: look again at ${new Date(now + wait).toISOString()}, at once on retryNow, or read the CA on a push`,
    });
    if (w.waiting) w.waiting.waiting = false;
    record.setNextCheck(undefined);
    w.retryNow.requested = false;
    if (w.push.pending || switched()) return { kind: 'push' };
    interval = woke ? policy.pollInitialMs : nextInterval(interval, policy);
    waited = true;
  }
}
