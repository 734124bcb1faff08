import { ApplicationFailure, CancellationScope, isCancellation, patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { IssuerRef } from '../ca/issuer';
import type { CertificateBundle, CertificateMeta } from '../domain/certificate';
import type { OrderPolicy } from '../domain/order';
import type { BoundOrderView } from '../domain/order-view';
import { caActivities } from './activity-stubs';
import type { AttentionControl } from './attention';
import { failureMessage } from './failures';
import { awaitIssuance } from './await-issuance';
import { caPushedSignal, describe, getBoundOrderQuery } from './messages';
import { askPatchesUpFront } from './patches';
import { OrderRecord } from './record';
import { retrieveAndVerify } from './retrieve-and-verify';
import { BillingOrderIdKey, CaOrderIdKey } from './search-attributes';

export interface BoundOrderInput {
  billingOrderId: string;
  /** The order's own CA order, which the CA created this one with. */
  boundToCaOrderId: string;
  caOrderId: string;
  /** The CSR this CA order was created with (the RSA one of an SM2 order). */
  csr: string;
  commonName: string;
  hosts?: string[];
  policy: OrderPolicy;
  issuer: IssuerRef;
}

/**
 * Patch id: a bound CA order its billing order will not collect — the order ended first, or
 * this one's own deadline passed — is cancelled at the CA like the order's own, so the CA
 * issues (and bills) nothing nobody takes. Before it the bound CA order was left open.
 */
export const BOUND_ORDER_COMPENSATION_PATCH = 'bound-order-compensation';

/** Compensation, even while this workflow is being cancelled; where the issuer cannot cancel, said so. */
async function cancelAtCa(input: BoundOrderInput, record: OrderRecord, reason: string): Promise<void> {
  const id = input.caOrderId;
  if (!input.issuer.capabilities.includes('cancel')) {
    record.transition(record.state, 'CompensationUnavailable', `The issuer (${input.issuer.id}) cannot cancel orders; bound CA order ${id} stays as it is.`);
    return;
  }
  await CancellationScope.nonCancellable(async () => {
    try {
      const r = await caActivities.cancelCaOrder.executeWithOptions({ summary: `Compensation: cancel bound CA order ${id}` }, [id, reason, input.issuer.id]);
      if (r.cancelled) record.transition('cancelled', 'BoundOrderCancelled', `Bound CA order ${id} cancelled: ${reason}.`);
      else record.transition(record.state, 'CompensationRefused', `The CA refused to cancel bound CA order ${id}: ${r.failedReason ?? 'no reason given'}`);
    } catch (err) {
      record.transition(record.state, 'CompensationFailed', `Cancelling bound CA order ${id} failed: ${failureMessage(err)}`);
    }
  });
}

export interface BoundOrderResult {
  caOrderId: string;
  bundle: CertificateBundle;
  certificate: CertificateMeta;
}

/**
 * A CA order the CA created together with the order's own — WoTrus' RSA order bound to an
 * SM2 order (`orderId_RSA`): its own id, status, pushes, certificate and verification, so it
 * is followed as a child of the billing order, exactly as the order follows its own: wait,
 * retrieve, verify. The order delivers both certificates together.
 */
export async function boundOrderWorkflow(input: BoundOrderInput): Promise<BoundOrderResult> {
  askPatchesUpFront();
  const at = new Date().toISOString();
  const first = { state: 'awaitingValidation' as const, reason: 'BoundOrderCreated', message: `Following CA order ${input.caOrderId}, created with ${input.boundToCaOrderId}.`, at };
  const view: BoundOrderView = {
    workflowId: workflowInfo().workflowId,
    billingOrderId: input.billingOrderId,
    boundToCaOrderId: input.boundToCaOrderId,
    condition: first,
    ca: { issuer: input.issuer.id, orderId: input.caOrderId, checks: 0 },
    lineage: { caOrderIds: [input.caOrderId] },
    timeline: [first],
  };
  const record = new OrderRecord(view, false);
  const push = { pending: false };
  const ctl: AttentionControl = { record, policy: input.policy, retryNow: { requested: false } };
  setHandler(getBoundOrderQuery, () => view, describe(getBoundOrderQuery));
  setHandler(caPushedSignal, (p) => {
    if (p.caOrderId === input.caOrderId) push.pending = true;
  }, describe(caPushedSignal));
  // Pushes for this CA order find this workflow through the search attribute.
  upsertSearchAttributes([
    { key: BillingOrderIdKey, value: input.billingOrderId },
    { key: CaOrderIdKey, value: [input.caOrderId] },
  ]);

  let outcome;
  try {
    outcome = await awaitIssuance({ ...ctl, issuer: input.issuer.id, caOrderId: input.caOrderId, validationStartedAt: Date.now(), push });
  } catch (err) {
    // The billing order ended (cancelled, deadline, failed) before this certificate was issued.
    if (isCancellation(err) && patched(BOUND_ORDER_COMPENSATION_PATCH)) await cancelAtCa(input, record, 'the billing order ended before this certificate was issued');
    throw err;
  }
  if (outcome.kind !== 'issued') {
    if (outcome.kind === 'deadline' && patched(BOUND_ORDER_COMPENSATION_PATCH)) await cancelAtCa(input, record, `${outcome.stage} deadline exceeded`);
    throw ApplicationFailure.create({ type: 'BoundOrderNotIssued', message: 'message' in outcome ? outcome.message : `bound CA order ended: ${outcome.kind}`, nonRetryable: true });
  }
  const verified = await retrieveAndVerify(ctl, { issuer: input.issuer.id, caOrderId: input.caOrderId, csrPem: input.csr, commonName: input.commonName, hosts: input.hosts }, outcome.retrieved);
  return { caOrderId: input.caOrderId, bundle: verified.bundle, certificate: verified.certificate };
}
