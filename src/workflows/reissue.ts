import { ApplicationFailure, patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ISSUER_BEFORE_PORT, type ReissueRequest } from '../ca/issuer';
import { noteDomains } from './domain-validation';
import { namesAfter } from '../domain/domain-names';
import type { ReissueView } from '../domain/order-view';
import { caActivities } from './activity-stubs';
import { type AttentionControl, withAttention } from './attention';
import { awaitIssuance } from './await-issuance';
import { BillingEvents } from './billing-events';
import { actionRequiredEvent, type CustomerActionNotice, REISSUE_CUSTOMER_ACTION_PATCH } from './customer-action';
import type { ReissueWorkflowInput, ReissueWorkflowResult } from './inputs';
import { caPushedSignal, describe, getReissueQuery } from './messages';
import { askPatchesUpFront } from './patches';
import { OrderRecord } from './record';
import { retrieveAndVerify } from './retrieve-and-verify';
import { BillingOrderIdKey, CaOrderIdKey } from './search-attributes';

/**
 * Reissue as a child of the order: a reissue request (idempotent on the caller's request
 * id) yields a new CA order id, which goes through the same waiting, retrieval and
 * verification as a first issuance. The parent switches certificates on success.
 */
export async function reissueWorkflow(input: ReissueWorkflowInput): Promise<ReissueWorkflowResult> {
  askPatchesUpFront();
  const issuer = (input.issuer ?? ISSUER_BEFORE_PORT).id;
  const at = new Date().toISOString();
  const first = { state: 'reissuing' as const, reason: 'ReissueRequested', message: `Reissuing CA order ${input.oldCaOrderId}.`, at };
  const view: ReissueView = {
    workflowId: workflowInfo().workflowId,
    billingOrderId: input.billingOrderId,
    replacesCaOrderId: input.oldCaOrderId,
    condition: first,
    ca: { issuer: input.issuer?.id, checks: 0 },
    lineage: { caOrderIds: [input.oldCaOrderId] },
    timeline: [first],
  };
  const record = new OrderRecord(view, false);
  const push = { pending: false };
  const ctl: AttentionControl = { record, policy: input.policy, retryNow: { requested: false } };
  setHandler(getReissueQuery, () => view, describe(getReissueQuery));
  setHandler(caPushedSignal, (p) => {
    if (p.caOrderId === view.ca.orderId) push.pending = true;
  }, describe(caPushedSignal));
  upsertSearchAttributes([{ key: BillingOrderIdKey, value: input.billingOrderId }]);

  const checkNames = input.issuer?.capabilities.includes('domainValidation') ?? false;
  const requested = await withAttention(ctl, 'Requesting the reissue', () =>
    caActivities.requestReissue.executeWithOptions({ summary: `Request a reissue of CA order ${input.oldCaOrderId}` }, [{
      caOrderId: input.oldCaOrderId,
      csr: input.request.csr,
      ...(input.request.csrEncrypt === undefined ? {} : { csrEncrypt: input.request.csrEncrypt }),
      reason: input.request.reason,
      idempotenceId: `${input.billingOrderId}:reissue:${input.request.requestId}`,
      proof: input.request.proof,
      ...(checkNames ? perNameFields(input) : {}),
    }, issuer]),
  );
  const { newCaOrderId } = requested;
  view.ca.orderId = newCaOrderId;
  if (requested.cost !== undefined) view.ca.cost = requested.cost;
  if (requested.domains) noteDomains(view.ca, requested.domains);
  // A CA that keeps one id per certificate (the reseller platform's service_id) answers the same id.
  if (newCaOrderId !== input.oldCaOrderId) view.lineage.caOrderIds.push(newCaOrderId);
  // Pushes for the new CA order find this workflow through the search attribute.
  upsertSearchAttributes([{ key: CaOrderIdKey, value: [newCaOrderId] }]);

  const billing = new BillingEvents(input.billingOrderId, [], (type, message) => {
    view.timeline.push({ ...view.condition, reason: 'BillingWebhookFailed', message: `${type}: ${message}`, at: new Date().toISOString() });
  });
  const customer = patched(REISSUE_CUSTOMER_ACTION_PATCH)
    ? (n: CustomerActionNotice): void => {
        const { key, data } = actionRequiredEvent(n, { reissue: { requestId: input.request.requestId, replacesCaOrderId: input.oldCaOrderId } });
        billing.sendInBackground('order.action_required', key, data);
      }
    : undefined;
  const outcome = await awaitIssuance({ ...ctl, issuer, caOrderId: newCaOrderId, validationStartedAt: Date.now(), push, customer, ...(checkNames ? { checkNames, namesWait: { waiting: false } } : {}) });
  await billing.sent();
  if (outcome.kind !== 'issued') {
    throw ApplicationFailure.create({ type: 'ReissueNotIssued', message: 'message' in outcome ? outcome.message : `reissue ended: ${outcome.kind}`, nonRetryable: true });
  }
  const names = input.request.domainValidation ? namesAfter(input.commonName, Object.keys(input.request.domainValidation)) : undefined;
  const csrPem = input.request.csr ?? input.currentCsr;
  if (csrPem === undefined) throw ApplicationFailure.create({ type: 'ReissueNotIssued', message: 'No CSR to verify the new certificate against.', nonRetryable: true });
  const verified = await retrieveAndVerify(ctl, { issuer, caOrderId: newCaOrderId, csrPem, csrEncryptPem: input.request.csrEncrypt, commonName: names?.[0] ?? input.commonName, hosts: names ? names.slice(1) : input.hosts }, outcome.retrieved);
  return { newCaOrderId, bundle: verified.bundle, certificate: verified.certificate, ...(requested.cost === undefined ? {} : { cost: requested.cost }), ...(names ? { names } : {}) };
}

/** What a CA that validates per name takes with a reissue: the names and methods, the organisation again, renew. */
function perNameFields(input: ReissueWorkflowInput): Pick<ReissueRequest, 'domainValidation' | 'productId' | 'organization' | 'renew'> {
  const { request } = input;
  return {
    ...(request.domainValidation === undefined ? {} : { domainValidation: request.domainValidation }),
    ...(input.productId === undefined ? {} : { productId: input.productId }),
    ...(input.organization === undefined ? {} : { organization: input.organization }),
    ...(request.renew === undefined ? {} : { renew: request.renew }),
  };
}

