/**
 * The states of an order, as the workflow publishes them (search attribute `OrderStatus`,
 * the view's condition). No zod here: workflow code imports these values.
 */
export const ORDER_STATES = [
  'creating',
  'awaitingReview',
  'awaitingValidation',
  'awaitingIssuance',
  'retrieving',
  'verifying',
  'delivering',
  'active',
  'reissuing',
  'revoking',
  'needsAttention',
  'revoked',
  'expired',
  'cancelled',
  'failed',
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

export const FINAL_STATES: readonly OrderState[] = ['revoked', 'expired', 'cancelled', 'failed'];
export const isFinalState = (s: OrderState): boolean => FINAL_STATES.includes(s);

/** Before issuance: the only states in which an order can still be cancelled. */
export const CANCELLABLE_STATES: readonly OrderState[] = ['creating', 'awaitingReview', 'awaitingValidation', 'awaitingIssuance', 'needsAttention'];
