import { ApplicationFailure, Context } from '@temporalio/activity';
import type {
  CancelResult,
  CreateOrderRequest,
  CreateOrderResult,
  Issuer,
  OrderStatusResult,
  ReissueRequest,
  ReissueResult,
  RetrievedCertificate,
  RevokeRequest,
  RevokeResult,
} from '../ca/issuer';
import { CA_PROTOCOL_ERROR_MAX_ATTEMPTS, CaErrorType, isCaError } from '../ca/wotrus/errors';
import { callContext } from './context';

/**
 * What one attempt hands to the next through its last heartbeat's details (Temporal gives a
 * retry the previous attempt's details): how many malformed answers this activity has had.
 */
interface AttemptMemo {
  protocolErrors?: number;
}

/**
 * Turns the client's error taxonomy into Temporal retry decisions: auth and business
 * refusals never retry, a rate limit retries after the CA's Retry-After, malformed answers
 * retry until CA_PROTOCOL_ERROR_MAX_ATTEMPTS of them, everything else retries with backoff.
 * Malformed answers are counted themselves, not attempts: after two timeouts, one garbled
 * answer must not park the order for an hour (the fault suite found exactly that).
 */
async function translate<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!isCaError(err)) throw err;
    const ctx = Context.current();
    const details = [{ operation: err.operation, httpStatus: err.httpStatus, requestId: err.requestId }];
    let protocolErrors = (ctx.info.heartbeatDetails as AttemptMemo | undefined)?.protocolErrors ?? 0;
    if (err.name === CaErrorType.Protocol) protocolErrors += 1;
    // Recorded on every failed attempt once non-zero, so an attempt failing otherwise carries it on.
    if (protocolErrors > 0) ctx.heartbeat({ protocolErrors } satisfies AttemptMemo);
    const retryAfterMs = (err as { retryAfterMs?: number }).retryAfterMs;
    if ((err.name === CaErrorType.RateLimit || err.name === CaErrorType.Unavailable) && retryAfterMs !== undefined) {
      // The CA's Retry-After (429, or a 503 that sends one) or the circuit breaker's next
      // probe: retry then, not on the backoff schedule, and spread so the herd does not return at once.
      throw ApplicationFailure.create({ type: err.name, message: err.message, details, nextRetryDelay: spread(retryAfterMs) });
    }
    const exhausted = err.name === CaErrorType.Protocol && protocolErrors >= CA_PROTOCOL_ERROR_MAX_ATTEMPTS;
    throw ApplicationFailure.create({ type: err.name, message: err.message, details, nonRetryable: !err.retryable || exhausted });
  }
}

/** Never earlier than asked; up to a fifth later (at most 5 s more), at least 50 ms. */
export function spread(ms: number, random: () => number = Math.random): number {
  return Math.max(50, Math.round(ms + random() * Math.min(5_000, 0.2 * ms + 500)));
}

export interface CaActivityDeps {
  issuer: Issuer;
}

export function createCaActivities({ issuer }: CaActivityDeps) {
  return {
    createCaOrder: (req: CreateOrderRequest): Promise<CreateOrderResult> => translate(() => issuer.createOrder(req, callContext())),
    getCaOrderStatus: (caOrderId: string): Promise<OrderStatusResult> => translate(() => issuer.getStatus(caOrderId, callContext())),
    retrieveCertificate: (caOrderId: string): Promise<RetrievedCertificate> => translate(() => issuer.retrieveCertificate(caOrderId, callContext())),
    cancelCaOrder: (caOrderId: string, reason: string): Promise<CancelResult> => translate(() => issuer.cancelOrder(caOrderId, reason, callContext())),
    requestRevoke: (req: RevokeRequest): Promise<RevokeResult> => translate(() => issuer.requestRevoke(req, callContext())),
    requestReissue: (req: ReissueRequest): Promise<ReissueResult> => translate(() => issuer.requestReissue(req, callContext())),
    sendCaEmail: (caOrderId: string, collectUrl: string): Promise<{ sent: boolean }> => translate(() => issuer.sendIssuedEmail(caOrderId, collectUrl, callContext())),
  };
}
