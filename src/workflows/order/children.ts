import { type ChildWorkflowHandle, ParentClosePolicy, startChild } from '@temporalio/workflow';
import type { CertificateMeta } from '../../domain/certificate';
import type { RevocationRecord } from '../../domain/order-view';
import { reissueWorkflowId, revokeWorkflowId } from '../../domain/workflow-ids';
import { failureMessage } from '../failures';
import type { ReissueWorkflowResult, RevokeWorkflowResult } from '../inputs';
import type { ReissueInput, RevokeInput } from '../messages';
import { reissueWorkflow } from '../reissue';
import { revokeWorkflow } from '../revoke';
import type { ChildDone, OrderEntity } from './entity';

/** A child workflow the order waits for; `done` is set when it ends. */
export interface RunningChild<T> {
  done?: ChildDone<T>;
}

function follow<W extends typeof reissueWorkflow | typeof revokeWorkflow>(handle: ChildWorkflowHandle<W>): RunningChild<Awaited<ReturnType<W>>> {
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
  const handle = await startChild(reissueWorkflow, {
    workflowId: reissueWorkflowId(view.workflowId, req.requestId),
    args: [{ parentWorkflowId: view.workflowId, billingOrderId: view.billingOrderId, oldCaOrderId: cert.caOrderId, commonName: view.commonName, hosts: input.order.hosts, request: req, policy: input.policy, issuer: input.issuer }],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
  });
  order.childStarted = { id: req.requestId };
  return follow(handle);
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
 * No customer proof exists for a certificate replaced by our own reissue; the CA's template
 * asks for one, so certflow sends a statement naming the replacement.
 */
const REPLACED_BY_REISSUE_PROOF = { fileType: '.pdf' as const, fileContent: 'cmVwbGFjZWQgYnkgcmVpc3N1ZQ==' };

/** Revokes a certificate replaced by a reissue, for CAs that do not do it themselves; outlives the order if need be. */
export async function revokeReplaced(order: OrderEntity, caOrderId: string, serialNumber: string, reason: string): Promise<void> {
  const { view, input } = order;
  const rec: RevocationRecord = { caOrderId, serialNumber, reason: `replaced by reissue: ${reason}`, requestedAt: new Date().toISOString(), status: 'running', scope: 'replaced' };
  view.lineage.revocations.push(rec);
  const entry = view.lineage.revocations[view.lineage.revocations.length - 1]!;
  try {
    const child = await startChild(revokeWorkflow, {
      workflowId: revokeWorkflowId(view.workflowId, caOrderId),
      args: [{ caOrderId, reason: rec.reason, proof: REPLACED_BY_REISSUE_PROOF, policy: input.policy, issuer: input.issuer }],
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
