/**
 * The CA push receiver on the running stack, in both verification modes.
 *
 * `CA_PUSH_VERIFY=hmac`: a push signed with the stack's CA_PUSH_SECRET reaches the waiting
 * order, which reads the CA status at once (ca.checks grows, the state follows the CA);
 * forged, modified or unsigned pushes are 401 and reach nothing; a push for a CA order nobody
 * waits for is 404; the CA's retries of one push cost one signal now and one at the window's
 * end. The simulator runs in manual mode with its own pushes switched off, so every push
 * there is one the test sends; with the production poll interval (first poll after 60 s) no
 * order polls during the test: every CA status read is caused by a push.
 *
 * `CA_PUSH_VERIFY=none` (the default) against the simulator in document mode (unsigned
 * pushes, as the WoTrus document shows them): with a first poll after 10 minutes, an order
 * is active within seconds of the CA issuing — through the push. And floods of forged pushes
 * stay within the bound docs/pushes.md states.
 */
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { PUSH_SIGNATURE_HEADER, signPushBody } from '../../src/ca/wotrus/push';
import { orderWorkflowId } from '../../src/domain/workflow-ids';
import { SIM_PRODUCT_IDS } from '../../tools/simulators/wotrus/catalog';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import { pushBody } from '../../tools/simulators/wotrus/pushes';
import type { PushStats } from '../../src/api/schemas';
import type { OrderView } from '../../src/domain/order-view';
import { eventually } from '../support/order-harness';
import { type Stack, startStack } from '../support/stack';
import { uniqueId } from '../support/temporal';

Runtime.install({ logger: new DefaultLogger('WARN') });

let stack: Stack;
const secret = randomBytes(24).toString('base64url');
/** The hmac stack's window, shortened so the trailing delivery comes within the test. */
const HMAC_WINDOW_MS = 1_000;

beforeAll(async () => {
  stack = await startStack({ simulator: { manual: true }, env: { CA_PUSH_VERIFY: 'hmac', CA_PUSH_SECRET: secret, CA_PUSH_WINDOW_MS: String(HMAC_WINDOW_MS) } });
  stack.sim.state.updateSettings({ pushUrl: null });
});
afterAll(async () => {
  await stack?.close();
});

async function view(billingOrderId: string, on: Stack = stack): Promise<OrderView> {
  const r = await on.api(`/v1/orders/${billingOrderId}`);
  expect(r.status).toBe(200);
  return (await r.json()) as OrderView;
}

/** Places a DV order and waits until it sleeps until its next poll, its CA order read once. */
async function waitingOrder(on: Stack = stack): Promise<{ billingOrderId: string; caOrderId: string; view: OrderView }> {
  const commonName = `${uniqueId('push').toLowerCase()}.example.com`;
  const { csrPem } = await generateCsr({ commonName, keyType: 'ec' });
  const billingOrderId = uniqueId('P');
  const r = await on.api('/v1/orders', { body: { billingOrderId, productId: SIM_PRODUCT_IDS.rsaDv, commonName, csr: csrPem, month: 12 } });
  expect(r.status).toBe(202);
  const v = await eventually('order waiting for its next check', async () => {
    const v = await view(billingOrderId, on);
    return v.ca.orderId && v.ca.nextCheckAt ? v : undefined;
  });
  expect(v.ca.checks).toBe(1);
  return { billingOrderId, caOrderId: v.ca.orderId!, view: v };
}

async function signalsReceived(billingOrderId: string, on: Stack = stack): Promise<number> {
  const history = await on.client.workflow.getHandle(orderWorkflowId(billingOrderId)).fetchHistory();
  return (history.events ?? []).filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).length;
}

async function push(body: string, headers: Record<string, string> = {}, on: Stack = stack): Promise<{ status: number; contentType: string | null; json: Record<string, unknown> }> {
  const r = await fetch(`${on.apiUrl}/v1/ca/wotrus/push`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: r.status, contentType: r.headers.get('content-type'), json: (await r.json()) as Record<string, unknown> };
}

const signed = (body: string, key = secret): Record<string, string> => ({ [PUSH_SIGNATURE_HEADER]: signPushBody(key, body) });

describe('CA push receiver end to end, CA_PUSH_VERIFY=hmac', () => {
  it('a genuine push makes the waiting order read the CA status now; the state follows the CA, not the push', async () => {
    const order = await waitingOrder();
    const queries = stack.sim.state.counters().calls.query;

    const body = pushBody({ orderId: order.caOrderId, isIssued: false, isRevoked: false });
    const answer = await push(body, signed(body));
    expect(answer).toEqual({ status: 200, contentType: expect.stringContaining('application/json'), json: { received: true, action: 'signalled', workflows: 1 } });
    const read = await eventually('status read after the push', async () => {
      const v = await view(order.billingOrderId);
      return v.ca.checks === 2 && v.ca.nextCheckAt ? v : undefined;
    });
    expect(read.condition.state).toBe(order.view.condition.state);
    expect(stack.sim.state.counters().calls.query).toBe(queries + 1);
    expect(await signalsReceived(order.billingOrderId)).toBe(1);

    // The CA issues silently (its pushes are off): the order does not notice before its poll...
    const issued = await stack.sim.state.drive(order.caOrderId, 'issue');
    expect(issued.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect((await view(order.billingOrderId)).ca.checks).toBe(2);

    // ...until the CA's push: then it reads, retrieves, verifies, delivers.
    const issuedBody = pushBody({ orderId: order.caOrderId, isIssued: true, isRevoked: false });
    // Within a second of the first push it is deferred to the end of the order's window, not lost.
    expect(['signalled', 'deferred']).toContain((await push(issuedBody, signed(issuedBody))).json.action);
    const active = await eventually('active after the issued push', async () => {
      const v = await view(order.billingOrderId);
      return v.condition.state === 'active' ? v : undefined;
    });
    expect(active.ca.checks).toBe(3);
    expect(active.certificate?.caOrderId).toBe(order.caOrderId);
  });

  it('forged, modified and unsigned pushes are 401 problems and reach no workflow', async () => {
    const order = await waitingOrder();
    const queries = stack.sim.state.counters().calls.query;
    const body = pushBody({ orderId: order.caOrderId, isIssued: true, isRevoked: false });
    const good = signed(body)[PUSH_SIGNATURE_HEADER]!;
    const attempts: [string, string, Record<string, string>][] = [
      ['signed with another secret', body, signed(body, `${secret}x`)],
      ['signed with the API key', body, signed(body, stack.apiKey)],
      ['body modified after signing', body.replace('"isRevoked":false', '"isRevoked":true'), { [PUSH_SIGNATURE_HEADER]: good }],
      ['whitespace added after signing', `${body} `, { [PUSH_SIGNATURE_HEADER]: good }],
      ['orderId changed after signing', body.replace(order.caOrderId, `${order.caOrderId} `), { [PUSH_SIGNATURE_HEADER]: good }],
      ['unsigned', body, {}],
      ['empty signature', body, { [PUSH_SIGNATURE_HEADER]: '' }],
      ['signature without the sha256= prefix', body, { [PUSH_SIGNATURE_HEADER]: good.slice('sha256='.length) }],
      ['upper-case hex', body, { [PUSH_SIGNATURE_HEADER]: `sha256=${good.slice('sha256='.length).toUpperCase()}` }],
      ['truncated signature', body, { [PUSH_SIGNATURE_HEADER]: good.slice(0, -2) }],
      ['the API key instead of a signature', body, { authorization: `Bearer ${stack.apiKey}` }],
      ['unsigned and not JSON (authentication comes before parsing)', '{not json', {}],
    ];
    for (const [what, b, headers] of attempts) {
      const answer = await push(b, headers);
      expect({ what, status: answer.status, type: answer.json.type, contentType: answer.contentType }).toEqual({
        what,
        status: 401,
        type: 'urn:certflow:problem:unauthorized',
        contentType: expect.stringContaining('application/problem+json'),
      });
    }
    // The receiver signals before it answers: a 401 left nothing in the order's history.
    expect(await signalsReceived(order.billingOrderId)).toBe(0);
    const after = await view(order.billingOrderId);
    expect(after.ca.checks).toBe(1);
    expect(stack.sim.state.counters().calls.query).toBe(queries);

    // The rejected attempts were not remembered as handled: the genuine push still gets through.
    const answer = await push(body, signed(body));
    expect(answer.json).toMatchObject({ action: 'signalled', workflows: 1 });
    await eventually('status read after the genuine push', async () => (await view(order.billingOrderId)).ca.checks === 2);
  });

  it('a push for a CA order no running workflow waits for is a 404, and is not remembered as handled', async () => {
    const body = pushBody({ orderId: `unknown-${uniqueId('ca')}`, isIssued: true, isRevoked: false });
    for (let i = 0; i < 2; i++) {
      const answer = await push(body, signed(body));
      expect(answer.status).toBe(404);
      expect(answer.contentType).toContain('application/problem+json');
      expect(answer.json.type).toBe('urn:certflow:problem:no-waiting-order');
    }
  });

  it('the same push 100 times (the CA retrying) is answered 200 each time: one signal now, one at the window\'s end', async () => {
    const order = await waitingOrder();
    const queries = stack.sim.state.counters().calls.query;
    const body = pushBody({ orderId: order.caOrderId, isIssued: false, isRevoked: false });
    const headers = signed(body);
    const answers: string[] = [];
    // In bursts of 20 concurrent deliveries: the window must hold under concurrency too.
    const t0 = Date.now();
    for (let burst = 0; burst < 5; burst++) {
      const results = await Promise.all(Array.from({ length: 20 }, () => push(body, headers)));
      for (const r of results) {
        expect(r.status).toBe(200);
        answers.push(String(r.json.action));
      }
    }
    const floodMs = Date.now() - t0;
    expect(answers).toHaveLength(100);
    expect(answers.filter((a) => a === 'signalled')).toHaveLength(1);
    expect(answers.filter((a) => a === 'deferred')).toHaveLength(99);

    // The trailing delivery at the window's end, then nothing more.
    await eventually('the trailing signal', async () => (await signalsReceived(order.billingOrderId)) >= 2);
    await new Promise((r) => setTimeout(r, HMAC_WINDOW_MS + 500));
    const signals = await signalsReceived(order.billingOrderId);
    expect(signals).toBeLessThanOrEqual(Math.ceil(floodMs / HMAC_WINDOW_MS) + 1);
    await eventually('the reads of those signals', async () => (await view(order.billingOrderId)).ca.checks - 1 >= 1);
    const v = await view(order.billingOrderId);
    const reads = stack.sim.state.counters().calls.query - queries;
    // Each signal is a hint consumed when a read starts: at most one status read per signal. Not 100.
    expect(v.ca.checks - 1).toBeGreaterThanOrEqual(1);
    expect(v.ca.checks - 1).toBeLessThanOrEqual(signals);
    // A read is tried inline first and, when that attempt fails (a slow answer on a busy
    // machine), once more as an activity: at most two CA calls per read.
    expect(reads).toBeGreaterThanOrEqual(v.ca.checks - 1);
    expect(reads).toBeLessThanOrEqual(2 * (v.ca.checks - 1));
  });
});

describe('the document\'s unsigned pushes (CA_PUSH_VERIFY=none) from the simulator in document mode', () => {
  let doc: Stack;
  const POLL_MS = 10 * 60_000;
  /** The follow-up's three look-ups after a 404 (src/api/push-follow-up.ts), and a margin. */
  const FOLLOW_UP_MS = 7_000;

  beforeAll(async () => {
    // The production defaults of every push setting (the window too: startStack shortens it);
    // a first poll after 10 minutes, so only a push moves an order within the test.
    doc = await startStack({ simulator: { manual: true, pushMode: 'document' }, policyOverrides: { pollInitialMs: POLL_MS }, env: { CA_PUSH_WINDOW_MS: '5000' } });
  });
  afterAll(async () => {
    await doc?.close();
  });

  const stats = async (): Promise<PushStats> => (await (await doc.api('/v1/ca/wotrus/push/stats')).json()) as PushStats;

  it.each(['orderId', 'orderID'] as const)('Must show: an order is active within seconds of the CA issuing, through the simulator\'s unsigned push (%s), not a poll', async (field) => {
    doc.sim.state.updateSettings({ pushOrderIdField: field });
    const order = await waitingOrder(doc);
    // The next poll is 10 minutes away.
    expect(Date.parse(order.view.ca.nextCheckAt!) - Date.now()).toBeGreaterThan(POLL_MS - 60_000);
    const signalsBefore = (await stats()).signalled + (await stats()).trailingDelivered;

    const issuedAt = Date.now();
    expect((await doc.sim.state.drive(order.caOrderId, 'issue')).ok).toBe(true);
    const active = await eventually('active after the CA issued', async () => {
      const v = await view(order.billingOrderId, doc);
      return v.condition.state === 'active' ? v : undefined;
    }, 30_000);
    const ms = Date.now() - issuedAt;
    process.stdout.write(`[push e2e] ${field}: CA issued → order active in ${ms} ms (first poll due in ${Math.round((Date.parse(order.view.ca.nextCheckAt!) - issuedAt) / 1000)} s)\n`);
    expect(ms).toBeLessThan(10_000);
    expect(active.ca.checks).toBe(2);
    // The simulator's own push, unsigned, in the document's spelling, was taken.
    const delivery = doc.sim.state.pushes().filter((p) => p.orderId === order.caOrderId).at(-1)!;
    expect(JSON.parse(delivery.body)).toEqual({ dataAction: 'order', [field]: order.caOrderId, isIssued: true, isRevoked: false });
    expect(delivery.outcome).toBe('acknowledged');
    expect((await stats()).signalled + (await stats()).trailingDelivered).toBeGreaterThan(signalsBefore);
  });

  it('Must show: 1,000 forged pushes for one real order and 1,000 for unknown ids stay within the documented bound; no order changes state', async () => {
    const order = await waitingOrder(doc);
    doc.sim.state.updateSettings({ pushUrl: null }); // nothing but the forged pushes from here on
    const before = doc.sim.state.counters().calls;
    const signalsBefore = await signalsReceived(order.billingOrderId, doc);
    const s0 = await stats();
    const W = s0.settings.windowMs;
    const followUpsDone = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, FOLLOW_UP_MS));
      await eventually('follow-ups done', async () => (await stats()).followUp.pending === 0, 60_000);
    };
    const flood = async (bodies: string[]): Promise<{ ms: number; statuses: Record<string, number> }> => {
      const statuses: Record<string, number> = {};
      const t0 = Date.now();
      for (let i = 0; i < bodies.length; i += 50) {
        const rs = await Promise.all(bodies.slice(i, i + 50).map((b) => push(b, {}, doc)));
        for (const r of rs) statuses[`${r.status} ${String(r.json.action ?? r.json.type)}`] = (statuses[`${r.status} ${String(r.json.action ?? r.json.type)}`] ?? 0) + 1;
      }
      return { ms: Date.now() - t0, statuses };
    };

    // 1. A real order, 1,000 forged "issued" pushes (it is not issued).
    const real = await flood(Array.from({ length: 1_000 }, (_, i) => pushBody({ orderId: order.caOrderId, isIssued: i % 2 === 0, isRevoked: i % 3 === 0 })));
    await new Promise((r) => setTimeout(r, W + 1_000)); // the trailing delivery
    await eventually('reads settled', async () => (await view(order.billingOrderId, doc)).ca.checks - 1 >= (await signalsReceived(order.billingOrderId, doc)) - signalsBefore);
    const signals = (await signalsReceived(order.billingOrderId, doc)) - signalsBefore;
    const afterReal = doc.sim.state.counters().calls;
    const reads = afterReal.query - before.query;
    const bound = Math.ceil(real.ms / W) + 1;
    const v = await view(order.billingOrderId, doc);

    // 2. 1,000 forged pushes for distinct unknown ids, then 1,000 for one unknown id.
    const s1 = await stats();
    const distinct = await flood(Array.from({ length: 1_000 }, (_, i) => pushBody({ orderId: `FORGED-${uniqueId('x')}-${i}`, isIssued: true, isRevoked: false })));
    const s2 = await stats();
    // Their follow-ups (three more look-ups each, within the budget) run for ~6 s, longer
    // where look-ups are slower (SQL visibility on the cluster): until none is held.
    await followUpsDone();
    const s2b = await stats();
    const one = `FORGED-ONE-${uniqueId('x')}`;
    const single = await flood(Array.from({ length: 1_000 }, () => pushBody({ orderId: one, isIssued: true, isRevoked: false })));
    await followUpsDone();
    const s3 = await stats();
    const afterUnknown = doc.sim.state.counters().calls;

    const report = {
      realOrder: { pushes: 1_000, floodMs: real.ms, windowMs: W, signals, bound, caStatusReads: reads, otherCaCalls: Object.entries(afterReal).filter(([op]) => op !== 'query').reduce((n, [op, c]) => n + c - before[op as keyof typeof before], 0), answers: real.statuses, state: `${order.view.condition.state} → ${v.condition.state}` },
      distinctUnknown: {
        pushes: 1_000,
        floodMs: distinct.ms,
        lookUps: s2.lookUps - s1.lookUps,
        budgetBound: s0.settings.burst + Math.ceil((s0.settings.ratePerSec * distinct.ms) / 1000),
        lookUpsWithFollowUps: s2b.lookUps - s1.lookUps,
        budgetBoundWithFollowUps: s0.settings.burst + Math.ceil((s0.settings.ratePerSec * (distinct.ms + FOLLOW_UP_MS)) / 1000),
        answers: distinct.statuses,
      },
      oneUnknown: { pushes: 1_000, floodMs: single.ms, lookUpsWithFollowUp: s3.lookUps - s2b.lookUps, negativeCacheHits: s3.cache.negativeHits - s2b.cache.negativeHits, answers: single.statuses },
      caCallsForUnknown: Object.entries(afterUnknown).reduce((n, [op, c]) => n + c - afterReal[op as keyof typeof afterReal], 0),
    };
    process.stdout.write(`[push e2e] flood figures ${JSON.stringify(report)}\n`);

    expect(signals).toBeGreaterThanOrEqual(1);
    expect(signals).toBeLessThanOrEqual(bound);
    expect(v.ca.checks - 1 - (order.view.ca.checks - 1)).toBeLessThanOrEqual(signals);
    expect(reads).toBeLessThanOrEqual(2 * signals); // at most two CA calls per read (inline, then activity)
    expect(report.realOrder.otherCaCalls).toBe(0);
    expect(v.condition.state).toBe(order.view.condition.state);
    expect(v.certificate).toBeFalsy();
    expect(report.distinctUnknown.lookUps).toBeLessThanOrEqual(report.distinctUnknown.budgetBound);
    expect(report.distinctUnknown.lookUpsWithFollowUps).toBeLessThanOrEqual(report.distinctUnknown.budgetBoundWithFollowUps);
    // One look-up per second of flood for the single unknown id (the negative cache; pushes deferred meanwhile go to the follow-up), which looks again at most three times.
    expect(report.oneUnknown.lookUpsWithFollowUp).toBeLessThanOrEqual(Math.ceil(single.ms / 1_000) + 3);
    expect(report.caCallsForUnknown).toBe(0);
    expect(Object.keys(distinct.statuses).every((k) => k === '404 urn:certflow:problem:no-waiting-order' || k === '200 throttled')).toBe(true);
  });
});
