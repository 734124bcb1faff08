import { createHash } from 'node:crypto';
import { CaAuthError, CaBusinessError, CaUnavailableError, CaValidationError, type CaError } from '../errors';
import type { AnswerContext } from '../http-answer';
import type { CreateOrderResult, OrderStatusResult, RetrievedCertificate } from '../issuer';
import { x509 } from '../../lib/x509';
import type { ErrorAnswer, IssuedAnswer, PendingAnswer } from './schemas';

/** ACMAPI answers (already read by `answerSchema`) to the CA-neutral Issuer results and errors. */

// ---------------------------------------------------------------- error codes

type ErrorKind = 'auth' | 'business' | 'validation' | 'unavailable';

/**
 * The document's Error_code table, each in the port's taxonomy and with what an operator
 * needs to know: which field, which configuration variable.
 *
 * - 101, 102, 110: our credentials or our source address; no order can pass until someone
 *   fixes the configuration (or WoSign's registration): CaAuthError.
 * - 103–106, 108, 109: WoSign refuses this request on its merits; sending it again cannot
 *   help: CaBusinessError naming the field.
 * - 107: WoSign could not fetch the signfile on the domain `other_msg` names: the customer can
 *   fix that, then the order asks again: CaValidationError.
 * - 111 "unknow error": transient as far as we can tell. And not acted on: the CA itself
 *   answered `result: error`, which it does only instead of issuing (a success carries the
 *   certificate), so applying again cannot make a second certificate. This matters because
 *   the apply carries no idempotency key (`idempotentCreate: false`).
 */
const ERROR_CODES: Readonly<Record<number, { kind: ErrorKind; message: string }>> = {
  101: { kind: 'auth', message: 'customer_id error: WoSign does not accept the customer id (ACMAPI_CUSTOMER_ID)' },
  102: { kind: 'auth', message: 'auth_token error: WoSign does not accept the token (ACMAPI_AUTH_TOKEN)' },
  103: { kind: 'business', message: 'req_type error: WoSign does not accept the request type (our request is wrong)' },
  104: { kind: 'business', message: 'csr error: WoSign does not accept the CSR' },
  105: { kind: 'business', message: 'domain_name error: a domain name is not well formed' },
  106: { kind: 'business', message: 'domain_name error: more than 5 domains' },
  107: { kind: 'validation', message: 'domain verify error: WoSign could not validate a domain' },
  108: { kind: 'business', message: 'handle_id error: WoSign does not know the handle_id' },
  109: { kind: 'business', message: 'refused by WoSign' },
  110: { kind: 'auth', message: 'IP is not permitted: this worker\'s source address is not registered with WoSign' },
  111: { kind: 'unavailable', message: 'unknown error at WoSign' },
};

/** The error an `error` answer stands for. `ctx.redact` scrubs `other_msg`, which is the CA's text. */
export function errorOf(a: ErrorAnswer, ctx: AnswerContext): CaError {
  const redact = ctx.redact ?? ((s: string) => s);
  const meaning = ERROR_CODES[a.code];
  const otherMsg = a.otherMsg === undefined ? undefined : redact(a.otherMsg);
  const caMessage = `${a.code} ${meaning?.message ?? 'an error code the document does not list'}${otherMsg === undefined ? '' : ` (other_msg: ${otherMsg})`}`;
  switch (meaning?.kind) {
    case 'auth':
      return new CaAuthError({ ...ctx, caMessage });
    case 'validation':
      return new CaValidationError({ ...ctx, caMessage, domain: otherMsg });
    case 'unavailable':
      return new CaUnavailableError({ ...ctx, caMessage, notActedOn: true });
    case 'business':
    case undefined:
      return new CaBusinessError({ ...ctx, caMessage });
  }
}

// ---------------------------------------------------------------- results

/**
 * The certificate of a `success` answer. The answer carries only the leaf (anything sent
 * along comes first); the chain is WoSign's, from configuration (`ACMAPI_CHAIN_FILE`).
 */
export function toRetrievedCertificate(a: IssuedAnswer, chainPems: readonly string[]): RetrievedCertificate {
  const seen = new Set<string>();
  const chain = [...a.morePems, ...chainPems].filter((pem) => {
    const key = pem.replace(/\s+/g, '');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { certificatePem: a.certificatePem, chainPems: chain };
}

/**
 * The CA order id of an issued answer: its handle_id. The table promises one with status 0,
 * but an answer without it still carries a certificate we must not throw away (applying
 * again could issue a second one), so we make an id that is stable for that certificate:
 * `cert-<serial hex>`, or, when the leaf does not parse (verification will say why),
 * `cert-sha256-<first 16 hex of the PEM's SHA-256>`. Nothing is ever asked by it.
 */
export function issuedOrderIdOf(a: IssuedAnswer): string {
  if (a.handleId !== undefined) return a.handleId;
  try {
    return `cert-${new x509.X509Certificate(a.certificatePem).serialNumber.toLowerCase()}`;
  } catch {
    return `cert-sha256-${createHash('sha256').update(a.certificatePem.replace(/\s+/g, '')).digest('hex').slice(0, 16)}`;
  }
}

/** An apply: issued at once (with the certificate) or pending, waiting for a person at WoSign. */
export function toCreateOrderResult(a: IssuedAnswer | PendingAnswer, chainPems: readonly string[]): CreateOrderResult {
  if (a.result === 'pending') return { caOrderId: a.handleId };
  return { caOrderId: issuedOrderIdOf(a), certificate: toRetrievedCertificate(a, chainPems) };
}

/**
 * An ask by handle_id. `pending`: "证书已经通过域名验证，但不能自动签发，等待人工处理" — the domains
 * are validated and a person at WoSign must act: `manualReview`. The order keeps the id it
 * asked by.
 */
export function toOrderStatusResult(a: IssuedAnswer | PendingAnswer, requestedId: string, chainPems: readonly string[]): OrderStatusResult {
  const caOrderId = requestedId.trim();
  if (a.result === 'pending') return { caOrderId, phase: 'manualReview', status: 'pending' };
  return { caOrderId, phase: 'issued', status: 'success', certificate: toRetrievedCertificate(a, chainPems) };
}
