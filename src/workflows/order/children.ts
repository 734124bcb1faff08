import { type ChildWorkflowHandle, ParentClosePolicy, sleep, startChild } from '@temporalio/workflow';
import type { ProofDocument } from '../../domain/documents';
import { droppedNames } from '../../domain/domain-names';
import { nextInterval } from '../poll-interval';
import { progressOf } from '../ca-progress';
import { readCaStatus } from '../inline-first';
import type { CertificateMeta } from '../../domain/certificate';
import type { RevocationRecord } from '../../domain/order-view';
import { reissueWorkflowId, revokeWorkflowId } from '../../domain/workflow-ids';
import { failureMessage } from '../failures';
import type { ReissueWorkflowResult, RevokeWorkflowResult } from '../inputs';
import type { ReissueInput, RevokeInput } from '../messages';
import { reissueWorkflow } from '../reissue';
import { revokeWorkflow } from '../revoke';
import type { boundOrderWorkflow } from '../bound-order';
import type { ChildDone, OrderEntity } from './entity';

/** A child workflow the order waits for; `done` is set when it ends. */
export interface RunningChild<T> {
  done?: ChildDone<T>;
}

export function follow<W extends typeof reissueWorkflow | typeof revokeWorkflow | typeof boundOrderWorkflow>(handle: ChildWorkflowHandle<W>): RunningChild<Awaited<ReturnType<W>>> {
  type T = Awaited<ReturnType<W>>;
  const child: RunningChild<T> = {};
  handle.result().then(
    (result) => void (child.done = { ok: true, result: result as T }),
    (err: unknown) => void (child.done = { ok: false, message: failureMessage(err) }),
  );
  return child;
}

/**
 * A reissue runs as a child (its own CA order id, waiting and verification); the parent
 * switches certificates when it succeeds. Answers the waiting reissue update once started.
 */
export async function startReissue(order: OrderEntity, req: ReissueInput, cert: CertificateMeta): Promise<RunningChild<ReissueWorkflowResult>> {
  const { view, input } = order;
  view.lineage.reissues.push({ id: req.requestId, reason: req.reason, requestedAt: new Date().toISOString(), status: 'running' });
  order.record.transition('reissuing', 'ReissueRequested', `Reissue ${req.requestId}: ${req.reason}`);
  const perName = order.can('domainValidation');
  if (perName && req.domainValidation) await announceDroppedNames(order, req, cert);
  const handle = await startChild(reissueWorkflow, {
    workflowId: reissueWorkflowId(view.workflowId, req.requestId),
    args: [{
      parentWorkflowId: view.workflowId,
      billingOrderId: view.billingOrderId,
      oldCaOrderId: cert.caOrderId,
      commonName: view.commonName,
      // The names as they are now: a reissue that changed them is verified against the new ones.
      hosts: perName ? view.hosts : input.order.hosts,
      request: req,
      policy: input.policy,
      issuer: input.issuer,
      ...(perName ? { currentCsr: order.currentCsr, productId: input.order.productId, organization: input.order.organization } : {}),
    }],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
  });
  order.childStarted = { id: req.requestId };
  return follow(handle);
}

/**
 * A reissue that drops names makes the CA revoke the current certificate with the reissue
 * itself (the reseller document's 危险 warning; the request confirmed it explicitly): billing
 * is told before the CA is asked, and the revocation is on the order's record.
 */
async function announceDroppedNames(order: OrderEntity, req: ReissueInput, cert: CertificateMeta): Promise<void> {
  const dropped = droppedNames(order.names, req.domainValidation!);
  if (dropped.length === 0) return;
  const reason = `replaced by reissue ${req.requestId}: it drops ${dropped.join(', ')}, and the CA revokes the current certificate with it`;
  order.view.lineage.revocations.push({ caOrderId: cert.caOrderId, serialNumber: cert.serialNumber, reason, requestedAt: new Date().toISOString(), status: 'running', scope: 'replaced' });
  await order.notifyBilling('order.certificate_will_be_revoked', `${cert.serialNumber}:${req.requestId}`, { serialNumber: cert.serialNumber, notAfter: cert.notAfter, droppedDomains: dropped, reissueRequestId: req.requestId, message: reason });
}

/** The order's own revocation, as a child through the CA's audit. Answers the waiting revoke update once started. */
export async function startRevoke(order: OrderEntity, req: RevokeInput, cert: CertificateMeta): Promise<RunningChild<RevokeWorkflowResult>> {
  const { view, input } = order;
  view.lineage.revocations.push({ caOrderId: cert.caOrderId, serialNumber: cert.serialNumber, reason: req.reason, requestedAt: new Date().toISOString(), status: 'running', scope: 'order' });
  order.record.transition('revoking', 'RevocationRequested', `Revocation requested: ${req.reason}`);
  const handle = await startChild(revokeWorkflow, {
    workflowId: revokeWorkflowId(view.workflowId, cert.caOrderId),
    args: [{ caOrderId: cert.caOrderId, reason: req.reason, proof: req.proof, policy: input.policy, issuer: input.issuer }],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
  });
  order.childStarted = { id: 'revoke' };
  return follow(handle);
}

/**
 * Patch id: the replaced certificate as the CA document has it. Before it certflow revoked
 * every replaced certificate of products whose CA does not, sending as proof a made-up
 * statement (below) where the CA asks for the customer's signed request. Now it is revoked
 * only when the reissue request asks for it with a real proof; for SM2 and Sectigo products
 * certflow confirms that the CA revoked it.
 */
export const REPLACED_AS_WRITTEN_PATCH = 'replaced-certificate-as-written';

/** What runs recorded before the patch sent; replay needs it, nothing new ever sends it. */
export const REPLACED_BY_REISSUE_PROOF: ProofDocument = { fileType: '.pdf', fileContent: 'cmVwbGFjZWQgYnkgcmVpc3N1ZQ==' };

/** Revokes a certificate replaced by a reissue, for CAs that do not do it themselves; outlives the order if need be. */
export async function revokeReplaced(order: OrderEntity, caOrderId: string, serialNumber: string, reason: string, proof: ProofDocument): Promise<void> {
  const { view, input } = order;
  const rec: RevocationRecord = { caOrderId, serialNumber, reason: `replaced by reissue: ${reason}`, requestedAt: new Date().toISOString(), status: 'running', scope: 'replaced' };
  view.lineage.revocations.push(rec);
  const entry = view.lineage.revocations[view.lineage.revocations.length - 1]!;
  try {
    const child = await startChild(revokeWorkflow, {
      workflowId: revokeWorkflowId(view.workflowId, caOrderId),
      args: [{ caOrderId, reason: rec.reason, proof, policy: input.policy, issuer: input.issuer }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    const r = await child.result();
    entry.status = 'revoked';
    entry.completedAt = r.revokedAt;
  } catch (err) {
    entry.status = 'failed';
    order.note('ReplacedRevocationFailed', failureMessage(err));
  }
}

/**
 * SM2 and Sectigo products: the CA revokes the replaced certificate once the new one is
 * issued. certflow does not take that on trust: it reads the old order until the CA says
 * revoked, on the poll schedule, up to the revocation deadline.
 */
export async function confirmRevokedByCa(order: OrderEntity, caOrderId: string, serialNumber: string): Promise<void> {
  const { view, input } = order;
  const { policy } = input;
  view.lineage.revocations.push({ caOrderId, serialNumber, reason: 'replaced by reissue: the CA revokes it', requestedAt: new Date().toISOString(), status: 'running', scope: 'replaced' });
  const entry = view.lineage.revocations[view.lineage.revocations.length - 1]!;
  const deadline = Date.now() + policy.revocationDeadlineMs;
  let interval = policy.pollInitialMs;
  for (;;) {
    try {
      const read = progressOf(await readCaStatus(order.issuer.id, caOrderId, `Has the CA revoked the replaced CA order ${caOrderId}?`));
      if (read.phase === 'revoked') {
        entry.status = 'revoked';
        entry.completedAt = new Date().toISOString();
        return;
      }
    } catch (err) {
      entry.status = 'failed';
      order.note('ReplacedRevocationUnconfirmed', `Reading the replaced CA order ${caOrderId} failed: ${failureMessage(err)}`);
      return;
    }
    if (Date.now() >= deadline) {
      entry.status = 'failed';
      order.note('ReplacedRevocationUnconfirmed', `The CA had not revoked the replaced certificate ${serialNumber} (CA order ${caOrderId}) by ${new Date(deadline).toISOString()}.`);
      return;
    }
    await sleep(Math.min(interval, deadline - Date.now()), { summary: `Has the CA revoked the replaced certificate ${serialNumber} (CA order ${caOrderId})? Read again (until ${new Date(deadline).toISOString()})` });
    interval = nextInterval(interval, policy);
  }
}
