/**
 * The CA push receiver on the running stack: a push signed with the stack's CA_PUSH_SECRET
 * reaches the waiting order, which reads the CA status at once (ca.checks grows, the state
 * follows the CA); forged, modified or unsigned pushes are 401 and reach nothing; a push for
 * a CA order nobody waits for is 404; the CA's retries of one push have one effect.
 *
 * The simulator runs in manual mode with its own pushes switched off, so every push here is
 * one the test sends, and the orders only move when the test drives the simulator. With the
 * production poll interval (first poll after 60 s) no order polls during the test: every CA
 * status read is caused by a push.
 */
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { PUSH_SIGNATURE_HEADER, signPushBody } from '../../src/ca/wotrus/push';
import { orderWorkflowId } from '../../src/domain/workflow-ids';
import { SIM_PRODUCT_IDS } from '../../tools/simulators/wotrus/catalog';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import { pushBody } from '../../tools/simulators/wotrus/pushes';
import type { OrderView } from '../../src/domain/order-view';
import { eventually } from '../support/order-harness';
import { type Stack, startStack } from '../support/stack';
import { uniqueId } from '../support/temporal';

Runtime.install({ logger: new DefaultLogger('WARN') });

let stack: Stack;
let secret: string;

beforeAll(async () => {
  stack = await startStack({ simulator: { manual: true } });
  stack.sim.state.updateSettings({ pushUrl: null });
  secret = stack.config.CA_PUSH_SECRET!;
});
afterAll(async () => {
  await stack?.close();
});

async function view(billingOrderId: string): Promise<OrderView> {
  const r = await stack.api(`/v1/orders/${billingOrderId}`);
  expect(r.status).toBe(200);
  return (await r.json()) as OrderView;
}

/** Places a DV order and waits until it sleeps until its next poll, its CA order read once. */
async function waitingOrder(): Promise<{ billingOrderId: string; caOrderId: string; view: OrderView }> {
  const commonName = `${uniqueId('push').toLowerCase()}.example.com`;
  const { csrPem } = await generateCsr({ commonName, keyType: 'ec' });
  const billingOrderId = uniqueId('P');
  const r = await stack.api('/v1/orders', { body: { billingOrderId, productId: SIM_PRODUCT_IDS.rsaDv, commonName, csr: csrPem, month: 12 } });
  expect(r.status).toBe(202);
  const v = await eventually('order waiting for its next check', async () => {
    const v = await view(billingOrderId);
    return v.ca.orderId && v.ca.nextCheckAt ? v : undefined;
  });
  expect(v.ca.checks).toBe(1);
  return { billingOrderId, caOrderId: v.ca.orderId!, view: v };
}

async function signalsReceived(billingOrderId: string): Promise<number> {
  const history = await stack.client.workflow.getHandle(orderWorkflowId(billingOrderId)).fetchHistory();
  return (history.events ?? []).filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).length;
}

async function push(body: string, headers: Record<string, string> = {}): Promise<{ status: number; contentType: string | null; json: Record<string, unknown> }> {
  const r = await fetch(`${stack.apiUrl}/v1/ca/wotrus/push`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: r.status, contentType: r.headers.get('content-type'), json: (await r.json()) as Record<string, unknown> };
}

const signed = (body: string, key = secret): Record<string, string> => ({ [PUSH_SIGNATURE_HEADER]: signPushBody(key, body) });

describe('CA push receiver end to end', () => {
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
    expect((await push(issuedBody, signed(issuedBody))).json).toMatchObject({ action: 'signalled', workflows: 1 });
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

  it('the same push 100 times (the CA retrying) is answered 200 each time and signals once', async () => {
    const order = await waitingOrder();
    const queries = stack.sim.state.counters().calls.query;
    const body = pushBody({ orderId: order.caOrderId, isIssued: false, isRevoked: false });
    const headers = signed(body);
    const answers: string[] = [];
    // In bursts of 20 concurrent deliveries: the dedupe claim must hold under concurrency too.
    for (let burst = 0; burst < 5; burst++) {
      const results = await Promise.all(Array.from({ length: 20 }, () => push(body, headers)));
      for (const r of results) {
        expect(r.status).toBe(200);
        answers.push(String(r.json.action));
      }
    }
    expect(answers).toHaveLength(100);
    expect(answers.filter((a) => a === 'signalled')).toHaveLength(1);
    expect(answers.filter((a) => a === 'duplicate')).toHaveLength(99);
    expect(await signalsReceived(order.billingOrderId)).toBe(1);

    await eventually('the one status read', async () => (await view(order.billingOrderId)).ca.checks >= 2);
    // Give a second read, if any were coming, the time to happen before counting.
    await new Promise((r) => setTimeout(r, 500));
    const v = await view(order.billingOrderId);
    const reads = stack.sim.state.counters().calls.query - queries;
    // One signal, so one status read. The bound is 2, not 1, because a push is a hint that is
    // consumed when a read starts: a signal landing while a read is in flight (or a poll timer
    // firing at the same moment) legitimately costs one more read. Not 100, not even 3.
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(2);
    // And those reads were this order's own (no other order polls during the test).
    expect(v.ca.checks - 1).toBe(reads);
  });
});
