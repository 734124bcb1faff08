import { createHash } from 'node:crypto';
import { RESELLER_UNIQUE_ID_LENGTH } from './inferred';

/**
 * The reissue's `unique_id` ("唯一标识符,必填,不能重复,防止代理商一个订单重复提交…避免重复扣费"):
 * the platform charges once per id, so the same billing request must always produce the same
 * id — a retried activity, a replayed workflow, a resubmitted API call — and two different
 * requests never the same one.
 */
export interface BillingReissueRef {
  /** The billing order the certificate belongs to. */
  billingOrderId: string;
  /** Billing's idempotency key of this reissue (the API's `requestId`). */
  requestId: string;
}

/** Versioned, so a future change of derivation can never collide with ids already charged. */
const DOMAIN = 'certflow/reseller/reissue/v1';

/**
 * `unique_id` for a billing reissue request: the first 32 hex digits of SHA-256 over the
 * billing order id and the request id (JSON-encoded together, so no pair of ids can run
 * into another: `a:b`+`c` ≠ `a`+`b:c`). Deterministic, letters and digits only; the length
 * is an inference (inferred.ts: the document states none).
 */
export function uniqueIdFor(ref: BillingReissueRef): string {
  if (!ref.billingOrderId) throw new Error('uniqueIdFor: billingOrderId must not be empty');
  if (!ref.requestId) throw new Error('uniqueIdFor: requestId must not be empty');
  return createHash('sha256')
    .update(JSON.stringify([DOMAIN, ref.billingOrderId, ref.requestId]))
    .digest('hex')
    .slice(0, RESELLER_UNIQUE_ID_LENGTH);
}
