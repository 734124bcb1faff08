import { condition, patched } from '@temporalio/workflow';
import { CaErrorType } from '../ca/errors';
import type { OrderStatusResult, RetrievedCertificate } from '../ca/issuer';
import { type CaProgress, mapCaPhase, progressOf } from './ca-progress';
import { type AttentionControl, Interrupted, withAttention } from './attention';
import { CUSTOMER_ACTION_PATCH, type CustomerActionNotifier, CustomerActionTracker, customerTasksNow } from './customer-action';
import { failureType } from './failures';
import { readCaStatus, readCertificate } from './inline-first';
import { nextInterval } from './poll-interval';
import { actionDomains, namesToLookAt, noteDomains, untilNamesReady } from './domain-validation';

export type IssuanceOutcome =
  /** `retrieved` when the certificate came with the status, or was collected while the CA still said it was issuing. */
  | { kind: 'issued'; retrieved?: RetrievedCertificate }
  | { kind: 'rejected'; message: string }
  | { kind: 'closed'; message: string }
  | { kind: 'revoked'; message: string }
  | { kind: 'deadline'; stage: 'validation' | 'issuance'; message: string }
  | { kind: 'interrupted' };

export interface IssuanceWait extends AttentionControl {
  /** The issuer's id, passed to every CA activity. */
  issuer: string;
  caOrderId: string;
  /** When the order entered validation (the DCV window counts from here). */
  validationStartedAt: number;
  /** A push arrived since the last read; consumed here. */
  push: { pending: boolean };
  /** Tells billing when, and until when, the customer must act (the order; a reissue child has no billing of its own). */
  customer?: CustomerActionNotifier;
  /** The issuer validates per name (`domainValidation`): certflow looks at each name before the CA is read again. */
  checkNames?: boolean;
  /** Set while waiting for the customer to fix a name, so retryNow is accepted then. */
  namesWait?: { waiting: boolean };
  /**
   * The customer switched names or methods while the CA validates (issuers with
   * `domainValidation`): `pending` wakes the wait, `apply` asks the CA before the next read.
   */
  methodSwitch?: MethodSwitch;
}

export interface MethodSwitch {
  pending(): boolean;
  apply(): Promise<void>;
}

/**
 * Patch id of the jittered poll wait (docs/workflow-versioning.md). Runs that were already
 * waiting when it shipped replay their old, unjittered waits; from their next live poll on
 * they jitter too. Remove only through deprecatePatch, once no pre-change run is open.
 */
export const POLL_JITTER_PATCH = 'poll-jitter-v2';

/**
 * Patch id of retrieval during pendingCAIssued. The WoTrus document's flow is "pendingCAIssued
 * → (the CA has signed) RetrievePem succeeds → issued": a CA may flip the status only when the
 * certificate is collected, so an order that only ever read the status would wait for its
 * deadline. Tried when the status has not moved since the previous read, so the push path
 * (status already `issued`) costs no extra call.
 */
export const RETRIEVE_WHILE_PENDING_PATCH = 'retrieve-while-pending-issuance';
/**
 * Patch id: CA statuses as the document defines them. `autoIssuance` (WoTrus
 * pendingAutoIssue) issues by itself *once the customer has done domain validation*: the
 * order keeps waiting for validation (the link stays, the validation deadline runs) instead
 * of starting the issuance deadline and probing for the certificate. And `closed` is the
 * CA's own close, reported as such (`order.closed_by_ca`), not as a cancellation we asked for.
 */
export const STATUSES_AS_WRITTEN_PATCH = 'ca-statuses-as-written';

/** ±10 % of each wait. */
export const POLL_JITTER = 0.1;

/**
 * A poll wait with deterministic jitter: orders created in one batch (a billing import, a
 * renewal wave) would otherwise read the CA's status in lockstep — 1 min, 2 min, 4 min … then
 * every hour on the hour, all of them at once. Math.random in a workflow is Temporal's PRNG,
 * seeded per run and recorded, so the jitter differs between orders yet replays identically.
 * The growing base interval itself stays unjittered, so the drift does not compound.
 */
export function jitteredWait(ms: number, random: () => number = Math.random): number {
  return Math.max(1, Math.round(ms * (1 + POLL_JITTER * (2 * random() - 1))));
}

/**
 * Waits through review, DCV and issuance. A push makes it read the status at once; without
 * pushes it polls on a growing interval. Every decision rests on a status read, never on a
 * push body. Each stage has a deadline; the caller compensates when one passes.
 */
export async function awaitIssuance(w: IssuanceWait): Promise<IssuanceOutcome> {
  const { record, policy } = w;
  let interval = policy.pollInitialMs;
  let lastStatus: string | undefined;
  let issuanceStartedAt: number | undefined;
  // The CA was read because certflow found every name ready: if it still waits, it is the CA's turn.
  let askedOnReady = false;
  // Asked once per wait: a run that was already waiting keeps the meanings it started with.
  const asWritten = patched(STATUSES_AS_WRITTEN_PATCH);
  const customer = w.customer && patched(CUSTOMER_ACTION_PATCH) ? new CustomerActionTracker(record.view.ca, policy, w.customer) : undefined;
  for (;;) {
    if (w.interrupted?.()) return { kind: 'interrupted' };
    if (w.methodSwitch?.pending()) {
      await w.methodSwitch.apply();
      askedOnReady = false;
    }
    w.push.pending = false;
    let read: OrderStatusResult;
    try {
      read = await withAttention(w, 'Reading the CA order status', () => readCaStatus(w.issuer, w.caOrderId, `Read the status of CA order ${w.caOrderId}`), [CaErrorType.Business]);
    } catch (err) {
      if (err instanceof Interrupted) return { kind: 'interrupted' };
      throw err;
    }
    const status = progressOf(read);
    note(record.view.ca, status);
    if (read.domains) noteDomains(record.view.ca, read.domains);
    const mapped = mapCaPhase(status.phase, status, asWritten);
    const tasks = customerTasksNow(status.phase, status.customerTasks, asWritten);
    // Out of the customer's hands (issued, closed…): the wait for them is over.
    if (!tasks) customer?.end();
    // The CA's own word, not the phase: a move between two words of one phase is progress too.
    const unchanged = status.status === lastStatus;
    if (!unchanged) interval = policy.pollInitialMs;
    lastStatus = status.status;

    switch (status.phase) {
      case 'issued':
        record.transition(mapped.state, mapped.reason, mapped.message);
        return { kind: 'issued', retrieved: status.certificate };
      case 'rejected':
        return { kind: 'rejected', message: mapped.message };
      case 'closed':
        return { kind: 'closed', message: mapped.message };
      case 'revoked':
      case 'revocationPending':
        return { kind: 'revoked', message: mapped.message };
      case 'autoIssuance':
      case 'issuance':
        // Before the patch pendingAutoIssue was read as "validated, issuing".
        if (status.phase === 'autoIssuance' && asWritten) break;
        issuanceStartedAt ??= Date.now();
        if (unchanged && patched(RETRIEVE_WHILE_PENDING_PATCH)) {
          const retrieved = await tryRetrieve(w);
          if (retrieved) {
            record.transition('retrieving', 'Issued', `The CA handed out the certificate while its status still said ${status.status}.`);
            return { kind: 'issued', retrieved };
          }
        }
        break;
      default:
        break;
    }
    const wasAttention = record.state === 'needsAttention';
    record.transition(mapped.state, mapped.reason, mapped.message);
    if (mapped.state === 'needsAttention' && !wasAttention) w.onAttention?.(mapped.reason, mapped.message);
    if (w.checkNames && status.phase === 'validation' && namesToLookAt(record.view.ca.domains).length > 0) {
      const look = await untilNamesReady({ ...w, status, deadlineAt: w.validationStartedAt + policy.validationDeadlineMs, customer, waiting: w.namesWait });
      if (look.kind === 'interrupted') return { kind: 'interrupted' };
      if (look.kind === 'deadline') return { kind: 'deadline', stage: 'validation', message: look.message };
      if (look.kind === 'push' || look.waited || !askedOnReady) {
        askedOnReady = look.kind === 'ready';
        continue;
      }
      const waiting = namesToLookAt(record.view.ca.domains).map((d) => d.domain);
      record.transition('awaitingValidation', 'CaValidationPending', `certflow finds ${waiting.join(', ')} ready; the CA has not validated ${waiting.length === 1 ? 'it' : 'them'} yet. Reading the CA again on the poll schedule.`);
    } else {
      askedOnReady = false;
    }

    const now = Date.now();
    const deadline =
      issuanceStartedAt !== undefined
        ? { stage: 'issuance' as const, at: issuanceStartedAt + policy.issuanceDeadlineMs }
        : { stage: 'validation' as const, at: w.validationStartedAt + policy.validationDeadlineMs };
    if (tasks) customer?.observe(w.caOrderId, status, tasks, deadline.at, w.checkNames ? actionDomains(record.view.ca.domains) : undefined);
    if (now >= deadline.at) {
      return { kind: 'deadline', stage: deadline.stage, message: `The ${deadline.stage} deadline passed (${new Date(deadline.at).toISOString()}) while the CA status was ${status.status}.` };
    }
    // The wait never runs past the stage deadline: the last read happens at the deadline.
    // …nor past the customer's next reminder, which goes out after a fresh read.
    const reminderAt = customer?.nextWakeAt;
    const wait = Math.min(patched(POLL_JITTER_PATCH) ? jitteredWait(interval) : interval, deadline.at - now, reminderAt === undefined ? Infinity : Math.max(reminderAt - now, 1));
    record.setNextCheck(new Date(now + wait));
    const until = now + wait;
    const why = until >= deadline.at ? `the ${deadline.stage} deadline` : reminderAt !== undefined && until >= reminderAt ? "the customer's next reminder" : 'the next check';
    const woke = await condition(() => w.push.pending || (w.interrupted?.() ?? false) || (w.methodSwitch?.pending() ?? false), wait, {
      summary: `CA order ${w.caOrderId} is ${status.status}: read it again at ${why} (${new Date(until).toISOString()}), or at once on a push`,
    });
    record.setNextCheck(undefined);
    interval = woke ? policy.pollInitialMs : nextInterval(interval, policy);
  }
}

/** What the view shows of the last status read. */
function note(ca: IssuanceWait['record']['view']['ca'], status: CaProgress): void {
  ca.status = status.status;
  ca.pendingLink = status.pendingLink ?? ca.pendingLink;
  ca.payment = status.payment ?? ca.payment;
  ca.lastCheckedAt = new Date().toISOString();
  ca.checks += 1;
}

/** RetrievePem as a probe: "not ready" is an answer here, not a failure. */
async function tryRetrieve(w: IssuanceWait): Promise<RetrievedCertificate | undefined> {
  try {
    return await withAttention(w, 'Collecting the certificate', () => readCertificate(w.issuer, w.caOrderId, `Try to collect the certificate of CA order ${w.caOrderId}`));
  } catch (err) {
    if (err instanceof Interrupted) return undefined;
    if (failureType(err) === CaErrorType.NotReady) return undefined;
    throw err;
  }
}
