/**
 * Changing orders through the HTTP API on the running stack: cancel before issuance, the
 * workflow's refusals as 409 problems carrying its own sentence, reissue with a new CSR (a
 * new certificate for the new key; idempotent on requestId; the replaced certificate
 * revoked), and revocation with a proof through the CA's review to `revoked`.
 *
 * The simulator runs in manual mode: the test drives every CA step, after making sure the
 * workflow that waits for it can be found by the push (visibility is eventually consistent).
 */
import { X509Certificate } from 'node:crypto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../../src/worker-factory';
import { orderWorkflowId, reissueWorkflowId, revokeWorkflowId } from '../../src/domain/workflow-ids';
import { SIM_PRODUCT_IDS } from '../../tools/simulators/wotrus/catalog';
import { type GeneratedCsr, generateCsr } from '../../tools/simulators/wotrus/csr';
import type { DriveAction } from '../../tools/simulators/wotrus/state-machine';
import type { OrderView } from '../../src/domain/order-view';
import type { UpdateAnswer } from '../../src/workflows/messages';
import { eventually } from '../support/order-harness';
import { type Stack, startStack } from '../support/stack';
import { uniqueId } from '../support/temporal';
import { outcomes } from '../support/billing-events';

Runtime.install({ logger: new DefaultLogger('WARN') });

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ simulator: { manual: true } });
});
afterAll(async () => {
  await stack?.close();
});

interface Problem {
  type: string;
  status: number;
  detail?: string;
}

async function view(id: string): Promise<OrderView> {
  const r = await stack.api(`/v1/orders/${id}`);
  expect(r.status).toBe(200);
  return (await r.json()) as OrderView;
}

function until(id: string, what: string, ok: (v: OrderView) => boolean): Promise<OrderView> {
  return eventually(what, async () => {
    const v = await view(id);
    return ok(v) ? v : undefined;
  }, 30_000);
}

async function change(id: string, action: 'cancel' | 'reissue' | 'revoke' | 'retry', body?: unknown): Promise<{ status: number; contentType: string | null; json: UpdateAnswer & Problem }> {
  const r = await stack.api(`/v1/orders/${id}/${action}`, { method: 'POST', body });
  return { status: r.status, contentType: r.headers.get('content-type'), json: (await r.json()) as UpdateAnswer & Problem };
}

async function expectRefused(id: string, action: 'cancel' | 'reissue' | 'revoke' | 'retry', body: unknown, detail: RegExp | string): Promise<void> {
  const r = await change(id, action, body);
  expect({ action, status: r.status, type: r.json.type }).toEqual({ action, status: 409, type: 'urn:certflow:problem:update-rejected' });
  expect(r.contentType).toContain('application/problem+json');
  if (typeof detail === 'string') expect(r.json.detail).toBe(detail);
  else expect(r.json.detail).toMatch(detail);
}

/** Drives a CA step once the push it causes can find `workflowId` (visibility lags a little). */
async function drive(caOrderId: string, action: DriveAction, workflowId: string): Promise<void> {
  await eventually(`${workflowId} findable by CA order ${caOrderId}`, async () => (await stack.orders.findByCaOrderId(caOrderId)).includes(workflowId));
  const r = await stack.sim.state.drive(caOrderId, action);
  expect(r).toMatchObject({ ok: true });
}

async function placeOrder(): Promise<{ id: string; csr: GeneratedCsr; commonName: string; caOrderId: string }> {
  const commonName = `${uniqueId('life').toLowerCase()}.example.com`;
  const csr = await generateCsr({ commonName, keyType: 'ec' });
  const id = uniqueId('L');
  const r = await stack.api('/v1/orders', { body: { billingOrderId: id, productId: SIM_PRODUCT_IDS.rsaDv, commonName, hosts: [commonName], csr: csr.csrPem, month: 12 } });
  expect(r.status).toBe(202);
  const v = await until(id, 'CA order created and read', (x) => Boolean(x.ca.orderId && x.ca.nextCheckAt));
  return { id, csr, commonName, caOrderId: v.ca.orderId! };
}

async function activeOrder(): Promise<{ id: string; csr: GeneratedCsr; commonName: string; caOrderId: string; view: OrderView }> {
  const o = await placeOrder();
  await drive(o.caOrderId, 'issue', orderWorkflowId(o.id));
  return { ...o, view: await until(o.id, 'active', (v) => v.condition.state === 'active') };
}

async function leafOf(id: string): Promise<X509Certificate> {
  const r = await stack.api(`/v1/orders/${id}/certificate?format=pem`);
  expect(r.status).toBe(200);
  const pem = (await r.text()).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
  return new X509Certificate(pem);
}

const spki = (pem: string | X509Certificate): string =>
  (typeof pem === 'string' ? pem : pem.publicKey.export({ type: 'spki', format: 'pem' }).toString()).trim();

const proof = { fileType: '.pdf' as const, fileContent: Buffer.from('%PDF-1.4 revocation request').toString('base64') };

describe('order lifecycle through the API', () => {
  it('before issuance: reissue, revoke and retry are refused with the reason; cancel cancels the CA order; the ended order refuses changes', async () => {
    const o = await placeOrder();
    const state = (await view(o.id)).condition.state;
    expect(state).toBe('awaitingReview');
    await expectRefused(o.id, 'reissue', { csr: o.csr.csrPem, reason: 'new key', requestId: 'r-early' }, `An order in state ${state} cannot be reissued; reissue is possible only for an active certificate.`);
    await expectRefused(o.id, 'revoke', { reason: 'compromised', proof }, `An order in state ${state} cannot be revoked; revocation is possible only for an active certificate.`);
    await expectRefused(o.id, 'retry', undefined, `Nothing to retry: the order is ${state}.`);

    const cancels = stack.sim.state.counters().calls.cancel;
    const cancelled = await change(o.id, 'cancel', { reason: 'customer changed their mind' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ accepted: true, caOrderId: o.caOrderId });
    const v = await until(o.id, 'cancelled', (x) => x.condition.state === 'cancelled');
    expect(v.condition.message).toContain('customer changed their mind');
    expect(stack.sim.state.counters().calls.cancel).toBe(cancels + 1);
    expect(stack.sim.state.order(o.caOrderId)?.status).toBe('closed');
    expect(outcomes(stack.billing.events.filter((e) => e.billingOrderId === o.id).map((e) => e.type))).toEqual(['order.cancelled']);

    await expectRefused(o.id, 'cancel', { reason: 'again' }, /^The order has ended \(completed, last state cancelled\); it accepts no more changes\.$/);
    // The certificate route says there is none, rather than failing.
    const cert = await stack.api(`/v1/orders/${o.id}/certificate`);
    expect(cert.status).toBe(404);
    expect(((await cert.json()) as Problem).type).toBe('urn:certflow:problem:certificate-not-issued');
  });

  it('reissue with a new CSR, asking to revoke the replaced certificate with the customer\'s proof: a new certificate for the new key, idempotent on requestId, the replaced certificate revoked', async () => {
    const o = await activeOrder();
    const oldSerial = o.view.certificate!.serialNumber;
    expect(spki(await leafOf(o.id))).toBe(spki(o.csr.publicKeyPem));

    await expectRefused(o.id, 'cancel', { reason: 'too late' }, 'An order in state active cannot be cancelled; cancel is possible only before issuance.');

    const csr2 = await generateCsr({ commonName: o.commonName, keyType: 'rsa' });
    const body = { csr: csr2.csrPem, reason: 'key rotation', requestId: 'rotate-1', revokeReplaced: true, proof };
    const reissues = stack.sim.state.counters().calls.reissue;
    const first = await change(o.id, 'reissue', body);
    expect(first.status).toBe(202);
    expect(first.json).toMatchObject({ accepted: true, message: 'Reissue rotate-1 started.' });
    // The same request again (a retry by billing) is the same reissue.
    const again = await change(o.id, 'reissue', body);
    expect(again.status).toBe(202);
    expect(again.json.message).toMatch(/^Reissue rotate-1 was already requested/);
    // Another change while it runs is refused by the workflow.
    await expectRefused(o.id, 'reissue', { ...body, requestId: 'rotate-2' }, /cannot be reissued|in progress/);
    await expectRefused(o.id, 'revoke', { reason: 'compromised', proof }, /cannot be revoked|in progress/);

    const newCaOrderId = await eventually('the CA reissue order', async () => stack.sim.state.order(o.caOrderId)?.reissuedTo[0]);
    expect(stack.sim.state.counters().calls.reissue).toBe(reissues + 1);
    await drive(newCaOrderId, 'issue', reissueWorkflowId(orderWorkflowId(o.id), 'rotate-1'));
    const reissued = await until(o.id, 'reissued and active', (v) => v.condition.state === 'active' && v.lineage.reissues[0]?.status === 'completed');
    expect(reissued.certificate?.caOrderId).toBe(newCaOrderId);
    expect(reissued.certificate?.serialNumber).not.toBe(oldSerial);
    expect(reissued.lineage.caOrderIds).toEqual([o.caOrderId, newCaOrderId]);
    expect(reissued.lineage.reissues).toEqual([expect.objectContaining({ id: 'rotate-1', status: 'completed', caOrderId: newCaOrderId, serialNumber: reissued.certificate!.serialNumber })]);
    expect(reissued.lineage.replacedCertificates.map((c) => c.serialNumber)).toEqual([oldSerial]);

    // The downloadable certificate is the new one, for the new key.
    const leaf = await leafOf(o.id);
    expect(leaf.serialNumber.toLowerCase().replace(/^0+/, '')).toBe(reissued.certificate!.serialNumber.toLowerCase().replace(/^0+/, ''));
    expect(spki(leaf)).toBe(spki(csr2.publicKeyPem));
    expect(spki(leaf)).not.toBe(spki(o.csr.publicKeyPem));
    expect(leaf.checkHost(o.commonName)).toBe(o.commonName);

    // The replaced certificate is revoked through a child of its own, as the request asked.
    await eventually('replaced revocation requested', async () => stack.sim.state.order(o.caOrderId)?.status === 'pendingRevoke');
    await drive(o.caOrderId, 'revoke', revokeWorkflowId(orderWorkflowId(o.id), o.caOrderId));
    const settled = await until(o.id, 'replaced certificate revoked', (v) => v.lineage.revocations.some((r) => r.scope === 'replaced' && r.status === 'revoked'));
    expect(settled.lineage.revocations).toEqual([expect.objectContaining({ caOrderId: o.caOrderId, serialNumber: oldSerial, scope: 'replaced', status: 'revoked' })]);
    expect(settled.condition.state).toBe('active');
    // Billing heard of the reissue once (delivery of the new certificate also sends an
    // order.issued for the new serial number, under its own idempotency key).
    const events = stack.billing.events.filter((e) => e.billingOrderId === o.id);
    expect(outcomes(events.map((e) => e.type)).slice(0, 2)).toEqual(['order.issued', 'order.reissued']);
    expect(events.filter((e) => e.type === 'order.reissued')).toEqual([expect.objectContaining({ data: expect.objectContaining({ replacedSerialNumber: oldSerial, serialNumber: reissued.certificate!.serialNumber }) })]);
  });

  it('revoke with a proof: revoking through the CA review, revoked when the CA revokes; then the order refuses changes', async () => {
    const o = await activeOrder();
    const revokes = stack.sim.state.counters().calls.revoke;
    const r = await change(o.id, 'revoke', { reason: 'key compromise', proof });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ accepted: true, message: 'Revocation requested from the CA.', caOrderId: o.caOrderId });

    const revoking = await until(o.id, 'revoking', (v) => v.condition.state === 'revoking');
    expect(revoking.lineage.revocations).toEqual([expect.objectContaining({ caOrderId: o.caOrderId, scope: 'order', status: 'running', reason: 'key compromise' })]);
    await eventually('the CA reviews the revocation', async () => stack.sim.state.order(o.caOrderId)?.status === 'pendingRevoke');
    expect(stack.sim.state.counters().calls.revoke).toBe(revokes + 1);
    expect(stack.sim.state.order(o.caOrderId)?.revokeReason).toBe('key compromise');
    // While the CA reviews, the order stays revoking.
    await new Promise((res) => setTimeout(res, 300));
    expect((await view(o.id)).condition.state).toBe('revoking');

    await drive(o.caOrderId, 'revoke', revokeWorkflowId(orderWorkflowId(o.id), o.caOrderId));
    const revoked = await until(o.id, 'revoked', (v) => v.condition.state === 'revoked');
    expect(revoked.condition.reason).toBe('Revoked');
    expect(revoked.lineage.revocations).toEqual([expect.objectContaining({ caOrderId: o.caOrderId, status: 'revoked', completedAt: expect.any(String) })]);
    // The workflow ends once billing has been told.
    const handle = stack.client.workflow.getHandle(orderWorkflowId(o.id));
    expect((await handle.result()).condition.state).toBe('revoked');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(outcomes(stack.billing.events.filter((e) => e.billingOrderId === o.id).map((e) => e.type))).toEqual(['order.issued', 'order.revoked']);

    // The ended order's whole history replays (a query to it, or a worker restart, needs
    // that); before patch patches-up-front this failed in about half of the runs.
    await Worker.runReplayHistory({ workflowBundle: await bundleWorkflows(), dataConverter: stack.client.options.dataConverter }, await handle.fetchHistory(), handle.workflowId);
    await expectRefused(o.id, 'revoke', { reason: 'again', proof }, 'The order has ended (completed, last state revoked); it accepts no more changes.');
    await expectRefused(o.id, 'reissue', { csr: o.csr.csrPem, reason: 'x', requestId: 'late' }, /^The order has ended/);
  });
});
