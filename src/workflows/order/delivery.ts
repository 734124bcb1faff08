import { patched } from '@temporalio/workflow';
import type { OrderEntity } from './entity';

/** Patch id: one billing event (`order.reissued`) per reissued certificate. */
export const SINGLE_REISSUE_EVENT_PATCH = 'single-billing-event-on-reissue';

/**
 * Delivery: billing gets the certificate, the CA e-mails the customer the collection link
 * (where the issuer can), and the order becomes active. After a reissue billing has already
 * had `order.reissued` for this certificate; sending `order.issued` too (as the first version
 * did) made billing count it twice.
 */
export async function deliver(order: OrderEntity, reissued = false): Promise<void> {
  const { view, record, input } = order;
  const cert = view.certificate!;
  record.transition('delivering', 'Delivering', 'Handing the certificate to billing and asking the CA to e-mail the customer.');
  if (!reissued || !patched(SINGLE_REISSUE_EVENT_PATCH)) {
    await order.notifyBilling('order.issued', cert.serialNumber, { caOrderId: cert.caOrderId, serialNumber: cert.serialNumber, notAfter: cert.notAfter, sha256Fingerprint: cert.sha256Fingerprint, certificateUrl: input.collectUrl, ...(order.view.ca.cost === undefined ? {} : { cost: order.view.ca.cost }) });
  }
  if (input.policy.sendCaEmail && order.can('customerEmail') && !view.notifications.caEmailFor.includes(cert.serialNumber)) {
    // Recorded before the call returns to the workflow: replay and continue-as-new never ask twice.
    await order.sendCustomerEmail(cert, 'delivery');
    view.notifications.caEmailFor.push(cert.serialNumber);
  }
  record.transition('active', 'Issued', `Certificate ${cert.serialNumber} is active until ${cert.notAfter}.`);
}
