import type { CaPhase } from '../ca/issuer';
import type { OrderPolicy } from '../domain/order';
import { type CustomerTask, DEFAULT_CUSTOMER_REMINDERS_MS, DEFAULT_LAST_REMINDER_BEFORE_DEADLINE_MS } from '../domain/order-states';
import type { CaView, CustomerAction } from '../domain/order-view';
import type { CaProgress } from './ca-progress';

/**
 * Patch id: the customer hears what to do. While only the customer can move an order on
 * (domain validation through the CA's link, documents, the CSR), billing receives
 * `order.action_required` with the link, what is expected and the deadline, then reminders
 * on a ladder; `order.needs_attention` when an order needs an operator. Before it the link
 * was shown in the view only, and an order whose customer never saw it sat until its
 * 30-day deadline.
 */
export const CUSTOMER_ACTION_PATCH = 'customer-action-events';


/** One notice to billing: the first (`reminder` 0) or a reminder. */
export interface CustomerActionNotice {
  caOrderId: string;
  caStatus: string;
  action: CustomerAction;
  reminder: number;
  /** CAs that validate per name: each name still to do, with its method, what to publish and what certflow found. */
  domains?: ActionDomain[];
}

/** One name in `order.action_required`: exactly what the customer must publish, and what is wrong now. */
export interface ActionDomain {
  domain: string;
  method: string;
  state: string;
  dns?: { name: string; type: 'CNAME'; value: string };
  file?: { url: string; path: string; content: string };
  email?: { address: string; alternatives: string[] };
  problem?: string;
}

/** Sends the notice; the order's billing webhook. Must not block the wait on billing being down. */
export type CustomerActionNotifier = (notice: CustomerActionNotice) => void;

/** The `order.action_required` event of a notice: its key (unique per CA order, episode and reminder) and data. */
export function actionRequiredEvent(n: CustomerActionNotice, extra: Record<string, unknown> = {}): { key: string; data: Record<string, unknown> } {
  const { action } = n;
  return {
    key: `${n.caOrderId}:${action.since}:${n.reminder}`,
    data: {
      caOrderId: n.caOrderId,
      caStatus: n.caStatus,
      link: action.link,
      expected: action.expected,
      deadline: action.deadline,
      since: action.since,
      reminder: n.reminder,
      nextReminderAt: action.nextReminderAt,
      ...(n.domains ? { domains: n.domains } : {}),
      ...extra,
    },
  };
}

/**
 * Patch id: a reissue's new CA order that waits for the customer (domain validation again,
 * through the CA's link) tells billing so, as a first order does: `order.action_required`
 * with `reissue` in its data, then reminders. Before it the link was in the reissue's view only.
 */
export const REISSUE_CUSTOMER_ACTION_PATCH = 'reissue-customer-action';

/**
 * What the customer has to do now, or undefined when the CA waits on nobody or on itself.
 * Validation (and pendingAutoIssue, which issues by itself once the customer has validated)
 * always expects the domain validation; during review only what the CA says is missing.
 */
export function customerTasksNow(phase: CaPhase, reported: readonly CustomerTask[] | undefined, autoIssueAwaitsValidation: boolean): CustomerTask[] | undefined {
  const tasks = [...(reported ?? [])];
  const validating = phase === 'validation' || (phase === 'autoIssuance' && autoIssueAwaitsValidation);
  if (validating) return tasks.includes('validateDomain') ? tasks : ['validateDomain', ...tasks];
  if (phase === 'review' || phase === 'manualReview') {
    const missing = tasks.filter((t) => t !== 'validateDomain');
    return missing.length > 0 ? missing : undefined;
  }
  return undefined;
}

/**
 * The reminder times of one wait for the customer: after the first notice, and once shortly
 * before the deadline. Policies recorded before these fields existed get the defaults.
 */
export function reminderLadder(since: number, deadline: number, policy: Partial<Pick<OrderPolicy, 'customerRemindersMs' | 'customerLastReminderBeforeDeadlineMs'>>): number[] {
  const after = (policy.customerRemindersMs ?? DEFAULT_CUSTOMER_REMINDERS_MS).map((d) => since + d);
  const before = policy.customerLastReminderBeforeDeadlineMs ?? DEFAULT_LAST_REMINDER_BEFORE_DEADLINE_MS;
  const times = before > 0 ? [...after, deadline - before] : after;
  return [...new Set(times)].filter((t) => t > since && t < deadline).sort((a, b) => a - b);
}

/**
 * Follows one order's wait for its customer across status reads. Its state lives in the
 * view (`ca.customerAction`), so the API, the CLI and the Web UI show what billing was told,
 * and a replay or continue-as-new carries it.
 */
export class CustomerActionTracker {
  constructor(
    private readonly ca: CaView,
    private readonly policy: OrderPolicy,
    private readonly notify: CustomerActionNotifier,
  ) {}

  /**
   * After a status read that waits on the customer: starts or follows up the wait. With
   * `domains` (CAs that validate per name), a change in what is still wrong is a new request
   * to the customer, told at once: they fixed one record and published another wrong.
   */
  observe(caOrderId: string, status: CaProgress, tasks: CustomerTask[], deadlineAt: number, domains?: ActionDomain[]): void {
    const now = Date.now();
    const current = this.ca.customerAction;
    const link = status.pendingLink ?? this.ca.pendingLink;
    const about = domains === undefined ? undefined : JSON.stringify(domains.map((d) => [d.domain, d.method, d.problem ?? '']));
    // A new link is a new request to the customer: the old one no longer works.
    if (!current || current.link !== link || current.about !== about) {
      const action: CustomerAction = { link, expected: tasks, since: new Date(now).toISOString(), deadline: new Date(deadlineAt).toISOString(), reminders: 0, ...(about === undefined ? {} : { about }) };
      action.nextReminderAt = this.nextReminder(action);
      this.ca.customerAction = action;
      this.notify({ caOrderId, caStatus: status.status, action: { ...action }, reminder: 0, ...(domains ? { domains } : {}) });
      return;
    }
    current.expected = tasks;
    if (current.nextReminderAt && now >= Date.parse(current.nextReminderAt)) {
      current.reminders += 1;
      current.nextReminderAt = this.nextReminder(current);
      this.notify({ caOrderId, caStatus: status.status, action: { ...current }, reminder: current.reminders, ...(domains ? { domains } : {}) });
    }
  }

  /** The CA no longer waits on the customer. */
  end(): void {
    this.ca.customerAction = undefined;
  }

  /** When the wait should wake for the next reminder, if one is due before the deadline. */
  get nextWakeAt(): number | undefined {
    const at = this.ca.customerAction?.nextReminderAt;
    return at === undefined ? undefined : Date.parse(at);
  }

  private nextReminder(a: CustomerAction): string | undefined {
    const at = reminderLadder(Date.parse(a.since), Date.parse(a.deadline), this.policy)[a.reminders];
    return at === undefined ? undefined : new Date(at).toISOString();
  }
}
