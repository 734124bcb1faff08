/**
 * Billing events that tell of a wait (the customer must act, an operator must look) rather
 * than of the order's outcome. They are sent without holding the order up, so their place in
 * the sequence of outcome events is not fixed: tests compare outcomes in order, notices apart.
 */
export const NOTICES: readonly string[] = ['order.action_required', 'order.needs_attention'];

export const outcomes = (types: readonly string[]): string[] => types.filter((t) => !NOTICES.includes(t));
export const notices = (types: readonly string[], type: string): number => types.filter((t) => t === type).length;
