import { ApplicationFailure, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { IssuerRef } from '../ca/issuer';
import type { CertificateBundle, CertificateMeta } from '../domain/certificate';
import type { OrderPolicy } from '../domain/order';
import type { BoundOrderView } from '../domain/order-view';
import type { AttentionControl } from './attention';
import { awaitIssuance } from './await-issuance';
import { caPushedSignal, getBoundOrderQuery } from './messages';
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
  setHandler(getBoundOrderQuery, () => view);
  setHandler(caPushedSignal, (p) => {
    if (p.caOrderId === input.caOrderId) push.pending = true;
  });
  // Pushes for this CA order find this workflow through the search attribute.
  upsertSearchAttributes([
    { key: BillingOrderIdKey, value: input.billingOrderId },
    { key: CaOrderIdKey, value: [input.caOrderId] },
  ]);

  const outcome = await awaitIssuance({ ...ctl, issuer: input.issuer.id, caOrderId: input.caOrderId, validationStartedAt: Date.now(), push });
  if (outcome.kind !== 'issued') {
    throw ApplicationFailure.create({ type: 'BoundOrderNotIssued', message: 'message' in outcome ? outcome.message : `bound CA order ended: ${outcome.kind}`, nonRetryable: true });
  }
  const verified = await retrieveAndVerify(ctl, { issuer: input.issuer.id, caOrderId: input.caOrderId, csrPem: input.csr, commonName: input.commonName, hosts: input.hosts }, outcome.retrieved);
  return { caOrderId: input.caOrderId, bundle: verified.bundle, certificate: verified.certificate };
}
