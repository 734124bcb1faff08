/**
 * What an operator sees of one order in the Temporal Web UI, read as text: the workflow page
 * (input, event history) and its User Metadata tab (summary, details, current details, the
 * summaries of timers and activities).
 */
import type { Page } from 'playwright-core';

export interface OrderPageText {
  /** The workflow page: header, Input and Result, Event History. */
  history: string;
  /** The User Metadata tab. */
  metadata: string;
}

const SETTLE_MS = 30_000;
const QUIET_MS = 1_500;

/** A running workflow's duration and the timeline's "now" tick: not changes worth waiting for. */
const TICKING = /^((\d+[dhms]\s*)*\d+ms|\d{4}-\d{2}-\d{2} UTC \d{2}:\d{2}:\d{2}\.\d+)$/;

/** The page's text with the Markdown panels' (the UI renders summary and details in frames). */
async function pageText(page: Page): Promise<string> {
  const parts = await Promise.all(page.frames().map((f) => f.innerText('body').catch(() => '')));
  return parts.join('\n');
}

/**
 * The text once the UI has settled: the codec's answers (or their absence) rendered, nothing
 * changing for QUIET_MS. Settling on the text rather than on network idleness: the UI keeps
 * polling a running workflow.
 */
async function settledText(page: Page, ready: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + SETTLE_MS;
  let last = '';
  let since = Date.now();
  for (;;) {
    const text = await pageText(page);
    const stable = text.split('\n').filter((l) => !TICKING.test(l.trim())).join('\n');
    if (stable !== last) {
      last = stable;
      since = Date.now();
    } else if (ready(text) && Date.now() - since >= QUIET_MS) return text;
    if (Date.now() > deadline) return text;
    await page.waitForTimeout(250);
  }
}

export function orderPageUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The workflow page (input, result, event history), settled. */
export async function openHistory(page: Page, uiUrl: string, namespace: string, workflowId: string): Promise<string> {
  await page.goto(orderPageUrl(uiUrl, namespace, workflowId));
  await page.getByText('Event History').first().waitFor({ timeout: SETTLE_MS });
  return settledText(page, (t) => t.includes('Input') && t.includes('{'));
}

/** From the workflow page: its User Metadata tab, settled. */
export async function openUserMetadata(page: Page): Promise<string> {
  await page.getByText('User Metadata', { exact: true }).first().click();
  await page.getByText('Events with Metadata').first().waitFor({ timeout: SETTLE_MS });
  return settledText(page, (t) => t.includes('Current Details') && t.includes('Timer'));
}

export async function openOrderPage(page: Page, uiUrl: string, namespace: string, workflowId: string): Promise<OrderPageText> {
  const history = await openHistory(page, uiUrl, namespace, workflowId);
  return { history, metadata: await openUserMetadata(page) };
}

export function workflowListUrl(uiUrl: string, namespace: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows`;
}
