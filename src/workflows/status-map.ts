import type { CaStatus } from '../ca/issuer';
import type { OrderState } from './definitions';

export interface MappedStatus {
  state: OrderState;
  reason: string;
  message: string;
}

/** Every CA status mapped explicitly: the exhaustive switch fails to compile if one is added. */
export function mapCaStatus(status: CaStatus, ctx: { pendingLink?: string; isPay?: number }): MappedStatus {
  const link = ctx.pendingLink ? ` The customer can act at ${ctx.pendingLink}.` : '';
  const pay = ctx.isPay === 0 ? ' The CA order is unpaid.' : ctx.isPay === 2 ? ' Issue first, pay later: not yet paid.' : '';
  switch (status) {
    case 'pendingSubmitOrderToCA':
      return { state: 'awaitingReview', reason: 'CaReview', message: `The CA is reviewing the order before submitting it.${pay}` };
    case 'pending':
      return { state: 'awaitingReview', reason: 'CaManualReview', message: `The CA is reviewing the order by hand.${pay}` };
    case 'pendingDCV':
      return { state: 'awaitingValidation', reason: 'DomainValidationPending', message: `Waiting for domain control validation.${link}${pay}` };
    case 'pendingCAIssued':
      return { state: 'awaitingIssuance', reason: 'CaIssuancePending', message: `Validation passed; waiting for the CA to issue (OV/EV: the CA phones the organisation).${pay}` };
    case 'pendingAutoIssue':
      return { state: 'awaitingIssuance', reason: 'CaAutoIssuePending', message: 'Validation passed; the CA will issue automatically.' };
    case 'issued':
      return { state: 'retrieving', reason: 'Issued', message: 'The CA has issued the certificate.' };
    case 'rejected':
      return { state: 'failed', reason: 'CaRejected', message: 'The CA rejected the order.' };
    case 'closed':
      return { state: 'cancelled', reason: 'CaClosed', message: 'The CA closed (cancelled) the order.' };
    case 'pendingRevoke':
      return { state: 'revoking', reason: 'CaRevocationPending', message: 'A revocation is waiting for the CA review.' };
    case 'revoked':
      return { state: 'revoked', reason: 'CaRevoked', message: 'The CA revoked the certificate.' };
    case 'unknown':
      return { state: 'needsAttention', reason: 'CaStatusUnknown', message: 'The CA reports the order status as unknown; polling continues.' };
  }
}
