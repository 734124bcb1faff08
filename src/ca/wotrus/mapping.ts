import {
  type CancelResult,
  type CreateOrderResult,
  type CustomerTask,
  type OrderStatusResult,
  type ReissueResult,
  type RetrievedCertificate,
  type RevokeResult,
} from '../issuer';
import {
  type CancelAnswer,
  type CreateOrderAnswer,
  type EmailAnswer,
  type QueryOrderAnswer,
  type ReissueAnswer,
  type RetrievePemAnswer,
  type RevokeAnswer,
} from './schemas';
import { WOTRUS_PHASES, paymentOf } from './statuses';

/** WoTrus answers (already read by the schemas) to the CA-neutral Issuer results. */

export function toCreateOrderResult(a: CreateOrderAnswer): CreateOrderResult {
  // An RSA-only order may come back with only one of the two ids; the schema guarantees one.
  const caOrderId = a.orderId ?? a.orderId_RSA ?? '';
  const caOrderIdRsa = a.orderId !== undefined && a.orderId_RSA !== a.orderId ? a.orderId_RSA : undefined;
  return caOrderIdRsa === undefined ? { caOrderId } : { caOrderId, caOrderIdRsa };
}

export function toOrderStatusResult(a: QueryOrderAnswer, requestedId: string): OrderStatusResult {
  const result: OrderStatusResult = { caOrderId: a.id ?? requestedId.trim(), phase: WOTRUS_PHASES[a.status], status: a.status };
  if (a.pendingLink !== undefined) result.pendingLink = a.pendingLink;
  const tasks = customerTasksOf(a);
  if (tasks.length > 0) result.customerTasks = tasks;
  const payment = paymentOf(a.isPay);
  if (payment !== undefined) result.payment = payment;
  if (a.productID !== undefined) result.productId = a.productID;
  if (a.cn !== undefined) result.commonName = a.cn;
  return result;
}

/**
 * The document's flags, read as what the customer has left to do: only an explicit `false`
 * counts (an absent flag says nothing). `isSNVerified` is the domain validation itself — the
 * document's pendingAutoIssue example pairs it with `false`: DCV is still to be done.
 */
export function customerTasksOf(a: Pick<QueryOrderAnswer, 'isSNVerified' | 'isUploadedPic' | 'isCSRSubmitted' | 'isCustomerInfoFilled'>): CustomerTask[] {
  const tasks: CustomerTask[] = [];
  if (a.isSNVerified === false) tasks.push('validateDomain');
  if (a.isUploadedPic === false) tasks.push('uploadDocuments');
  if (a.isCSRSubmitted === false) tasks.push('submitCsr');
  if (a.isCustomerInfoFilled === false) tasks.push('fillCustomerInfo');
  return tasks;
}

/**
 * The certificate, or undefined when the order has none yet (`result: false`, or no PEM).
 * RSA/ECC orders answer in `pem_RSA`; SM2 orders in `pem_Sign` (signing) and `pem_Encrypt`
 * (encryption). The document's example answers all three for the SM2 order id: the SM2
 * signing certificate is then the order's leaf, and the bundled RSA order's certificate is
 * kept beside it (`rsaCertificatePem`) rather than dropped. Only `pem_Encrypt` without a
 * signing certificate is not a certificate yet.
 */
export function toRetrievedCertificate(a: RetrievePemAnswer): RetrievedCertificate | undefined {
  if (a.result === false) return undefined;
  let cert: RetrievedCertificate;
  if (a.pem_Sign !== undefined) {
    cert = { certificatePem: a.pem_Sign, chainPems: a.chains_Sign };
    if (a.pem_RSA !== undefined) {
      cert.rsaCertificatePem = a.pem_RSA;
      cert.rsaChainPems = a.chains_RSA;
    }
  } else if (a.pem_RSA !== undefined) {
    cert = { certificatePem: a.pem_RSA, chainPems: a.chains_RSA };
  } else {
    return undefined;
  }
  if (a.pem_Encrypt !== undefined) {
    cert.encryptionCertificatePem = a.pem_Encrypt;
    cert.encryptionChainPems = a.chains_Encrypt;
  }
  return cert;
}

export function toCancelResult(a: CancelAnswer): CancelResult {
  return a.cancelResult || a.cancelFailedReason === undefined
    ? { cancelled: a.cancelResult }
    : { cancelled: false, failedReason: a.cancelFailedReason };
}

export function toRevokeResult(a: RevokeAnswer): RevokeResult {
  return { revokeStatus: a.revokeStatus, revoked: a.revoked };
}

export function toReissueResult(a: ReissueAnswer): ReissueResult {
  return { newCaOrderId: a.newOrderID };
}

export function toEmailResult(a: EmailAnswer): { sent: boolean } {
  return { sent: a.sentResult };
}
