import { Context } from '@temporalio/activity';
import { countBillingDelivery } from './metrics';
import type { Logger } from '../lib/logger';
import type { BillingEvent, BillingEventType, BillingNotifier } from '../domain/billing-event';

export type { BillingEvent, BillingEventType, BillingNotifier };

export interface DeliveryDeps {
  billing?: BillingNotifier;
  logger: Logger;
}

export function createDeliveryActivities({ billing, logger }: DeliveryDeps) {
  return {
    /**
     * The idempotency key is chosen by the workflow (order, event, certificate serial), so a
     * retried or replayed delivery carries the same key and billing can drop duplicates.
     */
    async notifyBilling(event: BillingEvent, idempotencyKey: string): Promise<{ delivered: boolean }> {
      if (!billing) {
        logger.info({ event: event.type, billingOrderId: event.billingOrderId }, 'no BILLING_WEBHOOK_URL configured; billing event not sent');
        countBillingDelivery(event.type, 'not_configured');
        return { delivered: false };
      }
      try {
        await billing.send(event, idempotencyKey, Context.current().cancellationSignal);
      } catch (err) {
        countBillingDelivery(event.type, 'failed');
        throw err;
      }
      countBillingDelivery(event.type, 'delivered');
      return { delivered: true };
    },
  };
}
