import { ActivityFailure, ApplicationFailure, condition, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { CaErrorType } from '../ca/wotrus/error-types';
import type { OrderPolicy } from '../domain/order';
import type { OrderState, OrderView } from './definitions';
import { CaOrderIdKey, NotAfterKey, OrderStatusKey } from './search-attributes';

const TIMELINE_LIMIT = 100;

/**
 * The workflow's observable record: state with machine reason and human message, mirrored
 * to search attributes (for lists and the Web UI) and to the UI's current details on every
 * transition.
 */
export class OrderRecord {
  constructor(readonly view: OrderView, private readonly searchable: boolean) {}

  get state(): OrderState {
    return this.view.condition.state;
  }

  transition(state: OrderState, reason: string, message: string): void {
    const c = this.view.condition;
    if (c.state === state && c.reason === reason && c.message === message) return;
    const at = new Date().toISOString();
    this.view.condition = { state, reason, message, at };
    this.view.timeline.push({ state, reason, message, at });
    if (this.view.timeline.length > TIMELINE_LIMIT) this.view.timeline.splice(0, this.view.timeline.length - TIMELINE_LIMIT);
    this.publish();
  }

  addCaOrderId(id: string): void {
    if (!this.view.lineage.caOrderIds.includes(id)) this.view.lineage.caOrderIds.push(id);
    this.publish();
  }

  setNextCheck(at: Date | undefined): void {
    this.view.ca.nextCheckAt = at?.toISOString();
    this.publishDetails();
  }

  publish(): void {
    if (this.searchable) {
      upsertSearchAttributes([
        { key: OrderStatusKey, value: this.view.condition.state },
        ...(this.view.lineage.caOrderIds.length > 0 ? [{ key: CaOrderIdKey, value: [...this.view.lineage.caOrderIds] }] : []),
        ...(this.view.certificate ? [{ key: NotAfterKey, value: new Date(this.view.certificate.notAfter) }] : []),
      ]);
    }
    this.publishDetails();
  }

  /** What the Web UI shows for a running order: what it waits for and when it checks next. */
  publishDetails(): void {
    const v = this.view;
    const lines = [
      `**${v.condition.state}** — ${v.condition.reason}`,
      v.condition.message,
      v.ca.orderId ? `CA order: ${v.ca.orderId}${v.ca.status ? ` (${v.ca.status})` : ''}` : undefined,
      v.ca.pendingLink ? `Customer link: ${v.ca.pendingLink}` : undefined,
      v.ca.nextCheckAt ? `Next check: ${v.ca.nextCheckAt}` : undefined,
      v.certificate ? `Certificate ${v.certificate.serialNumber}, valid until ${v.certificate.notAfter}` : undefined,
    ].filter((l): l is string => l !== undefined);
    setCurrentDetails(lines.join('\n\n'));
  }
}

/** The failure type of an activity failure, if it is one of ours. */
export function failureType(err: unknown): string | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
  if (err instanceof ApplicationFailure) return err.type ?? undefined;
  return undefined;
}

export function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

const ATTENTION_REASONS: Record<string, string> = {
  [CaErrorType.Auth]: 'CaAuthenticationFailed',
  [CaErrorType.Protocol]: 'CaProtocolError',
};

export interface AttentionControl {
  record: OrderRecord;
  policy: OrderPolicy;
  /** Set by the retryNow update; consumed here. */
  retryNow: { requested: boolean };
  /** Stops waiting (e.g. a cancel request) and rethrows. */
  interrupted?: () => boolean;
}

export class Interrupted extends Error {}

/**
 * Runs a CA step; when the CA refuses our credentials or keeps answering garbage the order
 * moves to needsAttention and retries slowly (no hot loop), resuming by itself once the
 * cause is fixed, or at once on retryNow. Business refusals are the caller's to handle.
 */
export async function withAttention<T>(ctl: AttentionControl, step: string, call: () => Promise<T>, extraAttentionTypes: string[] = []): Promise<T> {
  const resumeState = ctl.record.view.condition;
  for (;;) {
    try {
      const result = await call();
      if (ctl.record.state === 'needsAttention') ctl.record.transition(resumeState.state, resumeState.reason, resumeState.message);
      return result;
    } catch (err) {
      const type = failureType(err);
      const reason = type ? (ATTENTION_REASONS[type] ?? (extraAttentionTypes.includes(type) ? type : undefined)) : undefined;
      if (!reason) throw err;
      const next = new Date(Date.now() + ctl.policy.attentionRetryMs);
      ctl.record.transition('needsAttention', reason, `${step} failed: ${failureMessage(err)}. Retrying at ${next.toISOString()} or on retryNow.`);
      ctl.record.setNextCheck(next);
      await condition(() => ctl.retryNow.requested || (ctl.interrupted?.() ?? false), ctl.policy.attentionRetryMs);
      ctl.retryNow.requested = false;
      if (ctl.interrupted?.()) throw new Interrupted();
    }
  }
}

export const workflowId = (): string => workflowInfo().workflowId;
