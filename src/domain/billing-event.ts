/** What certflow tells the reseller's billing system about an order (the outbound webhook's body). */
export type BillingEventType = 'order.issued' | 'order.failed' | 'order.cancelled' | 'order.revoked' | 'order.renewal_due' | 'order.reissued' | 'order.expired' | 'order.needs_attention'
  | 'order.action_required'
  | 'order.closed_by_ca'
  /** A reissue drops names of the current certificate: the CA revokes it with the reissue (CAs that validate per name). */
  | 'order.certificate_will_be_revoked';

export interface BillingEvent {
  type: BillingEventType;
  billingOrderId: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** The outbound webhook as the activities need it; the HTTP sender lives in src/delivery. */
export interface BillingNotifier {
  send(event: BillingEvent, idempotencyKey: string, signal?: AbortSignal): Promise<void>;
}
