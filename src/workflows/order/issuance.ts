import { CancellationScope, ParentClosePolicy, condition, patched, startChild } from '@temporalio/workflow';
import { boundOrderWorkflowId } from '../../domain/workflow-ids';
import { type BoundOrderResult, boundOrderWorkflow } from '../bound-order';
import { type RunningChild, follow } from './children';
import { CaErrorType } from '../../ca/errors';
import type { CreateOrderRequest, RetrievedCertificate } from '../../ca/issuer';
import type { OrderView } from '../../domain/order-view';
import { caActivities } from '../activity-stubs';
import { Interrupted, withAttention } from '../attention';
import { STATUSES_AS_WRITTEN_PATCH, awaitIssuance } from '../await-issuance';
import { CUSTOMER_ACTION_PATCH } from '../customer-action';
import { failureMessage, failureType } from '../failures';
import { retrieveAndVerify } from '../retrieve-and-verify';
import { applyWhenDomainsReady } from './apply';
import { choicesForNames, namesAfter } from '../../domain/domain-names';
import { noteDomains } from '../domain-validation';
import type { OrderEntity } from './entity';

/**
 * Issuance: create the CA order (idempotent on the billing order id), wait through review,
 * validation and issuance, then retrieve and verify the certificate. Resolves with the final
 * view when the order ended without a certificate (refused, rejected, cancelled, deadline),
 * or undefined once a verified certificate is on the order.
 */
/**
 * Patch id: a cancel accepted while the last status read was in flight, which then found the
 * certificate issued, is answered with a refusal. Before it the update was left unanswered,
 * and the order could never finish (every end waits for its handlers).
 */
export const ANSWER_CANCEL_ONCE_ISSUED_PATCH = 'answer-cancel-once-issued';

export async function issue(order: OrderEntity): Promise<OrderView | undefined> {
  if (!order.view.ca.orderId) {
    const ended = await createCaOrder(order);
    if (ended) return ended;
    if (order.view.ca.orderIdRsa && patched(BOUND_ORDER_PATCH)) order.boundRsa = await followBoundRsaOrder(order, order.view.ca.orderIdRsa);
  }
  // A CA that issued with the create (ACMAPI success) has nothing to wait for.
  const waited = order.issuedAtCreate ? issuedAtCreate(order) : await waitForIssuance(order);
  if (waited.ended) return waited.ended;
  order.certificateIssued = true;
  if (order.cancelRequest && patched(ANSWER_CANCEL_ONCE_ISSUED_PATCH)) {
    order.answerCancel({ ok: false, message: ISSUED_BEFORE_CANCEL });
  }

  const { input, view } = order;
  const verified = await retrieveAndVerify(
    // Issued at the CA: nothing left to cancel, so no cancel interrupts collection and verification.
    { ...order.control, interrupted: undefined },
    { issuer: order.issuer.id, caOrderId: view.ca.orderId!, csrPem: input.order.csr, csrEncryptPem: input.order.csrEncrypt, commonName: input.order.commonName, hosts: input.order.hosts },
    waited.retrieved,
  );
  order.bundle = verified.bundle;
  view.certificate = verified.certificate;
  if (order.boundRsa) await collectBoundRsa(order, order.boundRsa);
  return undefined;
}

/**
 * Patch id: the RSA order WoTrus creates with an SM2 order (`orderId_RSA`) is its own CA
 * order — status, certificate, verification — followed by a child. Before it the id was
 * shown and nothing more.
 */
export const BOUND_ORDER_PATCH = 'bound-rsa-order';

async function followBoundRsaOrder(order: OrderEntity, caOrderId: string): Promise<RunningChild<BoundOrderResult>> {
  const { view, input } = order;
  view.boundRsa = { caOrderId, status: 'waiting' };
  const handle = await startChild(boundOrderWorkflow, {
    workflowId: boundOrderWorkflowId(view.workflowId, caOrderId),
    args: [{
      billingOrderId: view.billingOrderId,
      boundToCaOrderId: view.ca.orderId!,
      caOrderId,
      csr: input.order.csrRsa ?? input.order.csr,
      commonName: input.order.commonName,
      hosts: input.order.hosts,
      policy: input.policy,
      issuer: order.issuer,
    }],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
  });
  return follow(handle);
}

/** Both certificates are delivered together: the SM2 pair waits for the bound RSA certificate (or its failure). */
async function collectBoundRsa(order: OrderEntity, child: RunningChild<BoundOrderResult>): Promise<void> {
  const { view, record } = order;
  const bound = view.boundRsa!;
  if (!child.done) record.transition('awaitingIssuance', 'AwaitingBoundRsaOrder', `The SM2 certificates are verified; waiting for the bound RSA CA order ${bound.caOrderId}.`);
  await condition(() => child.done !== undefined);
  const done = child.done!;
  if (done.ok) {
    bound.status = 'delivered';
    bound.certificate = done.result.certificate;
    order.bundle = { ...order.bundle!, boundRsa: { caOrderId: bound.caOrderId, leafPem: done.result.bundle.leafPem, chainPems: done.result.bundle.chainPems } };
  } else {
    bound.status = 'failed';
    bound.message = done.message;
    order.note('BoundRsaOrderFailed', `The bound RSA CA order ${bound.caOrderId} ended without a certificate: ${done.message}. The SM2 certificates are delivered.`);
  }
  order.boundRsa = undefined;
}

export const ISSUED_BEFORE_CANCEL = 'The CA has already issued the certificate, so the order cannot be cancelled; revoke it once it is active.';

async function createCaOrder(order: OrderEntity): Promise<OrderView | undefined> {
  const req = createRequest(order);
  if (order.can('fileValidationAtCreate')) {
    const applied = await applyWhenDomainsReady(order, req);
    if ('ended' in applied) return applied.ended;
    order.view.ca.orderId = applied.created.caOrderId;
    order.record.addCaOrderId(applied.created.caOrderId);
    order.issuedAtCreate = applied.created.certificate;
    return undefined;
  }
  try {
    const created = await withAttention(order.control, 'Creating the CA order', () =>
      caActivities.createCaOrder.executeWithOptions({ summary: `Create the CA order for ${req.commonName}` }, [req, order.issuer.id]),
    );
    order.view.ca.orderId = created.caOrderId;
    order.view.ca.orderIdRsa = created.caOrderIdRsa;
    order.record.addCaOrderId(created.caOrderId);
    if (created.cost !== undefined) order.view.ca.cost = created.cost;
    if (created.domains) noteDomains(order.view.ca, created.domains);
    return undefined;
  } catch (err) {
    if (err instanceof Interrupted) {
      order.answerCancel({ ok: true, message: 'Cancelled before the CA order was created.' });
      return await order.finish('cancelled', 'CancelledByRequest', `Cancelled before the CA order was created: ${order.cancelRequest?.reason}`, 'order.cancelled');
    }
    if (failureType(err) === CaErrorType.Business) return await order.finish('failed', 'CaRefusedOrder', `The CA refused the order: ${failureMessage(err)}`, 'order.failed');
    throw err;
  }
}

function createRequest(order: OrderEntity): CreateOrderRequest {
  const { order: o } = order.input;
  return {
    productId: o.productId,
    commonName: o.commonName,
    csr: o.csr,
    month: o.month,
    idempotenceId: o.billingOrderId,
    hosts: o.hosts,
    organization: o.organization,
    documents: o.documents,
    uKeyPassword: o.uKeyPassword,
    uKeyShipAddress: o.uKeyShipAddress,
    csrEncrypt: o.csrEncrypt,
    bindRsaProductId: o.bindRsaProductId,
    csrRsa: o.csrRsa,
    // CAs that validate per name: every name with its method (dns unless the customer chose).
    ...(order.can('domainValidation') ? { domainValidation: choicesForNames(order.names, o.domainValidation), contactEmail: o.contact?.email } : {}),
  };
}

function issuedAtCreate(order: OrderEntity): { ended?: OrderView; retrieved?: RetrievedCertificate } {
  const retrieved = order.issuedAtCreate!;
  order.issuedAtCreate = undefined;
  order.record.transition('retrieving', 'Issued', 'The CA issued the certificate with the order.');
  return { retrieved };
}

/** Waits until the CA has issued, or the order ended (a refused cancel request keeps it waiting). */
async function waitForIssuance(order: OrderEntity): Promise<{ ended?: OrderView; retrieved?: RetrievedCertificate }> {
  const { view, record } = order;
  const caOrderId = view.ca.orderId!;
  const validationStartedAt = Date.parse(view.timeline[0]?.at ?? view.condition.at);
  for (;;) {
    const perName = order.can('domainValidation')
      ? { checkNames: true, namesWait: order.namesWait, methodSwitch: { pending: () => order.methodSwitch !== undefined, apply: () => sendMethodSwitch(order) } }
      : {};
    const outcome = await awaitIssuance({ ...order.control, issuer: order.issuer.id, caOrderId, validationStartedAt, push: order.push, customer: order.tellCustomerAction, ...perName });
    switch (outcome.kind) {
      case 'issued':
        return { retrieved: outcome.retrieved };
      case 'interrupted': {
        const ended = await cancelAtCa(order, caOrderId);
        if (ended) return { ended };
        continue;
      }
      case 'deadline':
        record.transition(record.state, 'DeadlineExceeded', `${outcome.message} Cancelling the CA order.`);
        await compensate(order, `${outcome.stage} deadline exceeded`);
        return { ended: await order.finish('failed', outcome.stage === 'validation' ? 'ValidationDeadlineExceeded' : 'IssuanceDeadlineExceeded', outcome.message, 'order.failed') };
      case 'rejected':
        return { ended: await order.finish('failed', 'CaRejected', outcome.message, 'order.failed') };
      case 'closed':
        if (patched(STATUSES_AS_WRITTEN_PATCH)) return { ended: await order.finish('cancelled', 'ClosedByCa', outcome.message, 'order.closed_by_ca') };
        return { ended: await order.finish('cancelled', 'CaClosed', outcome.message, 'order.cancelled') };
      case 'revoked':
        return { ended: await order.finish('needsAttention', 'UnexpectedRevocation', outcome.message, patched(CUSTOMER_ACTION_PATCH) ? 'order.needs_attention' : undefined) };
    }
  }
}

/**
 * The customer switched names or methods while the CA validates: the same CA order is
 * reissued with the new choices (no new key), and the order goes on waiting for validation
 * by the new methods. What the switch cost is added to the CA order's cost.
 */
async function sendMethodSwitch(order: OrderEntity): Promise<void> {
  const req = order.methodSwitch!;
  const { view, input } = order;
  const caOrderId = view.ca.orderId!;
  view.lineage.reissues.push({ id: req.requestId, reason: req.reason, requestedAt: new Date().toISOString(), status: 'running' });
  const rec = view.lineage.reissues[view.lineage.reissues.length - 1]!;
  try {
    const r = await withAttention(order.control, 'Switching validation methods', () =>
      caActivities.requestReissue.executeWithOptions({ summary: `Switch the validation of CA order ${caOrderId}: ${Object.entries(req.domainValidation!).map(([n, m]) => `${n} by ${m}`).join(', ')}` }, [{
        caOrderId,
        reason: req.reason,
        idempotenceId: `${view.billingOrderId}:reissue:${req.requestId}`,
        domainValidation: req.domainValidation,
        productId: input.order.productId,
        ...(input.order.organization === undefined ? {} : { organization: input.order.organization }),
        ...(req.renew === undefined ? {} : { renew: req.renew }),
      }, order.issuer.id]),
    );
    rec.status = 'completed';
    rec.caOrderId = r.newCaOrderId;
    if (r.cost !== undefined) view.ca.cost = (view.ca.cost ?? 0) + r.cost;
    if (r.domains) noteDomains(view.ca, r.domains);
    const names = namesAfter(view.commonName, Object.keys(req.domainValidation!));
    view.commonName = names[0]!;
    view.hosts = names.slice(1);
    order.note('ValidationMethodsSwitched', `Switch ${req.requestId}: ${Object.entries(req.domainValidation!).map(([n, m]) => `${n} by ${m}`).join(', ')}.`);
  } catch (err) {
    if (!(err instanceof Interrupted) && failureType(err) !== CaErrorType.Business) throw err;
    rec.status = 'failed';
    rec.message = err instanceof Interrupted ? 'cancelled before the CA was asked' : `The CA refused the switch: ${failureMessage(err)}`;
  } finally {
    order.methodSwitch = undefined;
    order.switchesSent.push(req.requestId);
  }
}

/** A cancel request: ask the CA; if it refuses, the update fails with its reason and the order keeps waiting. */
async function cancelAtCa(order: OrderEntity, caOrderId: string): Promise<OrderView | undefined> {
  if (!order.can('cancel')) {
    order.answerCancel({ ok: false, message: `The order's issuer (${order.issuer.id}) cannot cancel an order it has accepted: it lacks the capability "cancel".` });
  } else {
    const r = await caActivities.cancelCaOrder.executeWithOptions({ summary: `Cancel CA order ${caOrderId}` }, [caOrderId, order.cancelRequest?.reason ?? 'cancelled', order.issuer.id]);
    if (r.cancelled) {
      order.answerCancel({ ok: true, message: 'The CA order was cancelled.' });
      return await order.finish('cancelled', 'CancelledByRequest', `Cancelled: ${order.cancelRequest?.reason}`, 'order.cancelled');
    }
    order.answerCancel({ ok: false, message: `The CA refused to cancel: ${r.failedReason ?? 'no reason given'}` });
  }
  await condition(() => order.cancelRequest === undefined);
  return undefined;
}

/** Compensation: cancel the CA order even if this workflow is being cancelled; nothing to do where the issuer cannot cancel. */
export async function compensate(order: OrderEntity, reason: string): Promise<void> {
  const caOrderId = order.view.ca.orderId;
  if (!caOrderId) return;
  if (!order.can('cancel')) {
    order.note('CompensationUnavailable', `The issuer (${order.issuer.id}) cannot cancel orders; CA order ${caOrderId} stays as it is.`);
    return;
  }
  await CancellationScope.nonCancellable(async () => {
    try {
      const r = await caActivities.cancelCaOrder.executeWithOptions({ summary: `Compensation: cancel CA order ${caOrderId}` }, [caOrderId, reason, order.issuer.id]);
      if (!r.cancelled) order.note('CompensationRefused', `The CA refused to cancel: ${r.failedReason ?? 'no reason given'}`);
    } catch (err) {
      order.note('CompensationFailed', failureMessage(err));
    }
  });
}
