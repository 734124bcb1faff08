/**
 * Listing orders by their search attributes through the API, on whichever engine the run
 * uses (the dev server's SQLite visibility, or the cluster's PostgreSQL): by common name, by
 * state, page by page, and by CA order id (a KeywordList) as the push receiver finds them.
 * Visibility is eventually consistent on both: every read waits for the index to catch up.
 */
import { SIM_PRODUCT_IDS } from '../../tools/simulators/wotrus/catalog';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import type { OrderPage } from '../../src/orders/schemas';
import type { OrderView } from '../../src/domain/order-view';
import { eventually } from '../support/order-harness';
import { installTestRuntime } from '../support/runtime';
import { type Stack, startStack } from '../support/stack';
import { uniqueId } from '../support/temporal';

installTestRuntime();

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

async function list(qs: string): Promise<OrderPage> {
  const r = await stack.api(`/v1/orders?${qs}`);
  expect(r.status).toBe(200);
  return (await r.json()) as OrderPage;
}

test('by common name and state, two pages of one, and by CA order id', async () => {
  const commonName = `${uniqueId('list').toLowerCase()}.example.com`;
  const csr = await generateCsr({ commonName, keyType: 'ec' });
  const ids = [uniqueId('LS'), uniqueId('LS')];
  for (const billingOrderId of ids) {
    const r = await stack.api('/v1/orders', { body: { billingOrderId, productId: SIM_PRODUCT_IDS.rsaDv, commonName, csr: csr.csrPem, month: 12 } });
    expect(r.status).toBe(202);
  }
  const views = await Promise.all(ids.map((id) => eventually(`${id} active`, async () => {
    const v = (await (await stack.api(`/v1/orders/${id}`)).json()) as OrderView;
    return v.condition.state === 'active' ? v : undefined;
  }, 60_000)));

  const byName = await eventually('both listed active by name', async () => {
    const page = await list(`commonName=${encodeURIComponent(commonName)}&status=active`);
    return page.orders.length === 2 ? page : undefined;
  }, 30_000);
  expect(byName.orders.map((o) => o.billingOrderId).sort()).toEqual([...ids].sort());
  for (const o of byName.orders) expect(o).toMatchObject({ status: 'active', commonName, productId: SIM_PRODUCT_IDS.rsaDv, runStatus: 'RUNNING' });
  expect(byName.orders.every((o) => o.notAfter !== undefined && !Number.isNaN(Date.parse(o.notAfter)))).toBe(true);

  const first = await list(`commonName=${encodeURIComponent(commonName)}&pageSize=1`);
  expect(first.orders).toHaveLength(1);
  expect(first.nextPageToken).toBeDefined();
  const second = await list(`commonName=${encodeURIComponent(commonName)}&pageSize=1&pageToken=${first.nextPageToken}`);
  expect(second.orders).toHaveLength(1);
  expect(new Set([...first.orders, ...second.orders].map((o) => o.billingOrderId))).toEqual(new Set(ids));

  expect((await list(`commonName=${encodeURIComponent(commonName)}&status=cancelled`)).orders).toEqual([]);

  // CaOrderId is a KeywordList: each order's own CA order id finds exactly that order.
  for (const [i, v] of views.entries()) {
    expect(await stack.orders.findByCaOrderId(v!.ca.orderId!)).toEqual([`order-${ids[i]}`]);
  }
});
