import { ApplicationFailure, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { awaitIssuance } from './await-issuance';
import { caActivities } from './activities';
import { type OrderView, type ReissueWorkflowInput, type ReissueWorkflowResult, caPushedSignal, getOrderQuery } from './definitions';
import { retrieveAndVerify } from './issue-steps';
import { type AttentionControl, OrderRecord, withAttention } from './runtime';
import { BillingOrderIdKey, CaOrderIdKey } from './search-attributes';

/**
 * Reissue as a child of the order: a reissue request (idempotent on the caller's request
 * id) yields a new CA order id, which goes through the same waiting, retrieval and
 * verification as a first issuance. The parent switches certificates on success.
 */
export async function reissueWorkflow(input: ReissueWorkflowInput): Promise<ReissueWorkflowResult> {
  const at = new Date().toISOString();
  const first = { state: 'reissuing' as const, reason: 'ReissueRequested', message: `Reissuing CA order ${input.oldCaOrderId}.`, at };
  const view: OrderView = {
    workflowId: workflowInfo().workflowId,
    billingOrderId: input.billingOrderId,
    productId: '',
    commonName: input.commonName,
    condition: first,
    ca: { checks: 0 },
    lineage: { caOrderIds: [input.oldCaOrderId], reissues: [], revocations: [], replacedCertificates: [] },
    timeline: [first],
    notifications: { caEmailFor: [], billingEvents: [], renewalReminderFor: [] },
    continuedAsNew: 0,
  };
  const record = new OrderRecord(view, false);
  const push = { pending: false };
  const ctl: AttentionControl = { record, policy: input.policy, retryNow: { requested: false } };
  setHandler(getOrderQuery, () => view);
  setHandler(caPushedSignal, (p) => {
    if (p.caOrderId === view.ca.orderId) push.pending = true;
  });
  upsertSearchAttributes([{ key: BillingOrderIdKey, value: input.billingOrderId }]);

  const { newCaOrderId } = await withAttention(ctl, 'Requesting the reissue', () =>
    caActivities.requestReissue.executeWithOptions({ summary: `Request a reissue of CA order ${input.oldCaOrderId}` }, [{
      caOrderId: input.oldCaOrderId,
      csr: input.request.csr,
      reason: input.request.reason,
      idempotenceId: `${input.billingOrderId}:reissue:${input.request.requestId}`,
      proof: input.request.proof,
    }]),
  );
  view.ca.orderId = newCaOrderId;
  view.lineage.caOrderIds.push(newCaOrderId);
  // Pushes for the new CA order find this workflow through the search attribute.
  upsertSearchAttributes([{ key: CaOrderIdKey, value: [newCaOrderId] }]);

  const outcome = await awaitIssuance({ ...ctl, caOrderId: newCaOrderId, validationStartedAt: Date.now(), push });
  if (outcome.kind !== 'issued') {
    throw ApplicationFailure.create({ type: 'ReissueNotIssued', message: 'message' in outcome ? outcome.message : `reissue ended: ${outcome.kind}`, nonRetryable: true });
  }
  const verified = await retrieveAndVerify(ctl, { caOrderId: newCaOrderId, csrPem: input.request.csr, commonName: input.commonName, hosts: input.hosts }, outcome.retrieved);
  return { newCaOrderId, bundle: verified.bundle, certificate: verified.certificate };
}
