/**
 * `npm run docs:screenshots`: the screenshots of the README's Web UI section, taken from the
 * `npm start` arrangement in the distribution's Chromium — the order list, and one waiting
 * order's history and User Metadata tab.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stderrProgress as say } from '../tools/engine/progress';
import { launchChromium } from '../tools/web-ui/browser';
import { openHistory, openUserMetadata, workflowListUrl } from '../tools/web-ui/order-page';
import { startUiStack } from '../tools/web-ui/ui-stack';
import { placeOrder, waitForView, waitsForCustomer } from '../tools/web-ui/waiting-order';

const OUT = path.resolve(__dirname, '../docs/images');

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  say('starting the dev server with its Web UI, the simulator (manual), the API and a worker');
  const stack = await startUiStack({ simulator: { manual: true }, logFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-shots-')), 'dev-server.log') });
  const browser = await launchChromium();
  try {
    say('placing three orders: one issued, one past review, one waiting for the CA');
    const issued = await placeOrder(stack.api, 'B-20261205-0001', 'www.example.com', (v) => v.ca.orderId !== undefined);
    for (const step of ['pass-review', 'pass-dcv', 'issue'] as const) await stack.front.sim.state.drive(issued.view.ca.orderId!, step);
    const reviewed = await placeOrder(stack.api, 'B-20261205-0002', 'shop.example.net', (v) => v.ca.orderId !== undefined);
    await stack.front.sim.state.drive(reviewed.view.ca.orderId!, 'pass-review');
    const waiting = await placeOrder(stack.api, 'B-20261205-0003', 'portal.example.org', waitsForCustomer);
    await waitForView(stack.api, issued.billingOrderId, (v) => v.condition.state === 'active');

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    say('the order list');
    await page.goto(workflowListUrl(stack.uiUrl, stack.namespace));
    await page.getByText(waiting.workflowId).first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1_000);
    await page.screenshot({ path: path.join(OUT, 'web-ui-orders.png') });
    say(`order ${waiting.billingOrderId}: history and User Metadata`);
    await openHistory(page, stack.uiUrl, stack.namespace, waiting.workflowId);
    await page.screenshot({ path: path.join(OUT, 'web-ui-order-history.png') });
    await openUserMetadata(page);
    await page.screenshot({ path: path.join(OUT, 'web-ui-order-metadata.png') });
    say(`written to ${path.relative(process.cwd(), OUT)}/web-ui-*.png`);
  } finally {
    await browser.close();
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(err instanceof Error ? err.stack ?? err.message : String(err));
    process.exit(1);
  },
);
