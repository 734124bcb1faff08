/**
 * orderWorkflow for the WoSign ACMAPI issuer on the Java time-skipping test server, with
 * production durations, against the ACMAPI simulator over HTTP and a real local web host
 * serving (or not) each domain's signfile. Each test asserts the order's path and what the
 * simulator counted: applications, asks by handle_id, certificates issued.
 */
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { orderWorkflowId } from '../../src/domain/workflow-ids';
import type { OrderView } from '../../src/domain/order-view';
import { bundleWorkflows } from '../../src/worker-factory';
import { cancelUpdate, getCertificateQuery, getOrderQuery, reissueUpdate, resolveCreateUpdate, retryNowUpdate, revokeUpdate } from '../../src/workflows/messages';
import { orderWorkflow } from '../../src/workflows/order/workflow';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import { notices, outcomes } from '../support/billing-events';
import { ACMAPI_AUTH_TOKEN, ACMAPI_CUSTOMER_ID, type Harness, SIGNFILE, SIGNFILE_PATH, acmapiOrder, eventually, startHarness, workflowInput } from '../support/order-harness';
import { installTestRuntime } from '../support/runtime';
import { createTimeSkippingEnv, uniqueId } from '../support/temporal';

installTestRuntime();
// As in order.test.ts: a time-skipping lock after a signal race costs one clean retry.
jest.retryTimes(1, { logErrorsBeforeRetry: true });
jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let h: Harness;

beforeAll(async () => {
  bundle = await bundleWorkflows();
});
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  h = await startHarness({ client: env.client, connection: env.nativeConnection, bundle });
});
afterEach(async () => {
  await h?.close();
  await env?.teardown();
});

const PROOF = { fileType: '.pdf' as const, fileContent: Buffer.from('%PDF-1.4 revocation request').toString('base64') };

async function start(order: Awaited<ReturnType<typeof acmapiOrder>>) {
  return env.client.workflow.start(orderWorkflow, { taskQueue: h.taskQueue, workflowId: orderWorkflowId(order.billingOrderId), args: [workflowInput(order)] });
}
type Handle = Awaited<ReturnType<typeof start>>;

const view = (handle: Handle): Promise<OrderView> => handle.query(getOrderQuery);

async function reaches(handle: Handle, state: OrderView['condition']['state'], reason?: string): Promise<OrderView> {
  return eventually(`${state}${reason ? `/${reason}` : ''}`, async () => {
    const v = await view(handle);
    return v.condition.state === state && (reason === undefined || v.condition.reason === reason) ? v : undefined;
  });
}

/** Every name of the order serves the signfile. */
function serve(...domains: string[]): void {
  for (const d of domains) h.web.put(d, SIGNFILE_PATH, SIGNFILE);
}

async function rejection(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return String((err as WorkflowUpdateFailedError).cause?.message);
}

function billingData(billingOrderId: string, type: string): Record<string, unknown>[] {
  return h.billing.events.filter((e) => e.event.billingOrderId === billingOrderId && e.event.type === type).map((e) => e.event.data);
}

describe('orderWorkflow with the WoSign ACMAPI issuer', () => {
  it('success on the first call: every file checked, one apply, the certificate verified against the configured chain, active', async () => {
    const other = `${uniqueId('api').toLowerCase()}.example.com`;
    const order = await acmapiOrder({ hosts: [other] });
    serve(order.commonName, other);
    await h.run(async () => {
      const handle = await start(order);
      const active = await reaches(handle, 'active');
      expect(active.ca.orderId).toMatch(/^handle_/);
      expect(active.certificate?.sans).toEqual(expect.arrayContaining([order.commonName, other]));
      expect(active.ca.domainFiles?.domains.map((d) => [d.domain, d.ready])).toEqual([[order.commonName, true], [other, true]]);
      // Issued with the create: no status read, no e-mail (ACMAPI has none).
      expect(active.ca.checks).toBe(0);
      expect(active.notifications.caEmailFor).toEqual([]);
      const bundleNow = await handle.query(getCertificateQuery);
      expect(bundleNow?.chainPems).toEqual(h.acmapi.chainPems);
      expect(active.timeline.map((t) => t.reason)).toEqual(expect.arrayContaining(['Accepted', 'Issued', 'Verifying']));
    });
    const c = await h.acmapi.admin.counters();
    expect(c).toMatchObject({ applications: 1, handleAsks: 0, certificatesIssued: 1 });
    expect(outcomes(h.billing.types(order.billingOrderId))).toEqual(['order.issued']);
    expect(notices(h.billing.types(order.billingOrderId), 'order.action_required')).toBe(0);
  });

  it('pending, then success when asked again by handle_id on the poll schedule', async () => {
    await h.acmapi.admin.updateSettings({ mode: 'pending', pendingAsks: 2 });
    const order = await acmapiOrder();
    serve(order.commonName);
    await h.run(async () => {
      const handle = await start(order);
      const waiting = await reaches(handle, 'awaitingReview', 'CaManualReview');
      expect(waiting.ca.orderId).toMatch(/^handle_/);
      await env.sleep('2 minutes'); // first ask: still pending
      await env.sleep('5 minutes'); // second ask: issued
      const active = await reaches(handle, 'active');
      expect(active.ca.orderId).toBe(waiting.ca.orderId);
      expect(active.ca.checks).toBeGreaterThanOrEqual(2);
    });
    const c = await h.acmapi.admin.counters();
    expect(c).toMatchObject({ applications: 1, certificatesIssued: 1 });
    expect(c.handleAsks).toBeGreaterThanOrEqual(2);
  });

  it('a domain without the file: the customer is told which and why, no CA call until it serves it, then issued', async () => {
    const missing = `${uniqueId('shop').toLowerCase()}.example.com`;
    const order = await acmapiOrder({ hosts: [missing] });
    serve(order.commonName);
    await h.run(async () => {
      const handle = await start(order);
      const waiting = await reaches(handle, 'awaitingValidation', 'DomainFileNotReady');
      expect(waiting.condition.message).toContain(missing);
      const entry = waiting.ca.domainFiles?.domains.find((d) => d.domain === missing);
      expect(entry).toMatchObject({ ready: false, http: { ok: false, problem: 'HTTP 404' }, https: { ok: false, problem: 'HTTP 404' } });
      expect(waiting.ca.customerAction?.expected).toEqual(['validateDomain']);
      expect(waiting.ca.nextCheckAt).toBeDefined();
      expect((await h.acmapi.admin.counters()).requests).toBe(0);
      const told = await eventually('order.action_required', async () => billingData(order.billingOrderId, 'order.action_required')[0]);
      expect(told).toMatchObject({ file: SIGNFILE_PATH, fileDownload: '/v1/issuers/acmapi/domain-file', domains: [{ domain: missing, problem: 'HTTP: HTTP 404; HTTPS: HTTP 404' }] });
      expect(told.caOrderId).toBeUndefined();

      serve(missing);
      // The customer says the file is up: retryNow checks at once instead of at the next rung.
      const answer = await handle.executeUpdate(retryNowUpdate, { args: [] });
      expect(answer.message).toBe("Checking the domains' validation files now.");
      await reaches(handle, 'active');
    });
    expect(await h.acmapi.admin.counters()).toMatchObject({ applications: 1, certificatesIssued: 1 });
    expect(notices(h.billing.types(order.billingOrderId), 'order.action_required')).toBe(1);
  });

  it('107: the CA cannot validate a domain certflow can read — the customer is told that domain, and the order asks again once fixed', async () => {
    const blocked = `${uniqueId('cdn').toLowerCase()}.example.com`;
    const order = await acmapiOrder({ hosts: [blocked] });
    serve(order.commonName, blocked);
    await h.acmapi.admin.setFaults({ unreachableDomains: [blocked] });
    await h.run(async () => {
      const handle = await start(order);
      const waiting = await reaches(handle, 'awaitingValidation', 'CaCouldNotValidateDomain');
      expect(waiting.ca.domainFiles?.caFailedDomain).toBe(blocked);
      expect(waiting.condition.message).toContain(`The CA could not validate ${blocked}`);
      const told = await eventually('order.action_required', async () => billingData(order.billingOrderId, 'order.action_required')[0]);
      expect(told.domains).toEqual([{ domain: blocked, problem: 'the CA could not validate it, although certflow could read the file' }]);

      await h.acmapi.admin.clearFaults();
      await env.sleep('2 minutes');
      await reaches(handle, 'active');
    });
    const c = await h.acmapi.admin.counters();
    expect(c).toMatchObject({ applications: 2, certificatesIssued: 1 });
    expect(c.errorsByCode['107']).toBe(1);
  });

  it.each([
    ['101 (customer_id)', { credentials: { customerId: 'customer_rotated' } }],
    ['102 (auth_token)', { credentials: { authToken: 'authority-rotated-987654' } }],
    ['110 (source IP not permitted)', { allowedIps: ['203.0.113.7'] }],
  ])('%s: needsAttention, billing told, the next try an hour away (no hot loop); once fixed, retryNow issues', async (code, broken) => {
    await h.acmapi.admin.updateSettings(broken);
    const order = await acmapiOrder();
    serve(order.commonName);
    await h.run(async () => {
      const handle = await start(order);
      const stuck = await reaches(handle, 'needsAttention', 'CaAuthenticationFailed');
      expect(stuck.condition.message).toContain(code.slice(0, 3));
      // The next attempt waits for the attention interval (an hour), not a retry loop.
      expect(Date.parse(stuck.ca.nextCheckAt!) - Date.parse(stuck.condition.at)).toBeGreaterThanOrEqual(3_500_000);
      expect((await h.acmapi.admin.counters()).errorsByCode[code.slice(0, 3)]).toBe(1);
      await eventually('order.needs_attention', async () => billingData(order.billingOrderId, 'order.needs_attention')[0]);
      await h.acmapi.admin.updateSettings({ credentials: { customerId: ACMAPI_CUSTOMER_ID, authToken: ACMAPI_AUTH_TOKEN }, allowedIps: ['127.0.0.1', '::1', '::ffff:127.0.0.1'] });
      await handle.executeUpdate(retryNowUpdate, { args: [] });
      await reaches(handle, 'active');
    });
    const c = await h.acmapi.admin.counters();
    expect(c).toMatchObject({ applications: 1, certificatesIssued: 1 });
    expect(notices(h.billing.types(order.billingOrderId), 'order.needs_attention')).toBe(1);
  });

  it('cancel once the CA has the order, reissue and revoke are refused, naming the capability ACMAPI lacks', async () => {
    await h.acmapi.admin.updateSettings({ mode: 'pending', pendingAsks: 0 });
    const order = await acmapiOrder();
    serve(order.commonName);
    await h.run(async () => {
      const handle = await start(order);
      const pending = await reaches(handle, 'awaitingReview', 'CaManualReview');
      expect(await rejection(handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }] }))).toBe(`The order's issuer (acmapi) cannot cancel an order it has accepted: it lacks the capability "cancel".`);
      await h.acmapi.admin.issue(pending.ca.orderId!);
      await env.sleep('2 minutes');
      await reaches(handle, 'active');
      const { csrPem } = await generateCsr({ commonName: order.commonName, keyType: 'ec' });
      expect(await rejection(handle.executeUpdate(reissueUpdate, { args: [{ csr: csrPem, reason: 'key lost', requestId: 'r1' }] }))).toBe(`The order's issuer (acmapi) cannot reissue a certificate: it lacks the capability "reissue".`);
      expect(await rejection(handle.executeUpdate(revokeUpdate, { args: [{ reason: 'key compromise', proof: PROOF }] }))).toBe(`The order's issuer (acmapi) cannot revoke a certificate: it lacks the capability "revoke".`);
      expect((await view(handle)).condition.state).toBe('active');
    });
    expect(await h.acmapi.admin.counters()).toMatchObject({ applications: 1, certificatesIssued: 1 });
  });

  it('a cancel while the files are not ready needs no CA: cancelled, nothing applied', async () => {
    const order = await acmapiOrder();
    await h.run(async () => {
      const handle = await start(order);
      await reaches(handle, 'awaitingValidation', 'DomainFileNotReady');
      await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'customer left' }] });
      expect((await handle.result()).condition.state).toBe('cancelled');
    });
    expect((await h.acmapi.admin.counters()).requests).toBe(0);
    expect(outcomes(h.billing.types(order.billingOrderId))).toEqual(['order.cancelled']);
  });

  it('an apply whose answer was lost after the CA issued is never repeated: the operator names the handle_id found at the CA — one certificate', async () => {
    await h.acmapi.admin.setFaults({ dropAfterHandling: 1 });
    const order = await acmapiOrder();
    serve(order.commonName);
    await h.run(async () => {
      const handle = await start(order);
      const stuck = await reaches(handle, 'needsAttention', 'CaCreateOutcomeUnknown');
      expect(stuck.condition.message).toContain('may have created the order');
      expect(await rejection(handle.executeUpdate(retryNowUpdate, { args: [] }))).toContain('retrying could make a second one');
      await env.sleep('1 day'); // nothing happens by itself
      expect((await h.acmapi.admin.counters()).applications).toBe(1);
      // The operator looks the domain up at the CA.
      const [found] = await h.acmapi.admin.applications({ domain: order.commonName });
      expect(found?.state).toBe('issued');
      const answer = await handle.executeUpdate(resolveCreateUpdate, { args: [{ caOrderId: found!.handleId, reason: 'found at WoSign' }] });
      expect(answer.caOrderId).toBe(found!.handleId);
      const active = await reaches(handle, 'active');
      expect(active.ca.orderId).toBe(found!.handleId);
      expect(active.timeline.map((t) => t.reason)).toContain('CreateResolved');
    });
    const c = await h.acmapi.admin.counters();
    expect(c).toMatchObject({ applications: 1, certificatesIssued: 1, answersDropped: 1 });
    expect(notices(h.billing.types(order.billingOrderId), 'order.needs_attention')).toBe(1);
  });

  it('a 500 before the CA handled the apply: the operator finds nothing at the CA and has certflow apply again — one certificate', async () => {
    await h.acmapi.admin.setFaults({ failBeforeHandling: { status: 500, count: 1 } });
    const order = await acmapiOrder();
    serve(order.commonName);
    await h.run(async () => {
      const handle = await start(order);
      await reaches(handle, 'needsAttention', 'CaCreateOutcomeUnknown');
      expect(await h.acmapi.admin.applications({ domain: order.commonName })).toEqual([]);
      await handle.executeUpdate(resolveCreateUpdate, { args: [{ createAgain: true, reason: 'nothing at WoSign' }] });
      await reaches(handle, 'active');
    });
    expect(await h.acmapi.admin.counters()).toMatchObject({ applications: 1, certificatesIssued: 1, failedBeforeHandling: 1 });
  });
});
