import { condition } from '@temporalio/workflow';
import { CaErrorType } from '../ca/errors';
import type { OrderPolicy } from '../domain/order';
import { failureMessage, failureType } from './failures';
import type { OrderRecord } from './record';

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
  /** The order has just entered needsAttention: an operator should know (not awaited). */
  onAttention?: (reason: string, message: string) => void;
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
      const entering = ctl.record.state !== 'needsAttention';
      const message = `${step} failed: ${failureMessage(err)}. Retrying at ${next.toISOString()} or on retryNow.`;
      ctl.record.transition('needsAttention', reason, message);
      if (entering) ctl.onAttention?.(reason, message);
      ctl.record.setNextCheck(next);
      await condition(() => ctl.retryNow.requested || (ctl.interrupted?.() ?? false), ctl.policy.attentionRetryMs, { summary: `Needs attention (${reason}): retry "${step}" at ${next.toISOString()}, or at once on retryNow` });
      ctl.retryNow.requested = false;
      if (ctl.interrupted?.()) throw new Interrupted();
    }
  }
}
