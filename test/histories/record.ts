/**
 * `npm run histories:record [-- --only a,b] [-- --suffix -v2] [-- --code <label>]`
 *
 * Runs every workflow scenario (the branches of test/workflows/order.test.ts) on the Java
 * time-skipping test server against the CA simulator, exactly as the workflow tests do, and
 * writes each history — the order workflow and its reissue/revoke children, every run of a
 * continue-as-new chain — to test/histories/<workflow>-<scenario>[-<part>][<suffix>].json,
 * pretty-printed proto JSON, plus its entry in test/histories/manifest.json (workflow id to
 * replay with, codec or not, which workflow code recorded it: --code, default CURRENT_CODE).
 * Each scenario runs in a child process of its own (fresh SDK runtime and test server) and is
 * run once more if it fails or stalls. RECORD_TRACE=1 prints progress of slow steps.
 *
 * Orders are synthetic. Orders carrying organisation or contact data are recorded with the
 * payload codec and the committed TEST-ONLY key (test/support/replay.ts), so no personal data
 * is ever stored in plain text. Long waits are trimmed by policy overrides to keep files small.
 *
 * Recording replaces files: never re-record a history to make a failing replay pass — see
 * docs/workflow-versioning.md.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { type OrderPolicyInput, type OrderRequestInput } from '../../src/domain/order';
import { boundOrderWorkflowId, orderWorkflowId, reissueWorkflowId, revokeWorkflowId } from '../../src/domain/workflow-ids';
import { SIM_PRODUCT_IDS } from '../../tools/simulators/wotrus/catalog';
import { generateCsr, generateSm2Csr } from '../../tools/simulators/wotrus/csr';
import { bundleWorkflows } from '../../src/worker-factory';
import type { DomainStatus, OrderView, ReissueView } from '../../src/domain/order-view';
import { cancelUpdate, getOrderQuery, getReissueQuery, reissueUpdate, resolveCreateUpdate, retryNowUpdate, revokeUpdate } from '../../src/workflows/messages';
import { orderWorkflow } from '../../src/workflows/order/workflow';
import { ACMAPI_AUTH_TOKEN, ACMAPI_CUSTOMER_ID, ACMAPI_PRODUCT_ID, RESELLER_DV_PRODUCT_ID, type Harness, SIGNFILE, SIGNFILE_PATH, eventually, startHarness, workflowInput } from '../support/order-harness';
import {
  type History,
  type HistoryEntry,
  HISTORIES_DIR,
  MANIFEST_FILE,
  type Manifest,
  SYNTHETIC_CONTACT,
  SYNTHETIC_ORGANIZATION,
  historyToProtoJson,
  prettyJson,
  readManifest,
  replayDataConverter,
} from '../support/replay';
import { createTimeSkippingEnv } from '../support/temporal';

const trace = (m: string): void => void (process.env.RECORD_TRACE && process.stderr.write(`[trace] ${new Date().toISOString()} ${m}\n`));

type Handle = WorkflowHandleWithFirstExecutionRunId<typeof orderWorkflow>;
type State = OrderView['condition']['state'];

/** One history to export once the scenario has run. */
interface Capture {
  /** File name part after `<workflow>-<scenario>`, e.g. `replaced` or `run2`. */
  part?: string;
  workflowId: string;
  runId?: string;
  workflowType: HistoryEntry['workflowType'];
  description: string;
}

interface Ctx {
  env: TestWorkflowEnvironment;
  h: Harness;
  /** A synthetic DV order with a deterministic billing id (fresh server per scenario). */
  order(overrides?: Partial<OrderRequestInput>, csrCommonName?: string): Promise<OrderRequestInput>;
  start(order: OrderRequestInput, policy?: OrderPolicyInput): Promise<Handle>;
  view(handle: Handle): Promise<OrderView>;
  stateIs(handle: Handle, ...states: State[]): Promise<OrderView>;
  caOrderId(handle: Handle): Promise<string>;
  issue(id: string, handle?: Handle): Promise<void>;
}

/** An SM2 order with a bound RSA product, its SM2 pair issued, waiting for the bound RSA CA order. */
async function sm2IssuedAwaitingBoundRsa(c: Ctx, policy?: OrderPolicyInput): Promise<{ handle: Handle; v: OrderView }> {
  const { commonName } = await c.order();
  const [sign, enc, rsa] = await Promise.all([generateSm2Csr({ commonName }), generateSm2Csr({ commonName }), generateCsr({ commonName, keyType: 'ec' })]);
  const order = await c.order({ commonName, productId: SIM_PRODUCT_IDS.sm2, csr: sign.csrPem, csrEncrypt: enc.csrPem, bindRsaProductId: SIM_PRODUCT_IDS.rsaDv, csrRsa: rsa.csrPem });
  const handle = await c.start(order, policy);
  const v = await eventually('both CA order ids', async () => {
    const x = await c.view(handle);
    return x.ca.orderId && x.ca.orderIdRsa ? x : undefined;
  });
  await c.issue(v.ca.orderId!);
  await eventually('waiting for the bound order', async () => (await c.view(handle)).condition.reason === 'AwaitingBoundRsaOrder');
  return { handle, v };
}

interface Scenario {
  name: string;
  /** Record with the AES-GCM payload codec (required for orders with personal data). */
  codec?: boolean;
  run(ctx: Ctx): Promise<Capture[]>;
}

/** The newest patch id in the workflow code; recorded per history in the manifest. */
const CURRENT_CODE = 'wotrus-as-written';

const PROOF = { fileType: '.pdf' as const, fileContent: Buffer.from('%PDF-1.4 synthetic revocation request').toString('base64') };

const parent = (handle: Handle, description: string): Capture => ({ workflowId: handle.workflowId, workflowType: 'orderWorkflow', description });

const SCENARIOS: Scenario[] = [
  {
    name: 'collect-while-pending-issuance',
    async run(c) {
      c.h.sim.state.updateSettings({ issuedOn: 'retrieve' });
      const order = await c.order();
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      await c.issue(id, handle);
      await c.env.sleep('2 hours'); // the status stays pendingCAIssued; a retrieval collects the certificate
      await c.stateIs(handle, 'active');
      return [parent(handle, 'A CA that reports issued only once the certificate is collected: the workflow retrieves during pendingCAIssued and reuses that certificate for verification; ends active (open).')];
    },
  },
  {
    name: 'inline-read-fallback',
    async run(c) {
      c.h.sim.state.setFaults({ errorRate: 1, errorStatus: 502, ops: ['query', 'retrieve'] });
      const order = await c.order();
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      // The inline read fails; the durable activity retries until the CA answers again.
      while (c.h.sim.state.counters().calls.query < 3) await new Promise((r) => setTimeout(r, 50));
      c.h.sim.state.setFaults({});
      await c.stateIs(handle, 'awaitingReview', 'awaitingValidation');
      await c.issue(id, handle);
      await c.stateIs(handle, 'active');
      return [parent(handle, 'CA answers 502 to status reads: the inline read (local activity) fails, the durable activity task retries on its backoff until the CA is back; then issued and active (open).')];
    },
  },
  {
    name: 'happy-path-pushes',
    async run(c) {
      const order = await c.order();
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      await c.stateIs(handle, 'awaitingReview', 'awaitingValidation');
      await c.issue(id, handle);
      await c.stateIs(handle, 'active');
      await handle.result(); // a year of workflow time: renewal reminder, then expiry
      return [parent(handle, 'DV order driven by CA pushes: created, validated, issued, verified, delivered, active, renewal reminder, expired a year later.')];
    },
  },
  {
    name: 'happy-path-polling',
    async run(c) {
      c.h.sim.state.setFaults({ dropPushRate: 1 });
      const order = await c.order();
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      await c.stateIs(handle, 'awaitingValidation', 'awaitingReview');
      await c.issue(id);
      await c.env.sleep('3 hours'); // polls on the growing schedule find the issued certificate
      await c.stateIs(handle, 'active');
      return [parent(handle, 'DV order with every push dropped: polling alone (1m, 2m, 4m, … capped at 1h) finds the issued certificate; ends active (open).')];
    },
  },
  {
    name: 'ov-review',
    codec: true,
    async run(c) {
      const { csrPem } = await generateCsr({ commonName: 'ov-review.replay.example.org', keyType: 'ec' });
      const order = await c.order({ productId: SIM_PRODUCT_IDS.rsaOv, commonName: 'ov-review.replay.example.org', csr: csrPem, organization: SYNTHETIC_ORGANIZATION, contact: SYNTHETIC_CONTACT });
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      await c.stateIs(handle, 'awaitingReview');
      await c.issue(id, handle);
      await c.stateIs(handle, 'active');
      return [parent(handle, 'OV order with (synthetic) organisation and contact data, recorded with the payload codec: CA review, DCV, issuance, active (open).')];
    },
  },
  {
    name: 'ca-rejected',
    async run(c) {
      const order = await c.order();
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      await c.stateIs(handle, 'awaitingReview', 'awaitingValidation');
      await c.h.sim.state.drive(id, 'reject', 'domain on a blocklist');
      await handle.result();
      return [parent(handle, 'The CA rejects the order: failed/CaRejected, billing told.')];
    },
  },
  {
    name: 'sm2-bound-rsa',
    async run(c) {
      const { handle, v } = await sm2IssuedAwaitingBoundRsa(c);
      await c.issue(v.ca.orderIdRsa!);
      await c.stateIs(handle, 'active');
      const boundId = boundOrderWorkflowId(handle.workflowId, v.ca.orderIdRsa!);
      await c.env.client.workflow.getHandle(boundId).result();
      return [
        parent(handle, 'SM2 order with a bound RSA product: the SM2 pair verified, the bound RSA CA order followed by its child, all delivered together; ends active (open).'),
        { workflowId: boundId, workflowType: 'boundOrderWorkflow', description: 'The bound RSA CA order: DCV, issuance, retrieve and verify against the RSA CSR.' },
      ];
    },
  },
  {
    name: 'reissue-customer-action',
    async run(c) {
      // Reminders after 1 hour instead of days: the same branch, a few polls.
      const order = await c.order();
      const handle = await c.start(order, { customerRemindersMs: [3_600_000], customerLastReminderBeforeDeadlineMs: 0 });
      const id = await c.caOrderId(handle);
      await c.issue(id, handle);
      await c.stateIs(handle, 'active');
      const { csrPem } = await generateCsr({ commonName: order.commonName, keyType: 'ec' });
      await handle.executeUpdate(reissueUpdate, { args: [{ csr: csrPem, reason: 'key rotation', requestId: 'r1' }] });
      const newId = await eventually('reissue CA order', async () => c.h.sim.state.orders().find((o) => o.reissuedFrom === id)?.id);
      const reissueId = reissueWorkflowId(handle.workflowId, 'r1');
      const child = c.env.client.workflow.getHandle(reissueId);
      await eventually('the reissue waits for DCV', async () => ((await child.query(getReissueQuery)).ca.customerAction ? true : undefined));
      await c.env.sleep('2 hours'); // order.action_required, then the reminder
      await c.issue(newId);
      await eventually('switched certificate', async () => {
        const v = await c.view(handle);
        return v.condition.state === 'active' && v.certificate?.caOrderId === newId;
      });
      await child.result();
      return [
        parent(handle, 'reissue whose new CA order waits for the customer\'s DCV: the child tells billing (order.action_required and one reminder, ladder trimmed to 1h), then the new certificate; ends active (open).'),
        { workflowId: reissueId, workflowType: 'reissueWorkflow', description: 'The reissue child: new CA order in DCV, order.action_required with the link and a reminder sent by the child, then issued, retrieved, verified.' },
      ];
    },
  },
  {
    name: 'sm2-bound-deadline',
    async run(c) {
      // 6 hours instead of 30 days: the same branch, a dozen polls instead of ~750.
      const { handle, v } = await sm2IssuedAwaitingBoundRsa(c, { validationDeadlineMs: 6 * 3_600_000 });
      await c.env.sleep('7 hours');
      const boundId = boundOrderWorkflowId(handle.workflowId, v.ca.orderIdRsa!);
      await c.env.client.workflow.getHandle(boundId).result().catch(() => undefined);
      await c.stateIs(handle, 'active');
      return [
        parent(handle, 'SM2 order whose bound RSA CA order never passes DCV: the SM2 pair delivered, the bound order reported failed; ends active (open).'),
        { workflowId: boundId, workflowType: 'boundOrderWorkflow', description: 'The bound RSA CA order past its validation deadline (trimmed to 6h): cancelled at the CA by its own workflow (compensation), then failed.' },
      ];
    },
  },
  {
    name: 'ca-closed',
    async run(c) {
      const order = await c.order();
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      await c.stateIs(handle, 'awaitingReview', 'awaitingValidation');
      await c.h.sim.state.drive(id, 'close', 'closed by the CA');
      await handle.result();
      return [parent(handle, 'The CA closes the order itself (status closed): cancelled/ClosedByCa, billing hears order.closed_by_ca, certflow cancels nothing.')];
    },
  },
  {
    name: 'pending-auto-issue',
    async run(c) {
      const order = await c.order();
      // Reminders after 1 and 3 hours instead of days: the same branch, a few polls instead of ~100.
      const handle = await c.start(order, { customerRemindersMs: [3_600_000, 3 * 3_600_000] });
      const id = await c.caOrderId(handle);
      await c.stateIs(handle, 'awaitingReview', 'awaitingValidation');
      c.h.sim.state.forceStatus(id, 'pendingAutoIssue');
      await eventually('waiting for DCV', async () => (await c.view(handle)).condition.reason === 'DomainValidationPendingAutoIssue');
      await c.env.sleep('4 hours'); // action_required, then the two reminders
      await c.h.sim.state.drive(id, 'issue'); // the customer validated; the CA issues by itself
      await c.stateIs(handle, 'active');
      return [parent(handle, 'pendingAutoIssue: waits for the customer\'s DCV with the link (order.action_required and two reminders over four hours, ladder trimmed), then the CA issues by itself; ends active (open).')];
    },
  },
  {
    name: 'dcv-deadline-compensation',
    async run(c) {
      c.h.sim.state.setFaults({ dropPushRate: 1 });
      const order = await c.order();
      // 6 hours instead of 30 days: the same branch, a dozen polls instead of ~750.
      const handle = await c.start(order, { validationDeadlineMs: 6 * 3_600_000 });
      const id = await c.caOrderId(handle);
      await c.stateIs(handle, 'awaitingReview');
      await c.h.sim.state.drive(id, 'pass-review');
      await handle.result();
      return [parent(handle, 'DCV never done: the validation deadline (trimmed to 6h) passes, compensation cancels the CA order in a non-cancellable scope, failed/ValidationDeadlineExceeded.')];
    },
  },
  {
    name: 'cancel-before-issuance',
    async run(c) {
      const order = await c.order();
      const handle = await c.start(order);
      await c.caOrderId(handle);
      await c.stateIs(handle, 'awaitingReview');
      await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'customer changed their mind' }] });
      await handle.result();
      return [parent(handle, 'cancel update while awaiting review: the CA order is cancelled, the order ends cancelled.')];
    },
  },
  {
    name: 'cancel-refused-after-issuance',
    async run(c) {
      const order = await c.order();
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      await c.issue(id, handle);
      await c.stateIs(handle, 'active');
      const refused = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'too late' }] }).then(
        () => false,
        () => true,
      );
      if (!refused) throw new Error('cancel after issuance was accepted');
      await c.stateIs(handle, 'active');
      return [parent(handle, 'cancel update on an active certificate: rejected by the validator (not in history), the order stays active (open).')];
    },
  },
  {
    name: 'reissue',
    async run(c) {
      const order = await c.order();
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      await c.issue(id, handle);
      await c.stateIs(handle, 'active');
      const { csrPem } = await generateCsr({ commonName: order.commonName, keyType: 'ec' });
      // The customer asks for the replaced certificate to be revoked, with their signed request.
      const request = { csr: csrPem, reason: 'key compromise', requestId: 'r1', revokeReplaced: true, proof: PROOF };
      await handle.executeUpdate(reissueUpdate, { args: [request] });
      await handle.executeUpdate(reissueUpdate, { args: [request] }); // idempotent repeat
      const newId = await eventually('reissue CA order', async () => c.h.sim.state.orders().find((o) => o.reissuedFrom === id)?.id);
      await c.issue(newId);
      await eventually('switched certificate', async () => {
        const v = await c.view(handle);
        return v.condition.state === 'active' && v.certificate?.caOrderId === newId;
      });
      await eventually('revoke request for the replaced certificate', async () => ['pendingRevoke', 'revoked'].includes(c.h.sim.state.order(id)!.status));
      await c.h.sim.state.drive(id, 'revoke');
      await eventually('replaced revoked', async () => (await c.view(handle)).lineage.revocations.find((r) => r.scope === 'replaced' && r.status === 'revoked'));
      const reissueId = reissueWorkflowId(handle.workflowId, 'r1');
      const revokeId = revokeWorkflowId(handle.workflowId, id);
      await c.env.client.workflow.getHandle(reissueId).result();
      await c.env.client.workflow.getHandle(revokeId).result();
      return [
        parent(handle, 'reissue update asking to revoke the replaced certificate with the customer\'s proof (and its idempotent repeat) on an active certificate: child reissue, switch to the new certificate, revoke-replaced child; ends active (open).'),
        { workflowId: reissueId, workflowType: 'reissueWorkflow', description: 'The reissue child: reissue request, new CA order through DCV and issuance, retrieve and verify.' },
        { part: 'replaced', workflowId: revokeId, workflowType: 'revokeWorkflow', description: 'The revoke child for the replaced certificate (ABANDON): request with the customer\'s proof, pendingRevoke, revoked.' },
      ];
    },
  },
  {
    name: 'reissue-keeps-replaced',
    async run(c) {
      const order = await c.order();
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      await c.issue(id, handle);
      await c.stateIs(handle, 'active');
      const { csrPem } = await generateCsr({ commonName: order.commonName, keyType: 'ec' });
      await handle.executeUpdate(reissueUpdate, { args: [{ csr: csrPem, reason: 'new key', requestId: 'r1' }] });
      const newId = await eventually('reissue CA order', async () => c.h.sim.state.orders().find((o) => o.reissuedFrom === id)?.id);
      await c.issue(newId);
      await eventually('switched certificate', async () => {
        const v = await c.view(handle);
        return v.condition.state === 'active' && v.certificate?.caOrderId === newId;
      });
      const reissueId = reissueWorkflowId(handle.workflowId, 'r1');
      await c.env.client.workflow.getHandle(reissueId).result();
      return [
        parent(handle, 'reissue of a product whose CA leaves the replaced certificate valid, no revocation asked: switch to the new certificate, the old one stays valid (order.reissued says so), no revoke child; ends active (open).'),
        { workflowId: reissueId, workflowType: 'reissueWorkflow', description: 'The reissue child of reissue-keeps-replaced.' },
      ];
    },
  },
  {
    name: 'revoke',
    codec: true,
    async run(c) {
      const order = await c.order({ contact: SYNTHETIC_CONTACT });
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      await c.issue(id, handle);
      await c.stateIs(handle, 'active');
      await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'no longer needed', proof: PROOF }] });
      await c.stateIs(handle, 'revoking');
      await eventually('CA revocation pending', async () => c.h.sim.state.order(id)!.status === 'pendingRevoke');
      await c.h.sim.state.drive(id, 'revoke');
      await handle.result();
      return [
        parent(handle, 'revoke update on an active certificate (order with a synthetic contact, recorded with the codec): revoke child, order ends revoked.'),
        { workflowId: revokeWorkflowId(handle.workflowId, id), workflowType: 'revokeWorkflow', description: 'The revoke child: request with proof, pendingRevoke learnt by push, revoked.' },
      ];
    },
  },
  {
    name: 'reissue-then-revoke',
    async run(c) {
      const order = await c.order();
      const handle = await c.start(order, { revokeReplacedCertificate: false });
      const id = await c.caOrderId(handle);
      await c.issue(id, handle);
      await c.stateIs(handle, 'active');
      const { csrPem } = await generateCsr({ commonName: order.commonName, keyType: 'ec' });
      await handle.executeUpdate(reissueUpdate, { args: [{ csr: csrPem, reason: 'new key', requestId: 'r-2' }] });
      const newId = await eventually('reissue CA order', async () => c.h.sim.state.orders().find((o) => o.reissuedFrom === id)?.id);
      await c.issue(newId);
      await eventually('switched', async () => {
        const v = await c.view(handle);
        return v.certificate?.caOrderId === newId && v.condition.state === 'active';
      });
      await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'decommissioned', proof: PROOF }] });
      await eventually('CA revocation pending', async () => c.h.sim.state.order(newId)!.status === 'pendingRevoke');
      await c.h.sim.state.drive(newId, 'revoke');
      await handle.result();
      return [
        parent(handle, 'reissue, then revoke: the revocation targets the reissued certificate (revokeReplacedCertificate off); order ends revoked.'),
        { workflowId: reissueWorkflowId(handle.workflowId, 'r-2'), workflowType: 'reissueWorkflow', description: 'The reissue child of reissue-then-revoke.' },
        { workflowId: revokeWorkflowId(handle.workflowId, newId), workflowType: 'revokeWorkflow', description: 'The revoke child for the reissued certificate.' },
      ];
    },
  },
  {
    name: 'continue-as-new',
    async run(c) {
      const order = await c.order();
      const handle = await c.start(order, { maxHistoryEvents: 40 });
      const id = await c.caOrderId(handle);
      await c.issue(id, handle);
      await c.stateIs(handle, 'active');
      trace('continue-as-new: active; waiting for the chain to expire');
      await c.env.client.workflow.getHandle(handle.workflowId).result(); // follows the chain to expiry
      trace('continue-as-new: expired');
      // Every run of the chain, first to last, following WorkflowExecutionContinuedAsNew.
      const captures: Capture[] = [];
      let runId: string | undefined = handle.firstExecutionRunId;
      for (let n = 1; runId; n += 1) {
        const history: History = await c.env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
        captures.push({ part: `run${n}`, workflowId: handle.workflowId, runId, workflowType: 'orderWorkflow', description: `Run ${n} of a continue-as-new chain (maxHistoryEvents 40): state, lineage and the sent e-mail carried over; the last run expires.` });
        const last = history.events?.[history.events.length - 1];
        runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
      }
      if (captures.length < 2) throw new Error('the order did not continue as new');
      return captures;
    },
  },
  {
    name: 'auth-failure-recovery',
    codec: true,
    async run(c) {
      // Pushes off, as in the workflow test: every step is reached by polls and time skips, so
      // no signal races a skip on the Java test server (seen with inline reads: the update
      // arrived after the skip had already run the next hourly read).
      c.h.sim.state.setFaults({ dropPushRate: 1 });
      const order = await c.order({ contact: SYNTHETIC_CONTACT });
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      await c.stateIs(handle, 'awaitingReview');
      c.h.sim.state.setFaults({ dropPushRate: 1, authFailure: true });
      await c.h.sim.state.drive(id, 'pass-review');
      await c.env.sleep('2 minutes'); // the next poll reads the status → 401
      await c.stateIs(handle, 'needsAttention');
      await c.env.sleep('3 hours'); // slow hourly retries, still 401
      await c.stateIs(handle, 'needsAttention');
      c.h.sim.state.setFaults({ dropPushRate: 1 });
      await handle.executeUpdate(retryNowUpdate, { args: [] });
      await c.stateIs(handle, 'awaitingValidation');
      await c.h.sim.state.drive(id, 'pass-dcv');
      await c.h.sim.state.drive(id, 'issue');
      await c.env.sleep('2 hours');
      await c.stateIs(handle, 'active');
      return [parent(handle, '401 from the CA (pushes dropped): needsAttention/CaAuthenticationFailed with hourly retries, retryNow update once fixed, then issued by polling; ends active (open). Recorded with the codec.')];
    },
  },
  {
    name: 'verification-mismatch',
    async run(c) {
      const order = await c.order({}, 'someone-else.replay.example.net'); // the CSR names another host
      const handle = await c.start(order);
      const id = await c.caOrderId(handle);
      await c.issue(id, handle);
      const v = await c.stateIs(handle, 'needsAttention');
      if (v.condition.reason !== 'VerificationFailed') throw new Error(`unexpected reason ${v.condition.reason}`);
      return [parent(handle, 'The issued certificate does not match the order (CSR names another host): needsAttention/VerificationFailed, no delivery (open).')];
    },
  },
  {
    name: 'duplicate-start',
    async run(c) {
      const order = await c.order();
      const a = await c.start(order);
      const b = await c.start(order);
      if (a.firstExecutionRunId !== b.firstExecutionRunId) throw new Error('a duplicate start created a second run');
      await c.caOrderId(a);
      await c.stateIs(a, 'awaitingReview');
      return [parent(a, 'The same order started twice (USE_EXISTING): one run, one CA order; awaiting review (open).')];
    },
  },
];

/** An order for the WoSign ACMAPI product; `served` names get the signfile on the web host. */
async function acmapiOrder(c: Ctx, opts: { hosts?: string[]; served?: 'all' | 'commonName' } = {}): Promise<OrderRequestInput> {
  const order = await c.order({ productId: ACMAPI_PRODUCT_ID, hosts: opts.hosts });
  const names = opts.served === 'commonName' ? [order.commonName] : [order.commonName, ...(opts.hosts ?? [])];
  for (const d of names) c.h.web.put(d, SIGNFILE_PATH, SIGNFILE);
  return order;
}

async function reasonIs(c: Ctx, handle: Handle, reason: string): Promise<OrderView> {
  return eventually(`reason ${reason}`, async () => {
    const v = await c.view(handle);
    return v.condition.reason === reason ? v : undefined;
  });
}

/** The WoSign ACMAPI issuer (docs/acmapi.md): the paths test/workflows/acmapi.test.ts covers. */
const ACMAPI_SCENARIOS: Scenario[] = [
  {
    name: 'acmapi-issued-at-create',
    async run(c) {
      const order = await acmapiOrder(c, { hosts: ['api.acmapi-issued-at-create.replay.example.com'] });
      const handle = await c.start(order);
      await c.stateIs(handle, 'active');
      return [parent(handle, 'ACMAPI: both domains serve the signfile (checked first), one apply answers success with the certificate; verified against the configured chain, active (open).')];
    },
  },
  {
    name: 'acmapi-pending-handle',
    async run(c) {
      await c.h.acmapi.admin.updateSettings({ mode: 'pending', pendingAsks: 2 });
      const handle = await c.start(await acmapiOrder(c));
      await reasonIs(c, handle, 'CaManualReview');
      await c.env.sleep('2 minutes');
      await c.env.sleep('5 minutes');
      await c.stateIs(handle, 'active');
      return [parent(handle, 'ACMAPI: the apply answers pending with a handle_id; asked again by handle_id on the poll schedule, the second ask answers success; active (open).')];
    },
  },
  {
    name: 'acmapi-domain-file-missing',
    async run(c) {
      const missing = 'shop.acmapi-domain-file-missing.replay.example.com';
      const handle = await c.start(await acmapiOrder(c, { hosts: [missing], served: 'commonName' }));
      await reasonIs(c, handle, 'DomainFileNotReady');
      c.h.web.put(missing, SIGNFILE_PATH, SIGNFILE);
      await c.env.sleep('2 minutes');
      await c.stateIs(handle, 'active');
      return [parent(handle, 'ACMAPI: one domain does not serve the signfile: DomainFileNotReady, order.action_required naming it, no CA call; the file appears, the next check passes, one apply issues; active (open).')];
    },
  },
  {
    name: 'acmapi-ca-validation-failed',
    async run(c) {
      const blocked = 'cdn.acmapi-ca-validation-failed.replay.example.com';
      await c.h.acmapi.admin.setFaults({ unreachableDomains: [blocked] });
      const handle = await c.start(await acmapiOrder(c, { hosts: [blocked] }));
      await reasonIs(c, handle, 'CaCouldNotValidateDomain');
      await c.h.acmapi.admin.clearFaults();
      await c.env.sleep('2 minutes');
      await c.stateIs(handle, 'active');
      return [parent(handle, 'ACMAPI: the CA answers 107 naming a domain certflow can read: CaCouldNotValidateDomain, the customer told; after one round of the ladder the files are checked again and the second apply issues; active (open).')];
    },
  },
  {
    name: 'acmapi-auth-recovery',
    async run(c) {
      await c.h.acmapi.admin.updateSettings({ credentials: { authToken: 'authority-rotated-987654' } });
      const handle = await c.start(await acmapiOrder(c));
      await reasonIs(c, handle, 'CaAuthenticationFailed');
      await c.h.acmapi.admin.updateSettings({ credentials: { customerId: ACMAPI_CUSTOMER_ID, authToken: ACMAPI_AUTH_TOKEN } });
      await handle.executeUpdate(retryNowUpdate, { args: [] });
      await c.stateIs(handle, 'active');
      return [parent(handle, 'ACMAPI: the apply answers 102 (auth_token): needsAttention/CaAuthenticationFailed, order.needs_attention; fixed, retryNow applies again and issues; active (open).')];
    },
  },
  {
    name: 'acmapi-lost-answer-resolved',
    async run(c) {
      await c.h.acmapi.admin.setFaults({ dropAfterHandling: 1 });
      const order = await acmapiOrder(c);
      const handle = await c.start(order);
      await reasonIs(c, handle, 'CaCreateOutcomeUnknown');
      const [found] = await c.h.acmapi.admin.applications({ domain: order.commonName });
      await handle.executeUpdate(resolveCreateUpdate, { args: [{ caOrderId: found!.handleId, reason: 'found at WoSign' }] });
      await c.stateIs(handle, 'active');
      return [parent(handle, 'ACMAPI: the apply issued but its answer was lost: CaCreateOutcomeUnknown, never applied again; resolveCreate with the handle_id found at the CA, asked by handle_id, the certificate collected; active (open).')];
    },
  },
  {
    name: 'acmapi-create-again',
    async run(c) {
      await c.h.acmapi.admin.setFaults({ failBeforeHandling: { status: 500, count: 1 } });
      const handle = await c.start(await acmapiOrder(c));
      await reasonIs(c, handle, 'CaCreateOutcomeUnknown');
      await handle.executeUpdate(resolveCreateUpdate, { args: [{ createAgain: true, reason: 'nothing at WoSign' }] });
      await c.stateIs(handle, 'active');
      return [parent(handle, 'ACMAPI: a 500 to the apply (outcome unknown): CaCreateOutcomeUnknown; resolveCreate createAgain after the operator found nothing at the CA; the second apply issues; active (open).')];
    },
  },
];

SCENARIOS.push(...ACMAPI_SCENARIOS);

/** A reseller order (per-name validation); each name by dns unless `methods` says otherwise. */
async function resellerOrder(c: Ctx, opts: { hosts?: string[]; methods?: Record<string, string> } = {}): Promise<OrderRequestInput> {
  return c.order({ productId: RESELLER_DV_PRODUCT_ID, hosts: opts.hosts, ...(opts.methods ? { domainValidation: opts.methods } : {}) });
}

function named(v: OrderView | ReissueView, name: string): DomainStatus {
  const d = v.ca.domains?.find((x) => x.domain === name);
  if (!d) throw new Error(`${name} is not among the order's names`);
  return d;
}

/** Publishes what the CA asked for one name, exactly. */
function publish(c: Ctx, d: DomainStatus): void {
  if (d.dns) c.h.dns.setCname(d.dns.name, d.dns.value);
  else if (d.file) c.h.web.put(d.domain, d.file.path, d.file.content, { scheme: d.method === 'https' ? 'https' : 'http' });
}

/** A reseller order whose names are published as soon as the CA names them: active. */
async function activeResellerOrder(c: Ctx, opts: { hosts?: string[] } = {}): Promise<{ handle: Handle; order: OrderRequestInput; v: OrderView }> {
  const order = await resellerOrder(c, opts);
  const handle = await c.start(order);
  const waiting = await reasonIs(c, handle, 'DomainValidationNotReady');
  for (const d of waiting.ca.domains ?? []) publish(c, d);
  await handle.executeUpdate(retryNowUpdate, { args: [] });
  return { handle, order, v: await c.stateIs(handle, 'active') };
}

async function reissueReason(c: Ctx, workflowId: string, reason: string): Promise<ReissueView> {
  const child = c.env.client.workflow.getHandle(workflowId);
  return eventually(`reissue reason ${reason}`, async () => {
    const v = await child.query(getReissueQuery).catch(() => undefined);
    return v?.condition.reason === reason ? v : undefined;
  });
}

/** The reseller platform (docs/reseller.md): the paths test/workflows/reseller.test.ts covers. */
const RESELLER_SCENARIOS: Scenario[] = [
  {
    name: 'reseller-cname-fixed',
    async run(c) {
      const order = await resellerOrder(c);
      const handle = await c.start(order);
      const missing = await reasonIs(c, handle, 'DomainValidationNotReady');
      const d = named(missing, order.commonName);
      c.h.dns.setCname(d.dns!.name, 'wrong-target.example.net');
      await handle.executeUpdate(retryNowUpdate, { args: [] });
      await eventually('the wrong value seen', async () => named(await c.view(handle), order.commonName).check?.problem?.includes('wrong-target.example.net'));
      publish(c, d);
      await handle.executeUpdate(retryNowUpdate, { args: [] });
      await c.stateIs(handle, 'active');
      return [parent(handle, 'Reseller: the CNAME missing, then pointing elsewhere (certflow looks itself, tells billing which record and what value, no CA read), then right: the CA is read, validates and issues; active (open).')];
    },
  },
  {
    name: 'reseller-switch-while-validating',
    async run(c) {
      const mail = 'mail.reseller-switch-while-validating.replay.example.com';
      const order = await resellerOrder(c, { hosts: [mail], methods: { [mail]: 'postmaster@reseller-switch-while-validating.replay.example.com' } });
      const handle = await c.start(order);
      const waiting = await reasonIs(c, handle, 'DomainValidationNotReady');
      publish(c, named(waiting, order.commonName));
      await handle.executeUpdate(retryNowUpdate, { args: [] });
      await eventually('waiting for the approver', async () => named(await c.view(handle), order.commonName).state === 'valid');
      await handle.executeUpdate(reissueUpdate, { args: [{ reason: 'the mailbox is dead', requestId: 'mail-to-dns', domainValidation: { [order.commonName]: 'dns', [mail]: 'dns' } }] });
      const switched = await eventually('the switched record', async () => {
        const v = await c.view(handle);
        return named(v, mail).method === 'dns' && v.condition.reason === 'DomainValidationNotReady' ? v : undefined;
      });
      publish(c, named(switched, mail));
      await handle.executeUpdate(retryNowUpdate, { args: [] });
      await c.stateIs(handle, 'active');
      return [parent(handle, 'Reseller: one name by the approver e-mail; while the CA waits the customer switches it to DNS (the same CA order reissued with the new domain_dcv, no new key); the record published, issued; active (open).')];
    },
  },
  {
    name: 'reseller-reissue-lost-answer',
    async run(c) {
      const { handle, order } = await activeResellerOrder(c);
      const { csrPem } = await generateCsr({ commonName: order.commonName, keyType: 'ec' });
      await c.h.reseller.admin.setFaults({ dropAfterHandling: 1 });
      await handle.executeUpdate(reissueUpdate, { args: [{ csr: csrPem, reason: 'key rotation', requestId: 'r1' }] });
      await eventually('the reissue completed', async () => (await c.view(handle)).lineage.reissues[0]?.status === 'completed');
      await c.stateIs(handle, 'active');
      const reissueId = reissueWorkflowId(handle.workflowId, 'r1');
      return [
        parent(handle, 'Reseller: active, then a reissue with a new CSR only; the child switches certificates; active (open).'),
        { workflowId: reissueId, workflowType: 'reissueWorkflow', description: 'The reseller reissue child: the first answer lost after the platform handled it, the activity retried with the same unique_id (charged once), the certificate read inline and verified.' },
      ];
    },
  },
  {
    name: 'reseller-replaced-name',
    async run(c) {
      const oldName = 'old.reseller-replaced-name.replay.example.com';
      const newName = 'new.reseller-replaced-name.replay.example.com';
      const { handle, order } = await activeResellerOrder(c, { hosts: [oldName] });
      const choices = { [order.commonName]: 'dns', [newName]: 'dns' };
      await handle.executeUpdate(reissueUpdate, { args: [{ reason: 'new shop', requestId: 'swap', domainValidation: choices }] }).catch(() => undefined);
      await handle.executeUpdate(reissueUpdate, { args: [{ reason: 'new shop', requestId: 'swap', domainValidation: choices, confirmDroppedDomains: [oldName] }] });
      const reissueId = reissueWorkflowId(handle.workflowId, 'swap');
      const pending = await reissueReason(c, reissueId, 'DomainValidationNotReady');
      publish(c, named(pending, newName));
      await c.env.sleep('3 minutes');
      await eventually('the reissue completed', async () => (await c.view(handle)).lineage.reissues[0]?.status === 'completed');
      await c.stateIs(handle, 'active');
      return [
        parent(handle, 'Reseller: active with two names; a reissue dropping one is refused without confirmDroppedDomains, then confirmed: order.certificate_will_be_revoked, the child validates the new name, the old certificate revoked by the CA; active on the new names (open).'),
        { workflowId: reissueId, workflowType: 'reissueWorkflow', description: 'The reseller reissue child: domain_dcv with the new name, its CNAME missing (DomainValidationNotReady), published, the CA read on the ladder, issued and verified.' },
      ];
    },
  },
];

SCENARIOS.push(...RESELLER_SCENARIOS);

function parseArgs(argv: string[]): { only?: Set<string>; suffix: string; code: string } {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = get('--only');
  // Which workflow code records: the newest patch id the code carries (see docs/workflow-versioning.md).
  const code = get('--code') ?? CURRENT_CODE;
  return { only: only ? new Set(only.split(',')) : undefined, suffix: get('--suffix') ?? '', code };
}

interface Recorded {
  capture: Capture;
  json: string;
  events: number;
  runId: string;
}

/** `attempt.close` tears the scenario's worker and server down, also when withTimeout abandons it. */
async function runScenario(s: Scenario, bundle: WorkflowBundleWithSourceMap, codecConverter: DataConverter, attempt: { close?: () => Promise<void> }): Promise<Recorded[]> {
  const dataConverter = s.codec ? codecConverter : undefined;
  // A server per scenario: time skipped by one (a year, to expiry) must not leak into the next.
  const env = await createTimeSkippingEnv({ client: { dataConverter } });
  const h = await startHarness({ client: env.client, connection: env.nativeConnection, bundle, dataConverter });
  let running: Promise<unknown> | undefined;
  let closed: Promise<void> | undefined;
  attempt.close = () =>
    (closed ??= (async () => {
      if (h.worker.getState() === 'RUNNING') h.worker.shutdown();
      await running?.catch(() => undefined);
      await h.close();
      await env.teardown();
    })());
  let seq = 0;
  const view = (handle: Handle): Promise<OrderView> => handle.query(getOrderQuery);
  const stateIs = (handle: Handle, ...states: State[]): Promise<OrderView> =>
    eventually(`state ${states.join('|')}`, async () => {
      const v = await view(handle);
      return states.includes(v.condition.state) ? v : undefined;
    });
  const ctx: Ctx = {
    env,
    h,
    async order(overrides = {}, csrCommonName) {
      seq += 1;
      const commonName = overrides.commonName ?? `${s.name}-${seq}.replay.example.com`;
      const { csrPem } = await generateCsr({ commonName: csrCommonName ?? commonName, keyType: 'ec' });
      return { billingOrderId: `H-${s.name}-${seq}`, productId: SIM_PRODUCT_IDS.rsaDv, commonName, csr: csrPem, month: 12, ...overrides };
    },
    start: (order, policy = {}) =>
      env.client.workflow.start(orderWorkflow, {
        taskQueue: h.taskQueue,
        workflowId: orderWorkflowId(order.billingOrderId),
        args: [workflowInput(order, policy)],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    view,
    stateIs,
    caOrderId: (handle) => eventually('CA order id', async () => (await view(handle)).ca.orderId),
    async issue(id, handle) {
      if (h.sim.state.order(id)!.status === 'pendingSubmitOrderToCA') {
        await h.sim.state.drive(id, 'pass-review');
        if (handle) await stateIs(handle, 'awaitingValidation');
      }
      await h.sim.state.drive(id, 'pass-dcv');
      if (handle) await stateIs(handle, 'awaitingIssuance');
      await h.sim.state.drive(id, 'issue');
    },
  };
  try {
    running = h.run(() => s.run(ctx));
    const captures = (await running) as Capture[];
    const out: Recorded[] = [];
    for (const capture of captures) {
      const handle = env.client.workflow.getHandle(capture.workflowId, capture.runId);
      const runId = capture.runId ?? (await handle.describe()).runId;
      const history = await env.client.workflow.getHandle(capture.workflowId, runId).fetchHistory();
      out.push({ capture, json: prettyJson(historyToProtoJson(history)), events: history.events?.length ?? 0, runId });
    }
    return out;
  } finally {
    await attempt.close();
  }
}

const fileType = (t: HistoryEntry['workflowType']): string => t.replace(/Workflow$/, '');

async function main(): Promise<void> {
  // A push bridge signal still retrying when its scenario's server is torn down throws from a
  // grpc-js timer ("Channel has been shut down"): harmless for the recording, so not fatal.
  process.on('uncaughtException', (err) => {
    if (/Channel has been shut down/.test(err.message)) return;
    process.stderr.write(`record-histories: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (args.only) for (const n of args.only) if (!SCENARIOS.some((s) => s.name === n)) throw new Error(`unknown scenario ${n}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const child = argv.indexOf('--child');
  if (child >= 0) return recordOne(SCENARIOS.find((s) => s.name === argv[child + 1])!, args);
  // Each scenario in its own process: a fresh SDK runtime and test server, nothing shared.
  // (Run back to back in one process, the continue-as-new scenario stalls now and then.)
  const passThrough = argv.filter((a, i) => a !== '--only' && argv[i - 1] !== '--only');
  for (const s of SCENARIOS.filter((x) => !args.only || args.only.has(x.name))) {
    for (let attempt = 1; ; attempt += 1) {
      const code = await runChild([...process.execArgv, process.argv[1]!, '--child', s.name, ...passThrough]);
      if (code === 0) break;
      if (attempt >= 2) throw new Error(`scenario ${s.name} failed twice`);
      process.stderr.write(`${s.name}: attempt ${attempt} failed (exit ${code}); once more\n`);
    }
  }
}

const CHILD_TIMEOUT_MS = 150_000;
function runChild(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

async function recordOne(s: Scenario, args: { suffix: string; code: string }): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  const codecConverter = replayDataConverter();
  const bundle = await bundleWorkflows(s.codec ? codecConverter : undefined);
  const t0 = Date.now();
  const results = await withTimeout(s.name, (attempt) => runScenario(s, bundle, codecConverter, attempt));
  const manifest: Manifest = readManifest();
  for (const { capture, json, events, runId } of results) {
    // One name per history: <workflow>-<scenario>[-<part>][<suffix>].json
    const file = `${fileType(capture.workflowType)}-${s.name}${capture.part ? `-${capture.part}` : ''}${args.suffix}.json`;
    fs.writeFileSync(path.join(HISTORIES_DIR, file), json);
    manifest[file] = { workflowId: capture.workflowId, runId, workflowType: capture.workflowType, scenario: s.name, codec: Boolean(s.codec), code: args.code, events, description: capture.description };
    process.stderr.write(`  ${file}: ${events} events, ${(Buffer.byteLength(json) / 1024).toFixed(1)} KiB${s.codec ? ', codec' : ''}\n`);
  }
  writeManifest(manifest);
  process.stderr.write(`${s.name}: ${results.length} histor${results.length === 1 ? 'y' : 'ies'} in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
}

function writeManifest(manifest: Manifest): void {
  const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b)));
  fs.writeFileSync(MANIFEST_FILE, prettyJson(sorted));
}

/** A scenario that stalls is torn down after SCENARIO_TIMEOUT_MS; the parent runs it once more. */
const SCENARIO_TIMEOUT_MS = 90_000;
async function withTimeout<T>(name: string, fn: (attempt: { close?: () => Promise<void> }) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const attempt: { close?: () => Promise<void> } = {};
  try {
    return await Promise.race([
      fn(attempt),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name}: no result after ${SCENARIO_TIMEOUT_MS / 1000}s`)), SCENARIO_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    await attempt.close?.().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const cause = err instanceof Error && err.cause instanceof Error ? `\n  cause: ${err.cause.message}` : '';
    process.stderr.write(`record-histories: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}${cause}\n`);
    process.exit(1);
  },
);
