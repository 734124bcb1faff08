import { createHash } from 'node:crypto';
import { RESELLER_UNIQUE_ID_LENGTH } from './inferred';

/**
 * The platform's `unique_id` ("唯一标识符,必填,不能重复,防止代理商一个订单重复提交…避免重复扣费"),
 * sent with the create and with every reissue: the platform charges once per id, so the same
 * certflow request must always produce the same id — a retried activity, a replayed workflow,
 * a resubmitted API call — and two different requests never the same one.
 *
 * It is derived from the port's idempotency key (`CreateOrderRequest.idempotenceId`: the
 * billing order id; `ReissueRequest.idempotenceId`: `<billing order id>:reissue:<request id>`),
 * which is already unique per charge-worthy request across creates and reissues.
 */

/**
 * Versioned and specific to this use, so a future change of derivation (or another use of
 * the same key) can never collide with ids already charged. v1 hashed a (billing order,
 * request) pair for reissues only; it was never sent to a platform.
 */
const DOMAIN = 'certflow/reseller/unique_id/v2';

/**
 * `unique_id` for one idempotency key: the first 32 hex digits of SHA-256 over the domain
 * and the key (JSON-encoded together, so the domain can never run into the key).
 * Deterministic, letters and digits only; the length is an inference (inferred.ts: the
 * document states none).
 */
export function uniqueIdFor(idempotencyKey: string): string {
  if (!idempotencyKey) throw new Error('uniqueIdFor: the idempotency key must not be empty');
  return createHash('sha256')
    .update(JSON.stringify([DOMAIN, idempotencyKey]))
    .digest('hex')
    .slice(0, RESELLER_UNIQUE_ID_LENGTH);
}
