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
 * Turns the client's error taxonomy into Temporal retry decisions: auth and business
 * refusals never retry, a rate limit retries after the CA's Retry-After, a malformed answer
 * retries a bounded number of times, everything else retries with backoff.
 */
async function translate<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!isCaError(err)) throw err;
    const attempt = Context.current().info.attempt;
    const details = [{ operation: err.operation, httpStatus: err.httpStatus, requestId: err.requestId }];
    if (err.name === CaErrorType.RateLimit) {
      const retryAfterMs = (err as { retryAfterMs?: number }).retryAfterMs;
      throw ApplicationFailure.create({ type: err.name, message: err.message, details, nextRetryDelay: retryAfterMs && retryAfterMs > 0 ? retryAfterMs : undefined });
    }
    const exhausted = err.name === CaErrorType.Protocol && attempt >= CA_PROTOCOL_ERROR_MAX_ATTEMPTS;
    throw ApplicationFailure.create({ type: err.name, message: err.message, details, nonRetryable: !err.retryable || exhausted });
  }
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
