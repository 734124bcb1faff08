/**
 * WoTrus as its document defines it, on the Java time-skipping test server with production
 * durations (30-day deadlines, hour-long polls, day-long reminder ladders). The CA is the
 * FakeCa (mocked activities: what matters here is what the workflow does with each status
 * and when, over a month of workflow time).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { BillingEvent } from '../../src/activities';
import { type OrderPolicyInput, orderPolicySchema, orderRequestSchema } from '../../src/domain/order';
import type { OrderView } from '../../src/domain/order-view';
import { orderWorkflowId } from '../../src/domain/workflow-ids';
import { bundleWorkflows } from '../../src/worker-factory';
import { orderWorkflow } from '../../src/workflows';
import { getOrderQuery, MESSAGE_DESCRIPTIONS, reissueUpdate, resendCustomerEmailUpdate } from '../../src/workflows/messages';
import { CSR, FakeCa, PROOF, refusal } from '../support/fake-ca';
import { eventually } from '../support/order-harness';
import { createTimeSkippingEnv, uniqueId } from '../support/temporal';

jest.retryTimes(1, { logErrorsBeforeRetry: true });
jest.setTimeout(120_000);

const DAY = 86_400_000;
const LINK = 'https://buy.wosign.com/ProductV4/OrderSuccess/4798ED51.html';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let fake: FakeCa;
let taskQueue: string;

beforeAll(async () => {
  bundle = await bundleWorkflows();
});
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  fake = new FakeCa();
  taskQueue = uniqueId('as-written');
});
afterEach(async () => {
  fake?.releaseAll();
  await env?.teardown();
});

async function run<T>(fn: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: bundle, activities: fake.activities() });
  return worker.runUntil(fn);
}

async function start(policy: OrderPolicyInput = {}) {
  const billingOrderId = uniqueId('B');
  const order = orderRequestSchema.parse({ billingOrderId, productId: '00000000-0000-4000-8000-000000000001', commonName: 'www.example.com', csr: CSR, month: 12 });
  return env.client.workflow.start(orderWorkflow, {
    taskQueue,
    workflowId: orderWorkflowId(billingOrderId),
    args: [{ order, policy: orderPolicySchema.parse(policy), collectUrl: `https://certflow.test/v1/orders/${billingOrderId}/certificate` }],
  });
}
type Handle = Awaited<ReturnType<typeof start>>;

const view = (h: Handle): Promise<OrderView> => h.query(getOrderQuery);
const until = (h: Handle, what: string, ok: (v: OrderView) => boolean): Promise<OrderView> =>
  eventually(what, async () => {
    const v = await view(h);
    return ok(v) ? v : undefined;
  });
const events = (type: string): BillingEvent[] => fake.billing.filter((e) => e.type === type);
/** Days since `t0` at which each event occurred (workflow time, rounded to the hour). */
const daysOf = (es: BillingEvent[], t0: number): number[] => es.map((e) => Math.round(((Date.parse(e.occurredAt) - t0) / DAY) * 24) / 24);

describe('the customer hears what to do (order.action_required)', () => {
  it('pendingDCV: the link, what is expected and the deadline at once; reminders after 1, 3, 7, 14 and 27 days; at 30 days the order is cancelled at the CA', async () => {
    await run(async () => {
      // A fresh fake numbers its orders from CA-1: the link is there from the first read on.
      fake.links.set('CA-1', LINK);
      const handle = await start();
      const final = await handle.result();
      const caOrderId = final.ca.orderId;

      expect(final.condition).toMatchObject({ state: 'failed', reason: 'ValidationDeadlineExceeded' });
      const notices = events('order.action_required');
      expect(notices.map((e) => e.data.reminder)).toEqual([0, 1, 2, 3, 4, 5]);
      const t0 = Date.parse(notices[0]!.data.since as string);
      expect(notices[0]).toMatchObject({ data: { caOrderId, expected: ['validateDomain'], deadline: new Date(Date.parse(final.timeline[0]!.at) + 30 * DAY).toISOString() } });
      expect(notices.every((e) => e.data.link === LINK)).toBe(true);
      expect(daysOf(notices, t0)).toEqual([0, 1, 3, 7, 14, 27]);
      expect(fake.names()).toContain('cancelCaOrder');
      expect(final.ca.customerAction).toMatchObject({ link: LINK, reminders: 5 });
      expect(final.ca.customerAction?.nextReminderAt).toBeUndefined();
    });
  });

  it('every wait explains itself in the Web UI: timer summaries name the next check, the reminder and the deadline', async () => {
    await run(async () => {
      fake.links.set('CA-1', LINK);
      const handle = await start({ validationDeadlineMs: 3 * DAY, customerRemindersMs: [DAY], customerLastReminderBeforeDeadlineMs: 0 });
      await handle.result();
      const history = await handle.fetchHistory();
      const summaries = (history.events ?? [])
        .filter((e) => e.timerStartedEventAttributes)
        .map((e) => (e.userMetadata?.summary?.data ? JSON.parse(Buffer.from(e.userMetadata.summary.data).toString()) as string : undefined));
      expect(summaries.length).toBeGreaterThan(3);
      expect(summaries.every((x) => typeof x === 'string' && x.length > 0)).toBe(true);
      expect(summaries).toEqual(expect.arrayContaining([
        expect.stringMatching(/^CA order CA-1 is fake:validation: read it again at the next check \(.+\), or at once on a push$/),
        expect.stringMatching(/at the customer's next reminder/),
        expect.stringMatching(/at the validation deadline/),
      ]));
    });
  });

  it('every signal, query and update of the order carries its description (the Web UI lists them)', async () => {
    await run(async () => {
      const handle = await start();
      await until(handle, 'CA order', (v) => v.ca.orderId !== undefined);
      const meta = await handle.query<{ currentDetails?: string; definition?: { signalDefinitions?: { name?: string; description?: string }[]; queryDefinitions?: { name?: string; description?: string }[]; updateDefinitions?: { name?: string; description?: string }[] } }>('__temporal_workflow_metadata');
      const defs = [...(meta.definition?.signalDefinitions ?? []), ...(meta.definition?.queryDefinitions ?? []), ...(meta.definition?.updateDefinitions ?? [])];
      const ours = defs.filter((d) => d.name && !d.name.startsWith('__'));
      expect(ours.map((d) => d.name).sort()).toEqual(['caPushed', 'cancel', 'getCertificate', 'getOrder', 'resendCustomerEmail', 'resolveCreate', 'retryNow', 'reissue', 'revoke'].sort());
      for (const d of ours) expect(d.description).toBe(MESSAGE_DESCRIPTIONS[d.name as keyof typeof MESSAGE_DESCRIPTIONS]);
      // Current details: the state since when, and the CA order it waits on.
      const current = await view(handle);
      expect(meta.currentDetails).toContain(`**${current.condition.state}** — ${current.condition.reason}, since ${current.condition.at}`);
      expect(meta.currentDetails).toContain(`- CA order: ${current.ca.orderId}`);
      await handle.terminate();
    });
  });

  it('pendingAutoIssue waits for DCV: awaitingValidation with the link, no probing for a certificate, then issues by itself', async () => {
    fake.initialStatus = 'autoIssuance';
    await run(async () => {
      fake.links.set('CA-1', LINK);
      fake.tasks.set('CA-1', ['validateDomain']);
      const handle = await start({ customerRemindersMs: [2 * DAY], customerLastReminderBeforeDeadlineMs: 0 });
      const caOrderId = await until(handle, 'CA order', (v) => v.ca.orderId !== undefined).then((v) => v.ca.orderId!);
      const waiting = await until(handle, 'the link', (v) => v.ca.pendingLink === LINK && v.ca.customerAction?.link === LINK);
      expect(waiting.condition).toMatchObject({ state: 'awaitingValidation', reason: 'DomainValidationPendingAutoIssue' });
      expect(waiting.condition.message).toContain(LINK);
      expect(waiting.ca.customerAction).toMatchObject({ expected: ['validateDomain'], reminders: 0 });
      // Three days on: one reminder (the policy's ladder), still waiting, never a retrieve.
      await env.sleep(3 * DAY);
      const later = await view(handle);
      expect(later.condition.state).toBe('awaitingValidation');
      expect(events('order.action_required').map((e) => e.data.reminder)).toEqual([0, 1]);
      expect(fake.names()).not.toContain('retrieveCertificate');

      fake.status.set(caOrderId, 'issued');
      await env.sleep(2 * 3_600_000);
      const active = await until(handle, 'active', (v) => v.condition.state === 'active');
      expect(active.ca.customerAction).toBeUndefined();
      expect(events('order.issued')).toHaveLength(1);
    });
  });

  it('documents missing during review: action_required names them; none while the CA reviews with nothing missing', async () => {
    fake.initialStatus = 'manualReview';
    await run(async () => {
      const handle = await start();
      const caOrderId = await until(handle, 'CA order', (v) => v.ca.orderId !== undefined).then((v) => v.ca.orderId!);
      const reviewing = await until(handle, 'manual review', (v) => v.condition.reason === 'CaManualReview');
      expect(reviewing.condition.state).toBe('awaitingReview');
      expect(reviewing.ca.customerAction).toBeUndefined();
      expect(events('order.action_required')).toHaveLength(0);

      fake.links.set(caOrderId, LINK);
      fake.tasks.set(caOrderId, ['validateDomain', 'uploadDocuments']);
      await env.sleep(2 * 60_000);
      const missing = await until(handle, 'documents asked for', (v) => v.ca.customerAction !== undefined);
      expect(missing.ca.customerAction?.expected).toEqual(['uploadDocuments']);
      expect(events('order.action_required')[0]?.data).toMatchObject({ link: LINK, expected: ['uploadDocuments'] });
    });
  });
});

describe('statuses as written', () => {
  it('closed is the CA closing the order: cancelled with ClosedByCa, billing hears order.closed_by_ca, certflow cancels nothing', async () => {
    await run(async () => {
      const handle = await start();
      const caOrderId = await until(handle, 'CA order', (v) => v.ca.orderId !== undefined).then((v) => v.ca.orderId!);
      fake.status.set(caOrderId, 'closed');
      const final = await handle.result();
      expect(final.condition).toMatchObject({ state: 'cancelled', reason: 'ClosedByCa' });
      expect(events('order.closed_by_ca')).toHaveLength(1);
      expect(events('order.cancelled')).toHaveLength(0);
      expect(fake.names()).not.toContain('cancelCaOrder');
    });
  });

  it('unknown: needsAttention, order.needs_attention once, polling goes on and the order resumes when the CA knows again', async () => {
    await run(async () => {
      const handle = await start();
      const caOrderId = await until(handle, 'CA order', (v) => v.ca.orderId !== undefined).then((v) => v.ca.orderId!);
      fake.status.set(caOrderId, 'unknown');
      await env.sleep(5 * 60_000);
      const lost = await until(handle, 'needsAttention', (v) => v.condition.state === 'needsAttention');
      expect(lost.condition.reason).toBe('CaStatusUnknown');
      await env.sleep(3 * 3_600_000);
      expect(events('order.needs_attention')).toHaveLength(1);
      expect(events('order.needs_attention')[0]?.data).toMatchObject({ reason: 'CaStatusUnknown', caOrderId });

      fake.status.set(caOrderId, 'issued');
      await env.sleep(2 * 3_600_000);
      await until(handle, 'active', (v) => v.condition.state === 'active');
      expect(events('order.needs_attention')).toHaveLength(1);
    });
  });
});

describe('reissue and the replaced certificate as written', () => {
  async function activeOrder(policy: OrderPolicyInput = {}): Promise<{ handle: Handle; v: OrderView }> {
    fake.initialStatus = 'issued';
    const handle = await start(policy);
    return { handle, v: await until(handle, 'active', (x) => x.condition.state === 'active') };
  }

  it('a product whose CA leaves the old certificate valid: no revoke call, no invented proof; order.reissued says the old one is still valid', async () => {
    await run(async () => {
      const { handle, v } = await activeOrder();
      await handle.executeUpdate(reissueUpdate, { args: [{ csr: CSR, reason: 'key rotation', requestId: 'r1' }] });
      const done = await until(handle, 'reissued', (x) => x.lineage.reissues[0]?.status === 'completed' && x.condition.state === 'active');
      expect(done.certificate?.serialNumber).not.toBe(v.certificate?.serialNumber);
      expect(fake.names()).not.toContain('requestRevoke');
      expect(done.lineage.revocations).toEqual([]);
      expect(events('order.reissued')[0]?.data.replacedCertificate).toMatchObject({ serialNumber: v.certificate!.serialNumber, stillValid: true, revocation: 'stillValid' });
    });
  });

  it('a reissue whose new CA order waits for the customer\'s DCV: order.action_required with the new link, marked as the reissue\'s, then a reminder', async () => {
    await run(async () => {
      const { handle, v } = await activeOrder({ customerRemindersMs: [DAY], customerLastReminderBeforeDeadlineMs: 0 });
      fake.initialStatus = 'validation';
      fake.links.set('CA-2', `${LINK}?reissue`);
      await handle.executeUpdate(reissueUpdate, { args: [{ csr: CSR, reason: 'key rotation', requestId: 'r1' }] });
      await eventually('the reissue\'s notice', async () => (events('order.action_required').length > 0 ? true : undefined));
      await env.sleep(DAY + 3_600_000);
      const notices = events('order.action_required');
      expect(notices.map((e) => e.data.reminder)).toEqual([0, 1]);
      expect(notices[0]).toMatchObject({ billingOrderId: v.billingOrderId, data: { caOrderId: 'CA-2', link: `${LINK}?reissue`, expected: ['validateDomain'], reissue: { requestId: 'r1', replacesCaOrderId: v.certificate!.caOrderId } } });
      expect((await view(handle)).certificate?.serialNumber).toBe(v.certificate?.serialNumber);

      fake.status.set('CA-2', 'issued');
      await env.sleep(2 * 3_600_000);
      const done = await until(handle, 'reissued', (x) => x.lineage.reissues[0]?.status === 'completed' && x.condition.state === 'active');
      expect(done.certificate?.caOrderId).toBe('CA-2');
      expect(events('order.action_required')).toHaveLength(2);
    });
  });

  it('…and when the request asks for it with the customer\'s proof, that proof (and only it) goes to the CA', async () => {
    await run(async () => {
      const { handle, v } = await activeOrder();
      const refused = await refusal(handle.executeUpdate(reissueUpdate, { args: [{ csr: CSR, reason: 'compromised', requestId: 'r0', revokeReplaced: true }] }));
      expect(refused.message).toMatch(/proof/);
      await handle.executeUpdate(reissueUpdate, { args: [{ csr: CSR, reason: 'compromised', requestId: 'r1', revokeReplaced: true, proof: PROOF }] });
      const done = await until(handle, 'replaced revoked', (x) => x.lineage.revocations[0]?.status === 'revoked');
      expect(done.lineage.revocations[0]).toMatchObject({ caOrderId: v.certificate!.caOrderId, scope: 'replaced' });
      const [revoke] = fake.argsOf('requestRevoke');
      expect(revoke?.[0]).toMatchObject({ caOrderId: v.certificate!.caOrderId, proof: PROOF });
      expect(events('order.reissued')[0]?.data.replacedCertificate).toMatchObject({ stillValid: false, revocation: 'revocationRequested' });
    });
  });

  it('SM2 / Sectigo: the reissue needs the proof and carries it; certflow confirms by reading the old order that the CA revoked it', async () => {
    await run(async () => {
      const { handle, v } = await activeOrder({ caRevokesReplaced: true });
      const oldCaOrderId = v.certificate!.caOrderId;
      const refused = await refusal(handle.executeUpdate(reissueUpdate, { args: [{ csr: CSR, reason: 'key rotation', requestId: 'r0' }] }));
      expect(refused.message).toMatch(/proof is required/);

      await handle.executeUpdate(reissueUpdate, { args: [{ csr: CSR, reason: 'key rotation', requestId: 'r1', proof: PROOF }] });
      // The update answers once the reissue child starts; its CA call may come a moment later.
      const waiting = await until(handle, 'confirmation running', (x) => x.lineage.revocations[0]?.status === 'running');
      expect(fake.argsOf('requestReissue')[0]?.[0]).toMatchObject({ caOrderId: oldCaOrderId, proof: PROOF });
      expect(waiting.lineage.revocations[0]).toMatchObject({ caOrderId: oldCaOrderId, scope: 'replaced' });
      expect(events('order.reissued')[0]?.data.replacedCertificate).toMatchObject({ stillValid: false, revocation: 'revokedByCa' });

      fake.status.set(oldCaOrderId, 'revoked');
      await env.sleep(10 * 60_000);
      const confirmed = await until(handle, 'revocation confirmed', (x) => x.lineage.revocations[0]?.status === 'revoked');
      expect(confirmed.condition.state).toBe('active');
      expect(fake.names()).not.toContain('requestRevoke');
    });
  });
});

describe('the customer e-mail at most once', () => {
  it('a lost answer is recorded as unconfirmed and not repeated; an operator resends once per request id', async () => {
    fake.initialStatus = 'issued';
    fake.emailAnswers.push({ sent: 'unconfirmed', reason: 'the CA did not answer within 15 s', requestId: 'req-1' });
    await run(async () => {
      const handle = await start();
      const active = await until(handle, 'active', (x) => x.condition.state === 'active');
      expect(fake.names().filter((n) => n === 'sendCaEmail')).toHaveLength(1);
      expect(active.notifications.caEmails).toMatchObject([{ status: 'unconfirmed', trigger: 'delivery', caRequestId: 'req-1' }]);
      expect(active.timeline.map((t) => t.reason)).toContain('CaEmailUnconfirmed');

      const answer = await handle.executeUpdate(resendCustomerEmailUpdate, { args: [{ requestId: 'op-1', reason: 'customer asked' }] });
      expect(answer.message).toMatch(/e-mailed the customer/);
      const again = await handle.executeUpdate(resendCustomerEmailUpdate, { args: [{ requestId: 'op-1', reason: 'customer asked' }] });
      expect(again.message).toMatch(/already made/);
      expect(fake.names().filter((n) => n === 'sendCaEmail')).toHaveLength(2);
      const v = await view(handle);
      expect(v.notifications.caEmails?.map((r) => [r.trigger, r.status])).toEqual([['delivery', 'unconfirmed'], ['resend', 'sent']]);
    });
  });
});
