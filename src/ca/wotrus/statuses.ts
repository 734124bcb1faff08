import type { CaPhase } from '../issuer';

/** WoTrus order status values (ca-apis.md §1, GetOrderStatus `status`). */
export const WOTRUS_STATUSES = [
  'pendingSubmitOrderToCA',
  'pendingDCV',
  'pendingCAIssued',
  'issued',
  'pendingAutoIssue',
  'pending',
  'pendingRevoke',
  'revoked',
  'rejected',
  'closed',
  'unknown',
] as const;
export type WotrusStatus = (typeof WOTRUS_STATUSES)[number];

/** Each WoTrus status in the port's words; the exhaustive record fails to compile if one is added. */
export const WOTRUS_PHASES: Readonly<Record<WotrusStatus, CaPhase>> = {
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
  unknown: 'unknown',
};

/** `isPay`: 0 unpaid, 1 paid, 2 issue first / pay later. */
export function paymentOf(isPay: number | null | undefined): 'unpaid' | 'paid' | 'payLater' | undefined {
  return isPay === 0 ? 'unpaid' : isPay === 1 ? 'paid' : isPay === 2 ? 'payLater' : undefined;
}
