import {
  ApplicationFailure,
  CancellationScope,
  type ChildWorkflowHandle,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { BillingEvent, BillingEventType } from '../activities';
import type { CreateOrderRequest, RetrievedCertificate } from '../ca/issuer';
import { CaErrorType } from '../ca/wotrus/error-types';
import { awaitIssuance } from './await-issuance';
import { billingActivities, caActivities, emailActivities } from './activities';
import {
  type CarriedState,
  type CertificateBundle,
  type OrderState,
  type OrderView,
  type OrderWorkflowInput,
  type ReissueInput,
  type ReissueWorkflowResult,
  type RevokeInput,
  type RevokeWorkflowResult,
  type UpdateAnswer,
  UPDATE_REJECTED,
  cancelUpdate,
  caPushedSignal,
  getCertificateQuery,
  getOrderQuery,
  isFinalState,
  reissueUpdate,
  retryNowUpdate,
  revokeUpdate,
} from './definitions';
import { retrieveAndVerify } from './issue-steps';
import { messageSchemas } from './parse-message';
import { reissueWorkflow } from './reissue';
import { revokeWorkflow } from './revoke';
import { type AttentionControl, Interrupted, OrderRecord, failureMessage, failureType, withAttention } from './runtime';

/** Patch id: one billing event (`order.reissued`) per reissued certificate. */
export const SINGLE_REISSUE_EVENT_PATCH = 'single-billing-event-on-reissue';

const CANCELLABLE: readonly OrderState[] = ['creating', 'awaitingReview', 'awaitingValidation', 'awaitingIssuance', 'needsAttention'];

function reject(message: string): never {
  throw ApplicationFailure.create({ type: UPDATE_REJECTED, message, nonRetryable: true });
}

function initialView(input: OrderWorkflowInput): OrderView {
  const at = new Date().toISOString();
  const condition = { state: 'creating' as const, reason: 'Accepted', message: 'Creating the CA order.', at };
  return {
    workflowId: workflowInfo().workflowId,
    billingOrderId: input.order.billingOrderId,
    productId: input.order.productId,
    commonName: input.order.commonName,
    condition,
    ca: { checks: 0 },
    lineage: { renews: input.order.renewsBillingOrderId, caOrderIds: [], reissues: [], revocations: [], replacedCertificates: [] },
    timeline: [condition],
    notifications: { caEmailFor: [], billingEvents: [], renewalReminderFor: [] },
    continuedAsNew: 0,
  };
}

/**
 * One workflow per billing order: creates the CA order, waits through validation and
 * issuance, retrieves, verifies, delivers, then stays open as the certificate's lifecycle
 * record (reissue, revoke, renewal reminder) until expiry or revocation.
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderView> {
  const { order, policy } = input;
  const record = new OrderRecord(input.carried?.view ?? initialView(input), true);
  const view = record.view;
  let bundle: CertificateBundle | null = input.carried?.bundle ?? null;
  const seenReissueRequests = new Set(input.carried?.seenReissueRequests ?? []);
  const push = { pending: false };
  const retryNow = { requested: false };
  let cancelRequest: { reason: string } | undefined;
  let cancelOutcome: { ok: boolean; message: string } | undefined;
  let reissueRequest: ReissueInput | undefined;
  let revokeRequest: RevokeInput | undefined;
  let childStarted: { caOrderId?: string; id: string } | undefined;
  const ctl: AttentionControl = { record, policy, retryNow, interrupted: () => cancelRequest !== undefined };

  setHandler(getOrderQuery, () => view);
  setHandler(getCertificateQuery, () => bundle);
  setHandler(caPushedSignal, (p) => {
    // A hint only: the next step reads the CA's status. Pushes for other lineage ids are
    // delivered to the child workflow that waits for them.
    if (p.caOrderId === view.ca.orderId) push.pending = true;
  });

  setHandler(
    cancelUpdate,
    async (req): Promise<UpdateAnswer> => {
      cancelRequest = req;
      await condition(() => cancelOutcome !== undefined);
      const outcome = cancelOutcome!;
      cancelOutcome = undefined;
      if (!outcome.ok) {
        cancelRequest = undefined;
        reject(outcome.message);
      }
      return { accepted: true, state: record.state, message: outcome.message, caOrderId: view.ca.orderId };
    },
    {
      validator: (req) => {
        messageSchemas().cancelInputSchema.parse(req);
        if (!CANCELLABLE.includes(record.state)) reject(`An order in state ${record.state} cannot be cancelled; cancel is possible only before issuance.`);
        if (cancelRequest) reject('A cancellation is already in progress.');
      },
    },
  );

  setHandler(
    reissueUpdate,
    async (req): Promise<UpdateAnswer> => {
      if (seenReissueRequests.has(req.requestId)) {
        const r = view.lineage.reissues.find((x) => x.id === req.requestId);
        return { accepted: true, state: record.state, message: `Reissue ${req.requestId} was already requested (${r?.status ?? 'running'}).`, caOrderId: r?.caOrderId };
      }
      seenReissueRequests.add(req.requestId);
      reissueRequest = req;
      await condition(() => childStarted?.id === req.requestId);
      return { accepted: true, state: record.state, message: `Reissue ${req.requestId} started.` };
    },
    {
      validator: (req) => {
        messageSchemas().reissueInputSchema.parse(req);
        if (seenReissueRequests.has(req.requestId)) return;
        if (record.state !== 'active') reject(`An order in state ${record.state} cannot be reissued; reissue is possible only for an active certificate.`);
        if (reissueRequest || revokeRequest) reject('Another reissue or revocation is in progress.');
      },
    },
  );

  setHandler(
    revokeUpdate,
    async (req): Promise<UpdateAnswer> => {
      revokeRequest = req;
      await condition(() => childStarted?.id === 'revoke');
      return { accepted: true, state: record.state, message: 'Revocation requested from the CA.', caOrderId: view.ca.orderId };
    },
    {
      validator: (req) => {
        messageSchemas().revokeInputSchema.parse(req);
        if (record.state !== 'active') reject(`An order in state ${record.state} cannot be revoked; revocation is possible only for an active certificate.`);
        if (reissueRequest || revokeRequest) reject('Another reissue or revocation is in progress.');
      },
    },
  );

  setHandler(
    retryNowUpdate,
    (): UpdateAnswer => {
      retryNow.requested = true;
      return { accepted: true, state: record.state, message: 'Retrying now.' };
    },
    {
      validator: () => {
        if (record.state !== 'needsAttention') reject(`Nothing to retry: the order is ${record.state}.`);
      },
    },
  );

  async function notifyBilling(type: BillingEventType, key: string, data: Record<string, unknown>): Promise<void> {
    const idempotencyKey = `${view.billingOrderId}:${type}:${key}`;
    if (view.notifications.billingEvents.includes(idempotencyKey)) return;
    const event: BillingEvent = { type, billingOrderId: view.billingOrderId, occurredAt: new Date().toISOString(), data };
    try {
      await billingActivities.notifyBilling.executeWithOptions({ summary: `Billing webhook: ${type}` }, [event, idempotencyKey]);
    } catch (err) {
      // Billing being down for a day must not block the certificate; the event is recorded as lost.
      record.view.timeline.push({ ...view.condition, reason: 'BillingWebhookFailed', message: `${type}: ${failureMessage(err)}`, at: new Date().toISOString() });
    }
    view.notifications.billingEvents.push(idempotencyKey);
  }

  /** Compensation: cancel the CA order even if this workflow is being cancelled. */
  async function compensate(reason: string): Promise<void> {
    const caOrderId = view.ca.orderId;
    if (!caOrderId) return;
    await CancellationScope.nonCancellable(async () => {
      try {
        const r = await caActivities.cancelCaOrder.executeWithOptions({ summary: `Compensation: cancel CA order ${caOrderId}` }, [caOrderId, reason]);
        if (!r.cancelled) view.timeline.push({ ...view.condition, reason: 'CompensationRefused', message: `The CA refused to cancel: ${r.failedReason ?? 'no reason given'}`, at: new Date().toISOString() });
      } catch (err) {
        view.timeline.push({ ...view.condition, reason: 'CompensationFailed', message: failureMessage(err), at: new Date().toISOString() });
      }
    });
  }

  async function finish(state: OrderState, reason: string, message: string, event?: BillingEventType): Promise<OrderView> {
    record.transition(state, reason, message);
    record.setNextCheck(undefined);
    if (event) await notifyBilling(event, state, { reason, message });
    await condition(allHandlersFinished);
    return view;
  }

  try {
    // ---- Issuance ----------------------------------------------------------------------
    if (!bundle && !isFinalState(record.state)) {
      if (!view.ca.orderId) {
        const req: CreateOrderRequest = {
          productId: order.productId,
          commonName: order.commonName,
          csr: order.csr,
          month: order.month,
          idempotenceId: order.billingOrderId,
          hosts: order.hosts,
          organization: order.organization,
          documents: order.documents,
        };
        try {
          const created = await withAttention(ctl, 'Creating the CA order', () => caActivities.createCaOrder.executeWithOptions({ summary: `Create the CA order for ${order.commonName}` }, [req]));
          view.ca.orderId = created.caOrderId;
          view.ca.orderIdRsa = created.caOrderIdRsa;
          record.addCaOrderId(created.caOrderId);
        } catch (err) {
          if (err instanceof Interrupted) {
            cancelOutcome = { ok: true, message: 'Cancelled before the CA order was created.' };
            return await finish('cancelled', 'CancelledByRequest', `Cancelled before the CA order was created: ${cancelRequest?.reason}`, 'order.cancelled');
          }
          if (failureType(err) === CaErrorType.Business) return await finish('failed', 'CaRefusedOrder', `The CA refused the order: ${failureMessage(err)}`, 'order.failed');
          throw err;
        }
      }
      let prefetched: RetrievedCertificate | undefined;
      const validationStartedAt = Date.parse(view.timeline[0]?.at ?? view.condition.at);
      for (;;) {
        const outcome = await awaitIssuance({ ...ctl, caOrderId: view.ca.orderId!, validationStartedAt, push });
        if (outcome.kind === 'interrupted') {
          const r = await caActivities.cancelCaOrder.executeWithOptions({ summary: `Cancel CA order ${view.ca.orderId}` }, [view.ca.orderId!, cancelRequest?.reason ?? 'cancelled']);
          if (r.cancelled) {
            cancelOutcome = { ok: true, message: 'The CA order was cancelled.' };
            return await finish('cancelled', 'CancelledByRequest', `Cancelled: ${cancelRequest?.reason}`, 'order.cancelled');
          }
          cancelOutcome = { ok: false, message: `The CA refused to cancel: ${r.failedReason ?? 'no reason given'}` };
          await condition(() => cancelRequest === undefined);
          continue;
        }
        if (outcome.kind === 'issued') {
          prefetched = outcome.retrieved;
          break;
        }
        if (outcome.kind === 'deadline') {
          record.transition(record.state, 'DeadlineExceeded', `${outcome.message} Cancelling the CA order.`);
          await compensate(`${outcome.stage} deadline exceeded`);
          return await finish('failed', outcome.stage === 'validation' ? 'ValidationDeadlineExceeded' : 'IssuanceDeadlineExceeded', outcome.message, 'order.failed');
        }
        if (outcome.kind === 'rejected') return await finish('failed', 'CaRejected', outcome.message, 'order.failed');
        if (outcome.kind === 'closed') return await finish('cancelled', 'CaClosed', outcome.message, 'order.cancelled');
        return await finish('needsAttention', 'UnexpectedRevocation', outcome.message);
      }

      const verified = await retrieveAndVerify(ctl, { caOrderId: view.ca.orderId!, csrPem: order.csr, commonName: order.commonName, hosts: order.hosts }, prefetched);
      bundle = verified.bundle;
      view.certificate = verified.certificate;
      await deliver();
    }

    // ---- Lifecycle -----------------------------------------------------------------------
    return await lifecycle();
  } catch (err) {
    if (isCancellation(err)) {
      // The workflow itself was cancelled (operator, Web UI): undo the CA order if not issued.
      if (!bundle) await compensate('order workflow cancelled');
      record.transition('cancelled', 'WorkflowCancelled', 'The workflow was cancelled by an operator.');
    }
    throw err;
  }

  /**
   * After a reissue billing has already had `order.reissued` for this certificate; sending
   * `order.issued` too (as the first version did) made billing count it twice.
   */
  async function deliver(reissued = false): Promise<void> {
    const cert = view.certificate!;
    record.transition('delivering', 'Delivering', 'Handing the certificate to billing and asking the CA to e-mail the customer.');
    if (!reissued || !patched(SINGLE_REISSUE_EVENT_PATCH)) await notifyBilling('order.issued', cert.serialNumber, { caOrderId: cert.caOrderId, serialNumber: cert.serialNumber, notAfter: cert.notAfter, sha256Fingerprint: cert.sha256Fingerprint, certificateUrl: input.collectUrl });
    if (policy.sendCaEmail && !view.notifications.caEmailFor.includes(cert.serialNumber)) {
      // Recorded before the call returns to the workflow: replay and continue-as-new never ask twice.
      try {
        await emailActivities.sendCaEmail.executeWithOptions({ summary: `Ask the CA to e-mail the customer (certificate ${cert.serialNumber})` }, [cert.caOrderId, input.collectUrl]);
      } catch (err) {
        view.timeline.push({ ...view.condition, reason: 'CaEmailFailed', message: failureMessage(err), at: new Date().toISOString() });
      }
      view.notifications.caEmailFor.push(cert.serialNumber);
    }
    record.transition('active', 'Issued', `Certificate ${cert.serialNumber} is active until ${cert.notAfter}.`);
  }

  async function lifecycle(): Promise<OrderView> {
    if (isFinalState(record.state)) return view;
    let reissueChild: ChildWorkflowHandle<typeof reissueWorkflow> | undefined;
    let revokeChild: ChildWorkflowHandle<typeof revokeWorkflow> | undefined;
    let reissueDone: { ok: true; result: ReissueWorkflowResult } | { ok: false; message: string } | undefined;
    let revokeDone: { ok: true; result: RevokeWorkflowResult } | { ok: false; message: string } | undefined;
    const replacedRevocations: Promise<void>[] = [];

    for (;;) {
      const cert = view.certificate!;
      const notAfter = Date.parse(cert.notAfter);
      const remindAt = notAfter - policy.renewalLeadMs;
      const now = Date.now();

      if (now >= notAfter && !reissueChild && !revokeChild) {
        return await finish('expired', 'Expired', `Certificate ${cert.serialNumber} expired at ${cert.notAfter}.`, 'order.expired');
      }
      if (now >= remindAt && !view.notifications.renewalReminderFor.includes(cert.serialNumber)) {
        view.notifications.renewalReminderFor.push(cert.serialNumber);
        await notifyBilling('order.renewal_due', cert.serialNumber, { serialNumber: cert.serialNumber, notAfter: cert.notAfter, commonName: view.commonName });
      }

      if (reissueRequest && !reissueChild) {
        const req = reissueRequest;
        view.lineage.reissues.push({ id: req.requestId, reason: req.reason, requestedAt: new Date().toISOString(), status: 'running' });
        record.transition('reissuing', 'ReissueRequested', `Reissue ${req.requestId}: ${req.reason}`);
        reissueChild = await startChild(reissueWorkflow, {
          workflowId: `${view.workflowId}/reissue/${req.requestId}`,
          args: [{ parentWorkflowId: view.workflowId, billingOrderId: view.billingOrderId, oldCaOrderId: cert.caOrderId, commonName: view.commonName, hosts: order.hosts, request: req, policy }],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        });
        childStarted = { id: req.requestId };
        reissueChild.result().then(
          (result) => void (reissueDone = { ok: true, result }),
          (err: unknown) => void (reissueDone = { ok: false, message: failureMessage(err) }),
        );
      }
      if (revokeRequest && !revokeChild) {
        const req = revokeRequest;
        view.lineage.revocations.push({ caOrderId: cert.caOrderId, serialNumber: cert.serialNumber, reason: req.reason, requestedAt: new Date().toISOString(), status: 'running', scope: 'order' });
        record.transition('revoking', 'RevocationRequested', `Revocation requested: ${req.reason}`);
        revokeChild = await startChild(revokeWorkflow, {
          workflowId: `${view.workflowId}/revoke/${cert.caOrderId}`,
          args: [{ caOrderId: cert.caOrderId, reason: req.reason, proof: req.proof, policy }],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        });
        childStarted = { id: 'revoke' };
        revokeChild.result().then(
          (result) => void (revokeDone = { ok: true, result }),
          (err: unknown) => void (revokeDone = { ok: false, message: failureMessage(err) }),
        );
      }

      if (reissueDone) {
        const done = reissueDone;
        const rec = view.lineage.reissues[view.lineage.reissues.length - 1]!;
        reissueDone = undefined;
        reissueChild = undefined;
        reissueRequest = undefined;
        if (done.ok) {
          const old = cert;
          rec.status = 'completed';
          rec.caOrderId = done.result.newCaOrderId;
          rec.serialNumber = done.result.certificate.serialNumber;
          view.lineage.replacedCertificates.push(old);
          bundle = done.result.bundle;
          view.certificate = done.result.certificate;
          view.ca.orderId = done.result.newCaOrderId;
          record.addCaOrderId(done.result.newCaOrderId);
          await notifyBilling('order.reissued', done.result.certificate.serialNumber, { replacedSerialNumber: old.serialNumber, serialNumber: done.result.certificate.serialNumber, notAfter: done.result.certificate.notAfter });
          await deliver(true);
          if (policy.revokeReplacedCertificate && !policy.caRevokesReplaced) replacedRevocations.push(revokeReplaced(old.caOrderId, old.serialNumber, rec.reason));
        } else {
          rec.status = 'failed';
          rec.message = done.message;
          record.transition('active', 'ReissueFailed', `Reissue ${rec.id} failed: ${done.message}. The current certificate stays active.`);
        }
        continue;
      }
      if (revokeDone) {
        const done = revokeDone;
        const rec = view.lineage.revocations[view.lineage.revocations.length - 1]!;
        revokeDone = undefined;
        revokeChild = undefined;
        revokeRequest = undefined;
        if (done.ok) {
          rec.status = 'revoked';
          rec.completedAt = done.result.revokedAt;
          await Promise.all(replacedRevocations);
          return await finish('revoked', 'Revoked', `Certificate ${cert.serialNumber} was revoked at ${done.result.revokedAt}.`, 'order.revoked');
        }
        rec.status = 'failed';
        record.transition('active', 'RevocationFailed', `Revocation failed: ${done.message}. The certificate stays active.`);
        continue;
      }

      // Keep history short for certificates that live for years.
      const info = workflowInfo();
      if ((info.continueAsNewSuggested || info.historyLength > policy.maxHistoryEvents) && !reissueChild && !revokeChild && !reissueRequest && !revokeRequest) {
        await Promise.all(replacedRevocations);
        await condition(allHandlersFinished);
        view.continuedAsNew += 1;
        const carried: CarriedState = { view, bundle, seenReissueRequests: [...seenReissueRequests] };
        return await continueAsNew<typeof orderWorkflow>({ ...input, carried });
      }

      const nextEvent = view.notifications.renewalReminderFor.includes(cert.serialNumber) ? notAfter : remindAt;
      record.setNextCheck(undefined);
      await condition(
        () => (reissueRequest !== undefined && !reissueChild) || (revokeRequest !== undefined && !revokeChild) || reissueDone !== undefined || revokeDone !== undefined,
        Math.max(nextEvent - Date.now(), 1),
      );
    }
  }

  async function revokeReplaced(caOrderId: string, serialNumber: string, reason: string): Promise<void> {
    const rec = { caOrderId, serialNumber, reason: `replaced by reissue: ${reason}`, requestedAt: new Date().toISOString(), status: 'running' as const, scope: 'replaced' as const };
    view.lineage.revocations.push(rec);
    const entry = view.lineage.revocations[view.lineage.revocations.length - 1]!;
    try {
      const child = await startChild(revokeWorkflow, {
        workflowId: `${view.workflowId}/revoke/${caOrderId}`,
        // No customer proof exists for a certificate replaced by our own reissue; the CA's
        // template asks for one, so certflow sends a statement naming the replacement.
        args: [{ caOrderId, reason: rec.reason, proof: { fileType: '.pdf', fileContent: 'cmVwbGFjZWQgYnkgcmVpc3N1ZQ==' }, policy }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      const r = await child.result();
      entry.status = 'revoked';
      entry.completedAt = r.revokedAt;
    } catch (err) {
      entry.status = 'failed';
      view.timeline.push({ ...view.condition, reason: 'ReplacedRevocationFailed', message: failureMessage(err), at: new Date().toISOString() });
    }
  }
}
