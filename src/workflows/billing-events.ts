import type { BillingEvent, BillingEventType } from '../activities';
import { billingActivities } from './activity-stubs';
import { failureMessage } from './failures';

/**
 * The billing events of one order, sent by the order or by one of its children: one event
 * per idempotency key (order, event, certificate serial or CA order), so a retried or
 * replayed delivery carries the same key and billing can drop duplicates. Billing being down
 * must not block the certificate: an event billing never took is reported (`onLost`), not
 * retried forever.
 */
export class BillingEvents {
  private readonly inFlight: Promise<void>[] = [];

  constructor(
    private readonly billingOrderId: string,
    /** Keys already sent: the order carries them across continue-as-new. */
    private readonly keys: string[],
    private readonly onLost: (type: BillingEventType, message: string) => void,
  ) {}

  async send(type: BillingEventType, key: string, data: Record<string, unknown>): Promise<void> {
    const idempotencyKey = `${this.billingOrderId}:${type}:${key}`;
    if (this.keys.includes(idempotencyKey)) return;
    // Claimed before the call: a second send of the same event while this one is in flight is a no-op.
    this.keys.push(idempotencyKey);
    const event: BillingEvent = { type, billingOrderId: this.billingOrderId, occurredAt: new Date().toISOString(), data };
    try {
      await billingActivities.notifyBilling.executeWithOptions({ summary: `Billing webhook: ${type}` }, [event, idempotencyKey]);
    } catch (err) {
      this.onLost(type, failureMessage(err));
    }
  }

  /** Like send, without holding the caller up: its wait goes on (pushes, polls, retryNow) while billing is slow or down. */
  sendInBackground(type: BillingEventType, key: string, data: Record<string, unknown>): void {
    this.inFlight.push(this.send(type, key, data));
  }

  /** Waits for the events still in flight (before a run ends or continues as new). */
  async sent(): Promise<void> {
    await Promise.all(this.inFlight.splice(0));
  }
}
