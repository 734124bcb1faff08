import type { BillingEvent, BillingEventType } from '../activities';
import { billingActivities } from './activity-stubs';
import { failureMessage } from './failures';

/**
 * Billing events a child sends for its order (a reissue's customer notices), with the
 * order's own idempotency keys, in the background: the child's wait goes on while billing
 * is slow or down, and an event billing never took is reported (`onLost`), not retried forever.
 */
export class ChildBilling {
  private readonly inFlight: Promise<void>[] = [];
  private readonly keys = new Set<string>();

  constructor(
    private readonly billingOrderId: string,
    private readonly onLost: (type: BillingEventType, message: string) => void,
  ) {}

  send(type: BillingEventType, key: string, data: Record<string, unknown>): void {
    const idempotencyKey = `${this.billingOrderId}:${type}:${key}`;
    if (this.keys.has(idempotencyKey)) return;
    this.keys.add(idempotencyKey);
    const event: BillingEvent = { type, billingOrderId: this.billingOrderId, occurredAt: new Date().toISOString(), data };
    this.inFlight.push(
      billingActivities.notifyBilling.executeWithOptions({ summary: `Billing webhook: ${type}` }, [event, idempotencyKey]).then(
        () => undefined,
        (err: unknown) => this.onLost(type, failureMessage(err)),
      ),
    );
  }

  /** Waits for the events still in flight (before the child ends). */
  async sent(): Promise<void> {
    await Promise.all(this.inFlight.splice(0));
  }
}
