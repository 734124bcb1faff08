/**
 * orderWorkflow on the Java time-skipping test server with production durations (30-day
 * deadlines, one-year certificates, hour-long polls), against the real simulator over HTTP.
 * Each test asserts the final state and the CA calls the simulator counted.
 */
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SIM_PRODUCT_IDS } from '../../tools/simulators/wotrus/catalog';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCsr, generateSm2Csr } from '../../tools/simulators/wotrus/csr';
import { uniqueId } from '../support/temporal';
import { boundOrderWorkflowId, orderWorkflowId } from '../../src/domain/workflow-ids';
import { cancelUpdate, getBoundOrderQuery, getCertificateQuery, getOrderQuery, reissueUpdate, retryNowUpdate, revokeUpdate } from '../../src/workflows/messages';
import type { OrderView } from '../../src/domain/order-view';
import { bundleWorkflows } from '../../src/worker-factory';
import { orderWorkflow } from '../../src/workflows/order/workflow';
import { type Harness, dvOrder, eventually, startHarness, workflowInput } from '../support/order-harness';
import { createTimeSkippingEnv } from '../support/temporal';
import { installTestRuntime } from '../support/runtime';
import { notices, outcomes } from '../support/billing-events';

installTestRuntime();

/**
 * The Java time-skipping test server can keep a time-skipping lock after a signal races a
 * workflow task (seen under CPU load: the server clock stays at real time and a skip never
 * happens). Each test builds its own server, so a hang costs at most the timeout below and
 * one clean retry; a genuine failure fails twice.
 */
jest.retryTimes(1, { logErrorsBeforeRetry: true });
jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let h: Harness;

beforeAll(async () => {
  bundle = await bundleWorkflows();
});
// A server per test: time skipped by one test (a year, to expiry) must not leak into the next.
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  h = await startHarness({ client: env.client, connection: env.nativeConnection, bundle });
});
afterEach(async () => {
  await h?.close();
  await env?.teardown();
});

const PROOF = { fileType: '.pdf' as const, fileContent: Buffer.from('%PDF-1.4 revocation request').toString('base64') };

async function start(order: Awaited<ReturnType<typeof dvOrder>>, policy = {}) {
  return env.client.workflow.start(orderWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: orderWorkflowId(order.billingOrderId),
    args: [workflowInput(order, policy)],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

type Handle = Awaited<ReturnType<typeof start>>;

const view = (handle: Handle): Promise<OrderView> => handle.query(getOrderQuery);

async function stateIs(handle: Handle, ...states: OrderView['condition']['state'][]): Promise<OrderView> {
  return eventually(`state ${states.join('|')}`, async () => {
    const v = await view(handle);
    return states.includes(v.condition.state) ? v : undefined;
  });
}

/** Activity types the order ran as activity tasks (local activities are markers, not listed). */
async function activityTasks(handle: Handle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
}

async function localActivityMarkers(handle: Handle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
}

async function caOrderId(handle: Handle): Promise<string> {
  return eventually('CA order id', async () => (await view(handle)).ca.orderId);
}

/** Drives an order at the simulator through review, DCV and issuance (each step pushes). */
async function issue(id: string, handle?: Handle): Promise<void> {
  const o = h.sim.state.order(id)!;
  if (o.status === 'pendingSubmitOrderToCA') {
    await h.sim.state.drive(id, 'pass-review');
    if (handle) await stateIs(handle, 'awaitingValidation');
  }
  await h.sim.state.drive(id, 'pass-dcv');
  if (handle) await stateIs(handle, 'awaitingIssuance');
  await h.sim.state.drive(id, 'issue');
}

describe('orderWorkflow', () => {
  it('happy path with pushes: created, validated, issued, verified, delivered, active — then expires a year later', async () => {
    const order = await dvOrder();
    await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      await stateIs(handle, 'awaitingReview', 'awaitingValidation');
      await issue(id, handle);
      const active = await stateIs(handle, 'active');
      expect(active.certificate?.sans).toContain(order.commonName);
      expect(active.notifications.caEmailFor).toEqual([active.certificate!.serialNumber]);
      const bundleNow = await handle.query(getCertificateQuery);
      expect(bundleNow?.chainPems).toHaveLength(2);
      // a year of workflow time: renewal reminder, then expiry
      const final = await handle.result();
      expect(final.condition.state).toBe('expired');
      expect(final.timeline.map((t) => t.state)).toEqual(expect.arrayContaining(['creating', 'awaitingValidation', 'awaitingIssuance', 'retrieving', 'verifying', 'delivering', 'active', 'expired']));
      // Status reads, collection and verification ran inline (local activities), not as activity tasks.
      const tasks = await activityTasks(handle);
      expect(tasks).toContain('createCaOrder');
      expect(tasks.filter((t) => ['getCaOrderStatus', 'retrieveCertificate', 'verifyCertificate'].includes(t))).toEqual([]);
      expect(await localActivityMarkers(handle)).toBeGreaterThanOrEqual(final.ca.checks + 2);
    });
    const c = h.sim.state.counters();
    expect(c.calls.create).toBe(1);
    expect(c.calls.retrieve).toBe(1);
    expect(c.calls.email).toBe(1);
    expect(c.createsByIdempotenceId[order.billingOrderId]).toBe(1);
    expect(h.sim.state.emails()).toHaveLength(1);
    expect(outcomes(h.billing.types(order.billingOrderId))).toEqual(['order.issued', 'order.renewal_due', 'order.expired']);
    // DCV was the customer's to do: billing heard it once, with the link (no reminder: DCV passed within the day).
    expect(notices(h.billing.types(order.billingOrderId), 'order.action_required')).toBe(1);
  });

  it('happy path with pushes dropped: polling alone finds the issued certificate', async () => {
    h.sim.state.setFaults({ dropPushRate: 1 });
    const order = await dvOrder();
    await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      await stateIs(handle, 'awaitingValidation', 'awaitingReview');
      await issue(id);
      const before = (await view(handle)).ca.checks;
      await env.sleep('3 hours'); // polls fire on the growing schedule
      const active = await stateIs(handle, 'active');
      expect(active.ca.checks).toBeGreaterThan(before);
    });
    const c = h.sim.state.counters();
    expect(c.pushes.dropped).toBeGreaterThan(0);
    expect(c.pushes.acknowledged).toBe(0);
    expect(c.calls.create).toBe(1);
    expect(c.calls.retrieve).toBe(1);
  });

  it('OV: the CA review step shows as awaitingReview before validation and issuance', async () => {
    const { csrPem } = await generateCsr({ commonName: 'secure.example.org', keyType: 'ec' });
    const order = await dvOrder({ productId: SIM_PRODUCT_IDS.rsaOv, commonName: 'secure.example.org', csr: csrPem, organization: { orgName: 'Example Ltd', countryCode: 'CN' } });
    await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      const review = await stateIs(handle, 'awaitingReview');
      expect(review.condition.reason).toBe('CaReview');
      await issue(id, handle);
      await stateIs(handle, 'active');
    });
    const states = h.sim.state.order(h.sim.state.orders()[0]!.id)!.transitions.map((t) => t.status);
    expect(states).toEqual(expect.arrayContaining(['pendingDCV', 'pendingCAIssued', 'issued']));
    expect(h.sim.state.counters().calls.create).toBe(1);
  });

  it('CA rejection ends the order failed with the reason, and billing hears of it', async () => {
    const order = await dvOrder();
    const final = await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      await stateIs(handle, 'awaitingReview', 'awaitingValidation');
      await h.sim.state.drive(id, 'reject', 'domain on a blocklist');
      return handle.result();
    });
    expect(final.condition).toMatchObject({ state: 'failed', reason: 'CaRejected' });
    expect(outcomes(h.billing.types(order.billingOrderId))).toEqual(['order.failed']);
    const c = h.sim.state.counters();
    expect(c.calls.retrieve).toBe(0);
    expect(c.calls.cancel).toBe(0);
  });

  it('DCV deadline (30 days) passes: compensation cancels the CA order, the order fails', async () => {
    h.sim.state.setFaults({ dropPushRate: 1 });
    const order = await dvOrder();
    const final = await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      await stateIs(handle, 'awaitingReview');
      await h.sim.state.drive(id, 'pass-review');
      return handle.result(); // 30 days of hourly polls, skipped
    });
    expect(final.condition).toMatchObject({ state: 'failed', reason: 'ValidationDeadlineExceeded' });
    const c = h.sim.state.counters();
    expect(c.calls.cancel).toBe(1);
    expect(h.sim.state.order(final.ca.orderId!)!.status).toBe('closed');
    // a growing interval capped at an hour: ~30 × 24 reads, not one a minute
    expect(c.calls.query).toBeGreaterThan(700);
    expect(c.calls.query).toBeLessThan(800);
  });

  it('cancel before issuance cancels the CA order; cancel after issuance is refused', async () => {
    const order = await dvOrder();
    const other = await dvOrder();
    await h.run(async () => {
      const handle = await start(order);
      await caOrderId(handle);
      await stateIs(handle, 'awaitingReview');
      // Sent straight to the workflow (as the Temporal CLI or Web UI could): the validator's
      // schema, loaded on first use inside the sandbox, names the field and changes nothing.
      const invalid = handle.executeUpdate(cancelUpdate, { args: [{ reason: '' }] });
      await expect(invalid).rejects.toThrow(WorkflowUpdateFailedError);
      await invalid.catch((e: WorkflowUpdateFailedError) => expect(e.cause?.message).toMatch(/reason[\s\S]*(too_small|at least 1|>=1)|(too_small|at least 1|>=1)[\s\S]*reason/));
      expect((await view(handle)).condition.state).toBe('awaitingReview');
      const answer = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'customer changed their mind' }] });
      expect(answer).toMatchObject({ accepted: true, state: 'cancelled' });
      expect((await handle.result()).condition.state).toBe('cancelled');

      const issued = await start(other);
      const id = await caOrderId(issued);
      await issue(id, issued);
      await stateIs(issued, 'active');
      const refused = issued.executeUpdate(cancelUpdate, { args: [{ reason: 'too late' }] });
      await expect(refused).rejects.toThrow(WorkflowUpdateFailedError);
      await refused.catch((e: WorkflowUpdateFailedError) => expect(e.cause?.message).toMatch(/cannot be cancelled/));
      expect((await view(issued)).condition.state).toBe('active');
    });
    const c = h.sim.state.counters();
    expect(c.calls.cancel).toBe(1);
    expect(outcomes(h.billing.types(order.billingOrderId))).toEqual(['order.cancelled']);
  });

  it('reissue asking to revoke the replaced certificate, with the customer\'s proof: a new CA order, a new certificate, the replaced one revoked with that proof, lineage kept', async () => {
    const order = await dvOrder();
    await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      await issue(id, handle);
      const first = await stateIs(handle, 'active');
      const { csrPem } = await generateCsr({ commonName: order.commonName, keyType: 'ec' });
      const request = { csr: csrPem, reason: 'key compromise', requestId: 'r1', revokeReplaced: true, proof: PROOF };
      const answer = await handle.executeUpdate(reissueUpdate, { args: [request] });
      expect(answer.accepted).toBe(true);
      // the same request id again is the same reissue
      await handle.executeUpdate(reissueUpdate, { args: [request] });
      const newId = await eventually('reissue CA order', async () => h.sim.state.orders().find((o) => o.reissuedFrom === id)?.id);
      await issue(newId);
      const second = await eventually('switched certificate', async () => {
        const v = await view(handle);
        return v.condition.state === 'active' && v.certificate?.caOrderId === newId ? v : undefined;
      });
      expect(second.certificate!.serialNumber).not.toBe(first.certificate!.serialNumber);
      expect(second.lineage.caOrderIds).toEqual([id, newId]);
      expect(second.lineage.replacedCertificates.map((c) => c.serialNumber)).toEqual([first.certificate!.serialNumber]);
      expect(second.lineage.reissues).toMatchObject([{ id: 'r1', status: 'completed', caOrderId: newId }]);
      // certflow revokes the replaced certificate (this product's CA does not), as the request asked
      await eventually('revoke request for the replaced certificate', async () => h.sim.state.order(id)!.status === 'pendingRevoke' || h.sim.state.order(id)!.status === 'revoked');
      await h.sim.state.drive(id, 'revoke');
      await eventually('replaced revoked', async () => (await view(handle)).lineage.revocations.find((r) => r.scope === 'replaced' && r.status === 'revoked'));
      expect(second.notifications.caEmailFor).toEqual([first.certificate!.serialNumber, second.certificate!.serialNumber]);
    });
    const c = h.sim.state.counters();
    expect(c.calls.reissue).toBe(1);
    expect(c.calls.create).toBe(1);
    expect(c.calls.revoke).toBe(1);
    expect(c.calls.email).toBe(2);
    // one billing event per certificate: issued for the first, reissued for the second
    expect(outcomes(h.billing.types(order.billingOrderId))).toEqual(['order.issued', 'order.reissued']);
  });

  it('a CA fault during an inline read falls back to the durable activity, which retries until the CA answers', async () => {
    const order = await dvOrder();
    await h.run(async () => {
      h.sim.state.setFaults({ errorRate: 1, errorStatus: 502, ops: ['query', 'retrieve'] });
      const handle = await start(order);
      const id = await caOrderId(handle);
      // The inline read failed once; the activity task took over and is retrying on its backoff.
      await eventually('durable status read scheduled', async () => ((await activityTasks(handle)).includes('getCaOrderStatus') ? true : undefined));
      expect(await localActivityMarkers(handle)).toBeGreaterThanOrEqual(1);
      expect(h.sim.state.counters().calls.query).toBeGreaterThanOrEqual(2);
      expect((await view(handle)).condition.state).toBe('creating');
      h.sim.state.setFaults({});
      await stateIs(handle, 'awaitingReview', 'awaitingValidation');
      await issue(id, handle);
      const active = await stateIs(handle, 'active');
      expect(active.certificate?.sans).toContain(order.commonName);
    });
    expect(h.sim.state.counters().calls.create).toBe(1);
  });

  it('a 429 on an inline read: the durable fallback waits for Retry-After before it calls again', async () => {
    const order = await dvOrder();
    await h.run(async () => {
      h.sim.state.setFaults({ rateLimitRate: 1, retryAfterSeconds: 600, ops: ['query'] });
      const handle = await start(order);
      await caOrderId(handle);
      const history = await eventually('Retry-After timer', async () => {
        const events = (await handle.fetchHistory()).events ?? [];
        return events.some((e) => e.timerStartedEventAttributes) ? events : undefined;
      });
      const timer = history.find((e) => e.timerStartedEventAttributes)!.timerStartedEventAttributes!;
      // 600 s asked, spread by at most 5 s more; the durable read is not scheduled before it fires.
      expect(Number(timer.startToFireTimeout!.seconds)).toBeGreaterThanOrEqual(600);
      expect(Number(timer.startToFireTimeout!.seconds)).toBeLessThanOrEqual(605);
      expect(history.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'getCaOrderStatus')).toBe(false);
      expect(h.sim.state.counters().calls.query).toBe(1);
      h.sim.state.setFaults({});
      await env.sleep('11 minutes');
      await eventually('durable status read after the wait', async () => ((await activityTasks(handle)).includes('getCaOrderStatus') ? true : undefined));
      await stateIs(handle, 'awaitingReview', 'awaitingValidation');
    });
  });

  it('a CA that flips to issued only when the certificate is collected: retrieval during pendingCAIssued', async () => {
    h.sim.state.updateSettings({ issuedOn: 'retrieve' });
    const order = await dvOrder();
    await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      await issue(id, handle);
      expect(h.sim.state.order(id)!.status).toBe('pendingCAIssued'); // signed, but not issued until collected
      await env.sleep('2 hours');
      const active = await stateIs(handle, 'active');
      expect(active.timeline.map((t) => t.message)).toContain('The CA handed out the certificate while its status still said pendingCAIssued.');
    });
    expect(h.sim.state.order(h.sim.state.orders()[0]!.id)!.status).toBe('issued');
    // collected once and reused for verification: no second RetrievePem
    expect(h.sim.state.counters().calls.retrieve).toBe(1);
  });

  it('revoke: through pendingAudit and pendingRevoke to revoked; the order ends revoked', async () => {
    const order = await dvOrder();
    const final = await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      await issue(id, handle);
      await stateIs(handle, 'active');
      const answer = await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'no longer needed', proof: PROOF }] });
      expect(answer.accepted).toBe(true);
      await stateIs(handle, 'revoking');
      await eventually('CA revocation pending', async () => h.sim.state.order(id)!.status === 'pendingRevoke');
      await h.sim.state.drive(id, 'revoke');
      return handle.result();
    });
    expect(final.condition).toMatchObject({ state: 'revoked', reason: 'Revoked' });
    expect(final.lineage.revocations).toMatchObject([{ scope: 'order', status: 'revoked' }]);
    expect(h.sim.state.counters().calls.revoke).toBe(1);
    expect(outcomes(h.billing.types(order.billingOrderId))).toEqual(['order.issued', 'order.revoked']);
  });

  it('reissue then revoke: the revocation targets the current (reissued) certificate', async () => {
    const order = await dvOrder();
    const final = await h.run(async () => {
      const handle = await start(order, { revokeReplacedCertificate: false });
      const id = await caOrderId(handle);
      await issue(id, handle);
      await stateIs(handle, 'active');
      const { csrPem } = await generateCsr({ commonName: order.commonName, keyType: 'ec' });
      await handle.executeUpdate(reissueUpdate, { args: [{ csr: csrPem, reason: 'new key', requestId: 'r-2' }] });
      const newId = await eventually('reissue CA order', async () => h.sim.state.orders().find((o) => o.reissuedFrom === id)?.id);
      await issue(newId);
      await eventually('switched', async () => (await view(handle)).certificate?.caOrderId === newId && (await view(handle)).condition.state === 'active');
      await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'decommissioned', proof: PROOF }] });
      await eventually('CA revocation pending', async () => h.sim.state.order(newId)!.status === 'pendingRevoke');
      await h.sim.state.drive(newId, 'revoke');
      return handle.result();
    });
    expect(final.condition.state).toBe('revoked');
    expect(final.lineage.revocations).toMatchObject([{ scope: 'order', status: 'revoked', caOrderId: final.lineage.caOrderIds[1] }]);
    expect(h.sim.state.order(final.lineage.caOrderIds[0]!)!.status).toBe('issued'); // not revoked: configured off
    expect(h.sim.state.counters().calls.revoke).toBe(1);
  });

  it('continue-as-new keeps state and lineage, and the e-mail is not sent again', async () => {
    // Pushes off: the Java test server can keep a time-skipping lock for a signal that lands
    // while a run continues as new, which would stall the year-long skip below; polling
    // drives this order instead.
    h.sim.state.setFaults({ dropPushRate: 1 });
    const order = await dvOrder();
    const final = await h.run(async () => {
      const handle = await start(order, { maxHistoryEvents: 40 });
      const id = await caOrderId(handle);
      await stateIs(handle, 'awaitingReview');
      await issue(id);
      await env.sleep('2 hours');
      const active = await stateIs(handle, 'active');
      const latest = env.client.workflow.getHandle<typeof orderWorkflow>(handle.workflowId);
      const continued = await eventually('continued as new', async () => {
        const v = await latest.query(getOrderQuery);
        return v.continuedAsNew > 0 ? v : undefined;
      });
      expect(continued.certificate).toEqual(active.certificate);
      expect(continued.lineage.caOrderIds).toEqual([id]);
      expect(continued.timeline.length).toBeGreaterThanOrEqual(active.timeline.length);
      expect((await latest.query(getCertificateQuery))?.caOrderId).toBe(id);
      return latest.result();
    });
    expect(final.condition.state).toBe('expired');
    expect(final.continuedAsNew).toBeGreaterThan(0);
    const c = h.sim.state.counters();
    expect(c.calls.email).toBe(1);
    expect(c.calls.create).toBe(1);
    expect(outcomes(h.billing.types(order.billingOrderId))).toEqual(['order.issued', 'order.renewal_due', 'order.expired']);
  });

  it('401 from the CA: needsAttention with a clear reason, slow retries, recovery once the token works', async () => {
    // Pushes off, as in the continue-as-new test: every step here is reached by polls and
    // time skips, so no signal can race a skip on the Java test server.
    h.sim.state.setFaults({ dropPushRate: 1 });
    const order = await dvOrder();
    await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      await stateIs(handle, 'awaitingReview');
      h.sim.state.setFaults({ dropPushRate: 1, authFailure: true });
      h.sim.state.resetCounters();
      await h.sim.state.drive(id, 'pass-review');
      await env.sleep('2 minutes'); // the next poll reads the status → 401
      const attention = await stateIs(handle, 'needsAttention');
      expect(attention.condition.reason).toBe('CaAuthenticationFailed');
      await env.sleep('3 hours');
      await stateIs(handle, 'needsAttention');
      // no hot loop: one failed read per hour
      const refused = h.sim.state.counters().unauthorized + h.sim.state.counters().faultsInjected;
      expect(refused).toBeGreaterThanOrEqual(1);
      expect(refused).toBeLessThanOrEqual(5);
      h.sim.state.setFaults({ dropPushRate: 1 });
      await handle.executeUpdate(retryNowUpdate, { args: [] });
      await stateIs(handle, 'awaitingValidation');
      await h.sim.state.drive(id, 'pass-dcv');
      await h.sim.state.drive(id, 'issue');
      await env.sleep('2 hours');
      await stateIs(handle, 'active');
    });
    expect(h.sim.state.counters().calls.retrieve).toBe(1);
  });

  it('a certificate that fails verification stops delivery: needsAttention, no e-mail, no order.issued, one order.needs_attention', async () => {
    const order = await dvOrder({}, 'someone-else.example.net'); // the CSR names another host
    await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      await issue(id, handle);
      const v = await stateIs(handle, 'needsAttention');
      expect(v.condition.reason).toBe('VerificationFailed');
      expect(v.condition.message).toMatch(/subject CN is "someone-else.example.net"/);
      expect(await handle.query(getCertificateQuery)).toBeNull();
    });
    const c = h.sim.state.counters();
    expect(c.calls.email).toBe(0);
    expect(outcomes(h.billing.types(order.billingOrderId))).toEqual([]);
    // An operator must look: billing hears it once, though the re-checks keep failing.
    expect(notices(h.billing.types(order.billingOrderId), 'order.needs_attention')).toBe(1);
  });

  it('SM2 with a bound RSA product: two CA orders followed apart, the SM2 signing and encryption certificates and the RSA one delivered together, each accepted by openssl verify', async () => {
    const commonName = `${uniqueId('sm2').toLowerCase()}.example.com`;
    const [sign, enc, rsa] = await Promise.all([generateSm2Csr({ commonName }), generateSm2Csr({ commonName }), generateCsr({ commonName, keyType: 'ec' })]);
    const order = { billingOrderId: uniqueId('B'), productId: SIM_PRODUCT_IDS.sm2, commonName, csr: sign.csrPem, csrEncrypt: enc.csrPem, bindRsaProductId: SIM_PRODUCT_IDS.rsaDv, csrRsa: rsa.csrPem, month: 12 as const };
    const delivered = await h.run(async () => {
      const handle = await start(order);
      const created = await eventually('both CA order ids', async () => {
        const v = await view(handle);
        return v.ca.orderId && v.ca.orderIdRsa ? v : undefined;
      });
      const sm2Id = created.ca.orderId!;
      const rsaId = created.ca.orderIdRsa!;
      expect(rsaId).not.toBe(sm2Id);
      await issue(sm2Id);
      // The SM2 pair is verified; the order waits for its bound RSA order, which is still in DCV.
      const waiting = await eventually('waiting for the bound RSA order', async () => {
        const v = await view(handle);
        return v.condition.reason === 'AwaitingBoundRsaOrder' ? v : undefined;
      });
      expect(waiting.boundRsa).toMatchObject({ caOrderId: rsaId, status: 'waiting' });
      await issue(rsaId);
      const active = await stateIs(handle, 'active');
      return { active, bundle: (await handle.query(getCertificateQuery))! };
    });
    const { active, bundle } = delivered;
    expect(active.certificate?.encryption?.serialNumber).toBeDefined();
    expect(active.boundRsa).toMatchObject({ status: 'delivered', certificate: { sans: expect.arrayContaining([commonName]) } });
    expect(bundle.encryptionLeafPem).toBeDefined();
    expect(bundle.boundRsa?.caOrderId).toBe(active.boundRsa?.caOrderId);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-sm2-'));
    const write = (name: string, pem: string): string => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, pem);
      return file;
    };
    const verify = (leaf: string, chain: string[]): string => {
      const root = write('root.pem', chain[chain.length - 1]!);
      const untrusted = write('untrusted.pem', chain.slice(0, -1).join('\n'));
      return execFileSync('openssl', ['verify', '-CAfile', root, '-untrusted', untrusted, write('leaf.pem', leaf)], { encoding: 'utf8' });
    };
    try {
      expect(verify(bundle.leafPem, bundle.chainPems)).toMatch(/: OK/);
      expect(verify(bundle.encryptionLeafPem!, bundle.encryptionChainPems!)).toMatch(/: OK/);
      expect(verify(bundle.boundRsa!.leafPem, bundle.boundRsa!.chainPems)).toMatch(/: OK/);
      // The SM2 pair chains to the SM2 root, the RSA certificate to the RSA one.
      expect(bundle.chainPems[bundle.chainPems.length - 1]!.trim()).toBe(h.sim.state.ca.sm2.rootPem.trim());
      expect(bundle.boundRsa!.chainPems[bundle.boundRsa!.chainPems.length - 1]!.trim()).toBe(h.sim.state.ca.rsa.rootPem.trim());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const c = h.sim.state.counters();
    expect(c.calls.create).toBe(1);
    expect(outcomes(h.billing.types(order.billingOrderId))).toEqual(['order.issued']);
  });

  it('SM2 with a bound RSA product whose DCV is never done: the SM2 pair is delivered, the bound CA order is cancelled at its deadline by its own workflow', async () => {
    const commonName = `${uniqueId('sm2d').toLowerCase()}.example.com`;
    const [sign, enc, rsa] = await Promise.all([generateSm2Csr({ commonName }), generateSm2Csr({ commonName }), generateCsr({ commonName, keyType: 'ec' })]);
    const order = { billingOrderId: uniqueId('B'), productId: SIM_PRODUCT_IDS.sm2, commonName, csr: sign.csrPem, csrEncrypt: enc.csrPem, bindRsaProductId: SIM_PRODUCT_IDS.rsaDv, csrRsa: rsa.csrPem, month: 12 as const };
    const { rsaId, active, bound } = await h.run(async () => {
      // 6 hours instead of 30 days: the same branch, fewer polls.
      const handle = await start(order, { validationDeadlineMs: 6 * 3_600_000 });
      const created = await eventually('both CA order ids and the bound workflow', async () => {
        const v = await view(handle);
        return v.ca.orderId && v.ca.orderIdRsa && v.boundRsa ? v : undefined;
      });
      await issue(created.ca.orderId!);
      await eventually('waiting for the bound RSA order', async () => ((await view(handle)).condition.reason === 'AwaitingBoundRsaOrder' ? true : undefined));
      await env.sleep('7 hours');
      const boundHandle = env.client.workflow.getHandle(boundOrderWorkflowId(created.workflowId, created.ca.orderIdRsa!));
      await expect(boundHandle.result()).rejects.toThrow();
      return { rsaId: created.ca.orderIdRsa!, active: await stateIs(handle, 'active'), bound: await boundHandle.query(getBoundOrderQuery) };
    });
    expect(h.sim.state.order(rsaId)!.status).toBe('closed'); // WoTrus' word for a cancelled order
    expect(h.sim.state.counters().calls.cancel).toBe(1);
    expect(bound.condition).toMatchObject({ state: 'cancelled', reason: 'BoundOrderCancelled' });
    expect(active.boundRsa).toMatchObject({ caOrderId: rsaId, status: 'failed' });
    expect(active.certificate?.encryption?.serialNumber).toBeDefined();
    // (time skipping runs on to the renewal notice while the test awaits the bound workflow)
    expect(outcomes(h.billing.types(order.billingOrderId))).toEqual(expect.arrayContaining(['order.issued']));
    expect(outcomes(h.billing.types(order.billingOrderId))).not.toEqual(expect.arrayContaining(['order.cancelled']));
  });

  it('SM2 reissue: the proof and the encryption CSR go with it, the CA revokes the replaced pair itself and certflow confirms it by reading the old order', async () => {
    const commonName = `${uniqueId('sm2r').toLowerCase()}.example.com`;
    const [sign, enc] = await Promise.all([generateSm2Csr({ commonName }), generateSm2Csr({ commonName })]);
    const order = { billingOrderId: uniqueId('B'), productId: SIM_PRODUCT_IDS.sm2, commonName, csr: sign.csrPem, csrEncrypt: enc.csrPem, month: 12 as const };
    await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      await issue(id, handle);
      const first = await stateIs(handle, 'active');
      const [sign2, enc2] = await Promise.all([generateSm2Csr({ commonName }), generateSm2Csr({ commonName })]);
      await handle.executeUpdate(reissueUpdate, { args: [{ csr: sign2.csrPem, csrEncrypt: enc2.csrPem, reason: 'key rotation', requestId: 'r1', proof: PROOF }] });
      const newId = await eventually('reissue CA order', async () => h.sim.state.orders().find((o) => o.reissuedFrom === id)?.id);
      await issue(newId);
      const confirmed = await eventually('replaced pair revoked by the CA, confirmed', async () => {
        const v = await view(handle);
        return v.certificate?.caOrderId === newId && v.lineage.revocations.find((r) => r.scope === 'replaced' && r.status === 'revoked') ? v : undefined;
      });
      expect(confirmed.lineage.revocations).toMatchObject([{ caOrderId: id, serialNumber: first.certificate!.serialNumber, scope: 'replaced', status: 'revoked' }]);
      expect(h.sim.state.order(id)!.status).toBe('revoked');
      expect(confirmed.certificate!.encryption?.serialNumber).not.toBe(first.certificate!.encryption?.serialNumber);
    });
    const c = h.sim.state.counters();
    expect(c.calls.reissue).toBe(1);
    expect(c.calls.revoke).toBe(0);
    const reissued = h.billing.events.find((e) => e.event.billingOrderId === order.billingOrderId && e.event.type === 'order.reissued');
    expect(reissued?.event.data.replacedCertificate).toMatchObject({ stillValid: false, revocation: 'revokedByCa' });
  });

  it('a duplicate start returns the same run and creates one CA order', async () => {
    const order = await dvOrder();
    await h.run(async () => {
      const a = await start(order);
      const b = await start(order);
      expect(b.firstExecutionRunId).toBe(a.firstExecutionRunId);
      await caOrderId(a);
      await stateIs(a, 'awaitingReview');
    });
    const c = h.sim.state.counters();
    expect(c.calls.create).toBe(1);
    expect(c.ordersCreated).toBe(1);
  });
});
