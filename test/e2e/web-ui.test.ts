/**
 * The Temporal Web UI, in the distribution's Chromium, on the `npm start` arrangement: an
 * order placed through the API is shown decoded and explained. The probe runs the same checks
 * on a UI without the codec endpoint, where they must fail: the page then shows ciphertext.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../tools/web-ui/browser';
import { type OrderPageText, openOrderPage } from '../../tools/web-ui/order-page';
import { type UiStack, startUiStack } from '../../tools/web-ui/ui-stack';
import { type PlacedOrder, placeOrder, readView, waitsForCustomer } from '../../tools/web-ui/waiting-order';
import { installTestRuntime } from '../support/runtime';
import { uniqueId } from '../support/temporal';

installTestRuntime();

/** "binary/encrypted" as the UI prints an undecoded payload's encoding (base64). */
const ENCRYPTED_ENCODING = Buffer.from('binary/encrypted').toString('base64');

/** What an operator must be able to read of a waiting order; throws on the first thing missing. */
function expectExplained(text: OrderPageText, order: PlacedOrder, nextChecks: string[]): void {
  const { billingOrderId: id, commonName: cn, view } = order;
  // The input, decoded.
  expect(text.history).toContain(`"billingOrderId": "${id}"`);
  expect(text.history).toContain(`"commonName": "${cn}"`);
  // Summary and static details.
  expect(text.metadata).toContain(`Order ${id} · ${cn}`);
  expect(text.metadata).toContain(`Billing order: ${id}`);
  expect(text.metadata).toContain(`Names: ${cn}`);
  // Current details: what it waits for, the customer's link, the next check.
  expect(text.metadata).toContain(`${view.condition.state} — ${view.condition.reason}, since ${view.condition.at}`);
  expect(text.metadata).toContain(`Customer link: ${view.ca.pendingLink}`);
  expect(nextChecks.some((at) => text.metadata.includes(`Next check: ${at}`))).toBe(true);
  // Activity and timer summaries.
  expect(text.metadata).toContain(`Create the CA order for ${cn}`);
  expect(text.metadata).toContain('Billing webhook: order.action_required');
  expect(text.metadata).toContain(`CA order ${view.ca.orderId} is`);
  expect(text.metadata).toContain('or at once on a push');
  expect(`${text.history}\n${text.metadata}`).not.toContain('Decoding failed');
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Places a waiting order on a fresh UI stack and reads its page, with the view's next checks around the read. */
async function orderAsSeen(codec: boolean): Promise<{ text: OrderPageText; order: PlacedOrder; nextChecks: string[] }> {
  const stack: UiStack = await startUiStack({ codec, simulator: { manual: true }, logFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-ui-')), 'dev-server.log') });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  try {
    const order = await placeOrder(stack.api, uniqueId('UI'), `${uniqueId('shop').toLowerCase()}.example.com`, waitsForCustomer);
    const text = await openOrderPage(page, stack.uiUrl, stack.namespace, order.workflowId);
    // A poll between the two reads moves the next check: either value is the truth.
    const after = await readView(stack.api, order.billingOrderId);
    return { text, order, nextChecks: [order.view.ca.nextCheckAt!, after.ca.nextCheckAt!] };
  } finally {
    await page.close();
    await stack.close();
  }
}

describe('operators read an order in the Temporal Web UI', () => {
  it('decoded (npm start points the UI at the codec endpoint): input, summary, details, current details with link and next check, summaries', async () => {
    const { text, order, nextChecks } = await orderAsSeen(true);
    expectExplained(text, order, nextChecks);
  });

  it('probe: without the codec endpoint the same checks fail, and the page shows only ciphertext', async () => {
    const { text, order, nextChecks } = await orderAsSeen(false);
    expect(() => expectExplained(text, order, nextChecks)).toThrow();
    expect(text.history).toContain(ENCRYPTED_ENCODING);
    expect(text.history).not.toContain(`"commonName": "${order.commonName}"`);
    expect(text.metadata).toContain('Decoding failed');
    expect(text.metadata).toContain('No summary available');
    expect(text.metadata).not.toContain(`Create the CA order for ${order.commonName}`);
  });
});
