import type { CaPhase, OrderStatusResult } from '../ca/issuer';
import type { OrderState } from '../domain/order-states';

export interface MappedStatus {
  state: OrderState;
  reason: string;
  message: string;
}

type Payment = OrderStatusResult['payment'];

/**
 * Status reads recorded before the issuer port carried WoTrus' own status words and `isPay`
 * and no phase. Replays and orders still open from then read them through this table; every
 * new read carries its phase. A frozen copy of the WoTrus adapter's table on purpose: it
 * says what recorded data meant, so a later change to the adapter must not change it (and
 * workflow code does not import vendor folders).
 */
const RECORDED_WOTRUS_PHASES: Readonly<Record<string, CaPhase>> = {
  pendingSubmitOrderToCA: 'review',
  pending: 'manualReview',
  pendingDCV: 'validation',
  pendingCAIssued: 'issuance',
  pendingAutoIssue: 'autoIssuance',
  issued: 'issued',
  rejected: 'rejected',
  closed: 'closed',
  pendingRevoke: 'revocationPending',
  revoked: 'revoked',
};
const RECORDED_IS_PAY: Readonly<Record<number, Payment>> = { 0: 'unpaid', 1: 'paid', 2: 'payLater' };

/** A status read as the workflow works with it, whenever it was recorded. */
export interface CaProgress {
  phase: CaPhase;
  /** The CA's own word. */
  status: string;
  pendingLink?: string;
  customerTasks?: OrderStatusResult['customerTasks'];
  payment?: Payment;
  certificate?: OrderStatusResult['certificate'];
}

export function progressOf(result: OrderStatusResult): CaProgress {
  const recorded = result as OrderStatusResult & { isPay?: number };
  return {
    phase: result.phase ?? RECORDED_WOTRUS_PHASES[result.status] ?? 'unknown',
    status: result.status,
    pendingLink: result.pendingLink,
    customerTasks: result.customerTasks,
    payment: result.payment ?? (recorded.isPay === undefined ? undefined : RECORDED_IS_PAY[recorded.isPay]),
    certificate: result.certificate,
  };
}

/**
 * Every CA phase mapped explicitly: the exhaustive switch fails to compile if one is added.
 * `asWritten` (patch ca-statuses-as-written): autoIssuance and closed as the CA document
 * defines them; runs recorded before keep their old words.
 */
export function mapCaPhase(phase: CaPhase, ctx: { pendingLink?: string; payment?: Payment }, asWritten = false): MappedStatus {
  const link = ctx.pendingLink ? ` The customer can act at ${ctx.pendingLink}.` : '';
  const pay = ctx.payment === 'unpaid' ? ' The CA order is unpaid.' : ctx.payment === 'payLater' ? ' Issue first, pay later: not yet paid.' : '';
  switch (phase) {
    case 'review':
      return { state: 'awaitingReview', reason: 'CaReview', message: `The CA is reviewing the order before submitting it.${pay}` };
    case 'manualReview':
      return { state: 'awaitingReview', reason: 'CaManualReview', message: `The CA is reviewing the order by hand.${pay}` };
    case 'validation':
      return { state: 'awaitingValidation', reason: 'DomainValidationPending', message: `Waiting for domain control validation.${link}${pay}` };
    case 'issuance':
      return { state: 'awaitingIssuance', reason: 'CaIssuancePending', message: `Validation passed; waiting for the CA to issue (OV/EV: the CA phones the organisation).${pay}` };
    case 'autoIssuance':
      if (asWritten) return { state: 'awaitingValidation', reason: 'DomainValidationPendingAutoIssue', message: `Waiting for domain control validation; the CA then issues by itself, without review.${link}${pay}` };
      return { state: 'awaitingIssuance', reason: 'CaAutoIssuePending', message: 'Validation passed; the CA will issue automatically.' };
    case 'issued':
      return { state: 'retrieving', reason: 'Issued', message: 'The CA has issued the certificate.' };
    case 'rejected':
      return { state: 'failed', reason: 'CaRejected', message: 'The CA rejected the order.' };
    case 'closed':
      if (asWritten) return { state: 'cancelled', reason: 'ClosedByCa', message: 'The CA closed the order (status closed); certflow did not ask for it.' };
      return { state: 'cancelled', reason: 'CaClosed', message: 'The CA closed (cancelled) the order.' };
    case 'revocationPending':
      return { state: 'revoking', reason: 'CaRevocationPending', message: 'A revocation is waiting for the CA review.' };
    case 'revoked':
      return { state: 'revoked', reason: 'CaRevoked', message: 'The CA revoked the certificate.' };
    case 'unknown':
      return { state: 'needsAttention', reason: 'CaStatusUnknown', message: 'The CA reports the order status as unknown; polling continues.' };
  }
}
