/**
 * An order placed through the API that waits on the CA with the customer's link and a next
 * check (the simulator in manual mode holds it there): what an operator most often opens.
 */
import type { OrderView } from '../../src/domain/order-view';
import type { ApiCall } from '../stack/compose';
import { SIM_PRODUCT_IDS } from '../simulators/wotrus/catalog';
import { generateCsr } from '../simulators/wotrus/csr';

export interface PlacedOrder {
  billingOrderId: string;
  workflowId: string;
  commonName: string;
  view: OrderView;
}

export async function readView(api: ApiCall, billingOrderId: string): Promise<OrderView> {
  const r = await api(`/v1/orders/${encodeURIComponent(billingOrderId)}`);
  if (!r.ok) throw new Error(`GET order ${billingOrderId}: ${r.status} ${await r.text()}`);
  return (await r.json()) as OrderView;
}

export async function placeOrder(api: ApiCall, billingOrderId: string, commonName: string, until: (v: OrderView) => boolean): Promise<PlacedOrder> {
  const csr = await generateCsr({ commonName, keyType: 'rsa' });
  const created = await api('/v1/orders', { body: { billingOrderId, productId: SIM_PRODUCT_IDS.rsaDv, commonName, csr: csr.csrPem, month: 12 } });
  if (created.status !== 202) throw new Error(`POST /v1/orders: ${created.status} ${await created.text()}`);
  const { workflowId } = (await created.json()) as { workflowId: string };
  return { billingOrderId, workflowId, commonName, view: await waitForView(api, billingOrderId, until) };
}

export async function waitForView(api: ApiCall, billingOrderId: string, until: (v: OrderView) => boolean, timeoutMs = 60_000): Promise<OrderView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await readView(api, billingOrderId);
    if (until(view)) return view;
    if (Date.now() > deadline) throw new Error(`order ${billingOrderId} did not get there in ${timeoutMs} ms: ${JSON.stringify(view.condition)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const waitsForCustomer = (v: OrderView): boolean => v.ca.pendingLink !== undefined && v.ca.nextCheckAt !== undefined;
