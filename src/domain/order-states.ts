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

/** Things only the customer can do at the CA (through its `pendingLink` where it offers one). */
export const CUSTOMER_TASKS = ['validateDomain', 'uploadDocuments', 'submitCsr', 'fillCustomerInfo'] as const;
export type CustomerTask = (typeof CUSTOMER_TASKS)[number];

const DAY_MS = 86_400_000;
/** Reminders to the customer after the first `order.action_required` (policy `customerRemindersMs`). */
export const DEFAULT_CUSTOMER_REMINDERS_MS: readonly number[] = [1, 3, 7, 14].map((d) => d * DAY_MS);
/** …and one this long before the deadline (policy `customerLastReminderBeforeDeadlineMs`). */
export const DEFAULT_LAST_REMINDER_BEFORE_DEADLINE_MS = 3 * DAY_MS;
