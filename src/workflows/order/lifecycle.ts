import { allHandlersFinished, condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import type { CertificateMeta } from '../../domain/certificate';
import { isFinalState } from '../../domain/order-states';
import type { OrderView } from '../../domain/order-view';
import type { OrderWorkflowInput, ReissueWorkflowResult, RevokeWorkflowResult } from '../inputs';
import type { ReissueInput } from '../messages';
import { REPLACED_AS_WRITTEN_PATCH, REPLACED_BY_REISSUE_PROOF, type RunningChild, confirmRevokedByCa, revokeReplaced, startReissue, startRevoke } from './children';
import { deliver } from './delivery';
import type { OrderEntity } from './entity';

/** The children of one lifecycle run: at most one reissue or revocation at a time, plus replaced certificates being revoked. */
interface Children {
  reissue?: RunningChild<ReissueWorkflowResult>;
  revoke?: RunningChild<RevokeWorkflowResult>;
  replacedRevocations: Promise<void>[];
}

/**
 * The certificate's lifecycle record: a renewal reminder before expiry, reissues and a
 * revocation as child workflows, continue-as-new to keep years of history short; ends at
 * expiry or revocation.
 */
export async function lifecycle(order: OrderEntity): Promise<OrderView> {
  if (isFinalState(order.state)) return order.view;
  const { view, record, input } = order;
  const { policy } = input;
  const children: Children = { replacedRevocations: [] };

  for (;;) {
    const cert = view.certificate!;
    // SM2: the pair lives as long as the shorter-lived of its two certificates.
    const notAfter = Math.min(Date.parse(cert.notAfter), cert.encryption ? Date.parse(cert.encryption.notAfter) : Infinity);
    const remindAt = notAfter - policy.renewalLeadMs;
    const now = Date.now();

    if (now >= notAfter && !children.reissue && !children.revoke) {
      return await order.finish('expired', 'Expired', `Certificate ${cert.serialNumber} expired at ${cert.notAfter}.`, 'order.expired');
    }
    if (now >= remindAt && !view.notifications.renewalReminderFor.includes(cert.serialNumber)) {
      view.notifications.renewalReminderFor.push(cert.serialNumber);
      await order.notifyBilling('order.renewal_due', cert.serialNumber, { serialNumber: cert.serialNumber, notAfter: cert.notAfter, commonName: view.commonName });
    }

    if (order.reissueRequest && !children.reissue) children.reissue = await startReissue(order, order.reissueRequest, cert);
    if (order.revokeRequest && !children.revoke) children.revoke = await startRevoke(order, order.revokeRequest, cert);

    const reissued = children.reissue?.done;
    if (reissued) {
      const request = order.reissueRequest!;
      children.reissue = undefined;
      order.reissueRequest = undefined;
      await switchCertificate(order, cert, reissued, children, request);
      continue;
    }
    const revoked = children.revoke?.done;
    if (revoked) {
      const rec = view.lineage.revocations[view.lineage.revocations.length - 1]!;
      children.revoke = undefined;
      order.revokeRequest = undefined;
      if (revoked.ok) {
        rec.status = 'revoked';
        rec.completedAt = revoked.result.revokedAt;
        await Promise.all(children.replacedRevocations);
        return await order.finish('revoked', 'Revoked', `Certificate ${cert.serialNumber} was revoked at ${revoked.result.revokedAt}.`, 'order.revoked');
      }
      rec.status = 'failed';
      record.transition('active', 'RevocationFailed', `Revocation failed: ${revoked.message}. The certificate stays active.`);
      continue;
    }

    // Keep history short for certificates that live for years.
    const info = workflowInfo();
    const idle = !children.reissue && !children.revoke && !order.reissueRequest && !order.revokeRequest;
    if ((info.continueAsNewSuggested || info.historyLength > policy.maxHistoryEvents) && idle) {
      await Promise.all(children.replacedRevocations);
      await order.billingSent();
      await condition(allHandlersFinished);
      view.continuedAsNew += 1;
      return await continueAsNew<(input: OrderWorkflowInput) => Promise<OrderView>>({ ...input, carried: order.carried() });
    }

    const nextEvent = view.notifications.renewalReminderFor.includes(cert.serialNumber) ? notAfter : remindAt;
    record.setNextCheck(undefined);
    await condition(
      () =>
        (order.reissueRequest !== undefined && !children.reissue) ||
        (order.revokeRequest !== undefined && !children.revoke) ||
        children.reissue?.done !== undefined ||
        children.revoke?.done !== undefined,
      Math.max(nextEvent - Date.now(), 1),
      { summary: `${nextEvent === notAfter ? 'Certificate expiry' : 'Renewal reminder'} at ${new Date(nextEvent).toISOString()} (certificate ${cert.serialNumber}), or a reissue / revocation request` },
    );
  }
}

/** A finished reissue: on success the new certificate replaces the old one and is delivered; on failure the old one stays. */
async function switchCertificate(order: OrderEntity, old: CertificateMeta, done: NonNullable<RunningChild<ReissueWorkflowResult>['done']>, children: Children, request: ReissueInput): Promise<void> {
  const { view, record, input } = order;
  const rec = view.lineage.reissues[view.lineage.reissues.length - 1]!;
  if (!done.ok) {
    rec.status = 'failed';
    rec.message = done.message;
    const announced = view.lineage.revocations.find((r) => r.scope === 'replaced' && r.status === 'running' && r.reason.startsWith(`replaced by reissue ${rec.id}:`));
    if (announced) {
      announced.status = 'failed';
      order.note('ReplacedRevocationUnconfirmed', `Reissue ${rec.id} failed; whether the CA revoked certificate ${announced.serialNumber} with it is unknown: check at the CA.`);
    }
    record.transition('active', 'ReissueFailed', `Reissue ${rec.id} failed: ${done.message}. The current certificate stays active.`);
    return;
  }
  const { newCaOrderId, certificate, bundle, names, cost } = done.result;
  rec.status = 'completed';
  if (request.csr !== undefined) order.currentCsr = request.csr;
  if (names) {
    view.commonName = names[0]!;
    view.hosts = names.slice(1);
  }
  // Names dropped by the reissue: the CA revoked the old certificate with it (announced at the start).
  const droppedRevocation = view.lineage.revocations.find((r) => r.scope === 'replaced' && r.caOrderId === old.caOrderId && r.serialNumber === old.serialNumber && r.status === 'running' && r.reason.startsWith(`replaced by reissue ${rec.id}:`));
  if (droppedRevocation) {
    droppedRevocation.status = 'revoked';
    droppedRevocation.completedAt = new Date().toISOString();
  }
  rec.caOrderId = newCaOrderId;
  rec.serialNumber = certificate.serialNumber;
  view.lineage.replacedCertificates.push(old);
  order.bundle = bundle;
  view.certificate = certificate;
  view.ca.orderId = newCaOrderId;
  record.addCaOrderId(newCaOrderId);
  const { revokeReplacedCertificate, caRevokesReplaced } = input.policy;
  if (!patched(REPLACED_AS_WRITTEN_PATCH)) {
    await order.notifyBilling('order.reissued', certificate.serialNumber, { replacedSerialNumber: old.serialNumber, serialNumber: certificate.serialNumber, notAfter: certificate.notAfter });
    await deliver(order, true);
    if (revokeReplacedCertificate && !caRevokesReplaced && order.can('revoke')) children.replacedRevocations.push(revokeReplaced(order, old.caOrderId, old.serialNumber, rec.reason, REPLACED_BY_REISSUE_PROOF));
    return;
  }
  // As the CA document has it: SM2 and Sectigo products' CA revokes the replaced certificate
  // itself (certflow confirms it by reading the old order); for the others it stays valid
  // unless the request asked, with the customer's signed proof, to revoke it.
  const replaced = droppedRevocation ? 'revokedWithReissue' : caRevokesReplaced ? 'revokedByCa' : request.revokeReplaced && request.proof && order.can('revoke') ? 'revocationRequested' : 'stillValid';
  await order.notifyBilling('order.reissued', certificate.serialNumber, {
    replacedSerialNumber: old.serialNumber,
    serialNumber: certificate.serialNumber,
    notAfter: certificate.notAfter,
    replacedCertificate: { serialNumber: old.serialNumber, notAfter: old.notAfter, stillValid: replaced === 'stillValid', revocation: replaced },
    ...(cost === undefined ? {} : { cost }),
    ...(names ? { domains: names } : {}),
  });
  await deliver(order, true);
  if (replaced === 'revokedByCa') children.replacedRevocations.push(confirmRevokedByCa(order, old.caOrderId, old.serialNumber));
  if (replaced === 'revocationRequested') children.replacedRevocations.push(revokeReplaced(order, old.caOrderId, old.serialNumber, rec.reason, request.proof!));
}
