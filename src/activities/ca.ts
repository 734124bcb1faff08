import { ApplicationFailure, Context } from '@temporalio/activity';
import type {
  CancelResult,
  CreateOrderRequest,
  CreateOrderResult,
  Issuer,
  IssuerDescriptor,
  OrderStatusResult,
  ReissueRequest,
  ReissueResult,
  RetrievedCertificate,
  RevokeRequest,
  RevokeResult,
} from '../ca/issuer';
import { CA_PROTOCOL_ERROR_MAX_ATTEMPTS, CaErrorType, CaValidationError, caMayHaveActed, isCaError } from '../ca/errors';
import { CIRCUIT_OPEN_CODE } from '../ca/circuit-breaker';
import { countCaCall } from './metrics';
import { callContext } from './context';

/**
 * What one attempt hands to the next through its last heartbeat's details (Temporal gives a
 * retry the previous attempt's details): how many malformed answers, and how many other
 * failed calls that reached the CA (5xx, timeouts, 429, not ready), this activity has had.
 */
interface AttemptMemo {
  protocolErrors?: number;
  transient?: number;
  /** The e-mail only: the last attempt that ended proving the CA did not act on its request. */
  emailNotSentBy?: number;
  /** Creates without an idempotency key only: the last attempt that ended proving the CA did not act. */
  createNotSentBy?: number;
}

/** What `translateFailure` does besides the retry rules, for calls that need more. */
interface TranslateOptions<T> {
  /** Written with the memo of every failed attempt. */
  memo?: Partial<AttemptMemo>;
  /** Ends the attempt with this value instead of a failure (the e-mail's "unconfirmed"); undefined: the usual rules. */
  settle?: (err: unknown) => T | undefined;
}

/** Backoff of transient CA failures: 2 s doubling to 1 min, ±20 % so retries do not march in step. */
export const CA_BACKOFF = { initialMs: 2_000, maxMs: 60_000, jitter: 0.2 } as const;

export function backoffMs(failures: number, random: () => number = Math.random): number {
  const base = Math.min(CA_BACKOFF.initialMs * 2 ** Math.max(0, failures - 1), CA_BACKOFF.maxMs);
  return Math.round(base * (1 - CA_BACKOFF.jitter + 2 * CA_BACKOFF.jitter * random()));
}

/**
 * Turns the client's error taxonomy into Temporal retry decisions: auth and business
 * refusals never retry; a rate limit, a 503 with Retry-After and the circuit breaker's
 * refusal retry when asked; malformed answers retry until CA_PROTOCOL_ERROR_MAX_ATTEMPTS of
 * them; other transient failures retry with backoff.
 *
 * The activity counts failures itself rather than trusting the attempt number: after two
 * timeouts, one garbled answer must not park the order for an hour, and attempts turned
 * away by the open circuit during an outage must not leave the backoff at its maximum
 * afterwards (the fault suite found both). Should a server drop heartbeat details, the
 * attempt number stands in for the count, which is Temporal's own backoff.
 */
async function translateFailure<T>(call: () => Promise<T>, heartbeatEveryMs: number, opts: TranslateOptions<T> = {}): Promise<T> {
  const stopKeepAlive = keepAlive(heartbeatEveryMs);
  const operation = Context.current().info.activityType;
  try {
    const result = await call();
    countCaCall(operation, 'ok');
    return result;
  } catch (err) {
    countCaCall(operation, isCaError(err) ? err.name : 'error');
    const settled = opts.settle?.(err);
    if (settled !== undefined) return settled;
    if (!isCaError(err)) throw err;
    const ctx = Context.current();
    // The domain a CA could not validate goes to the workflow, which tells the customer.
    const details = [{ operation: err.operation, httpStatus: err.httpStatus, requestId: err.requestId, ...(err instanceof CaValidationError ? { domain: err.domain } : {}) }];
    const memo = ctx.info.heartbeatDetails as AttemptMemo | undefined;
    let protocolErrors = memo?.protocolErrors ?? 0;
    let transient = memo?.transient ?? (memo ? 0 : ctx.info.attempt - 1);
    const retryAfterMs = (err as { retryAfterMs?: number }).retryAfterMs;
    const circuitOpen = (err as { code?: string }).code === CIRCUIT_OPEN_CODE;
    if (err.name === CaErrorType.Protocol) protocolErrors += 1;
    // Any other failure of a call that reached the CA (5xx, timeout, 429, not ready) grows the backoff.
    else if (err.retryable && !circuitOpen) transient += 1;
    // Recorded on every failed attempt once non-zero, so an attempt failing otherwise carries it on.
    // Local activities (the inline first try) have no heartbeats and no retries to inform.
    if ((protocolErrors > 0 || transient > 0 || opts.memo) && !ctx.info.isLocal) ctx.heartbeat({ protocolErrors, transient, ...opts.memo } satisfies AttemptMemo);
    if ((err.name === CaErrorType.RateLimit || err.name === CaErrorType.Unavailable) && retryAfterMs !== undefined) {
      // The CA's Retry-After (429, or a 503 that sends one) or the circuit breaker's next
      // probe: retry then, not on the backoff schedule, and spread so the herd does not return at once.
      // Also in the details: a workflow does not see nextRetryDelay, and an inline read
      // (local activity, no retries) must wait as long before its durable fallback.
      const delay = spread(retryAfterMs);
      throw ApplicationFailure.create({ type: err.name, message: err.message, details: [{ ...details[0], retryAfterMs: delay }], nextRetryDelay: delay });
    }
    const exhausted = err.name === CaErrorType.Protocol && protocolErrors >= CA_PROTOCOL_ERROR_MAX_ATTEMPTS;
    const nonRetryable = !err.retryable || exhausted;
    throw ApplicationFailure.create({ type: err.name, message: err.message, details, nonRetryable, nextRetryDelay: nonRetryable ? undefined : backoffMs(protocolErrors + transient) });
  } finally {
    stopKeepAlive();
  }
}

/**
 * Heartbeat interval of a CA call still in flight. The workflow gives CA activities a
 * heartbeat timeout (src/workflows/activities.ts) well under their start-to-close timeout,
 * so an attempt lost with its worker (SIGKILL, OOM, a lost node) is retried within seconds,
 * not minutes. Calls shorter than the interval, nearly all of them, never heartbeat: no
 * extra server round trip on the common path.
 */
export const CA_HEARTBEAT_EVERY_MS = 5_000;

/** Heartbeats every `everyMs` until stopped, carrying the previous attempt's memo on. */
function keepAlive(everyMs: number): () => void {
  const ctx = Context.current();
  if (ctx.info.isLocal) return () => undefined;
  const memo = ctx.info.heartbeatDetails as AttemptMemo | undefined;
  const timer = setInterval(() => ctx.heartbeat(memo), everyMs);
  return () => clearInterval(timer);
}

/** Never earlier than asked; up to a fifth later (at most 5 s more), at least 50 ms. */
export function spread(ms: number, random: () => number = Math.random): number {
  return Math.max(50, Math.round(ms + random() * Math.min(5_000, 0.2 * ms + 500)));
}

/** The issuers a worker can reach, by id (`wotrus`, …). */
export interface IssuerDirectory {
  /** The issuer for an id; activities scheduled before the issuer port carry none and get the default. */
  get(id: string | undefined): Issuer;
}

/** A directory over configured issuers; the first is the default for activities that name none. */
export function issuerDirectory(issuers: readonly Issuer[]): IssuerDirectory {
  const byId = new Map(issuers.map((i) => [i.descriptor.id, i]));
  const fallback = issuers[0];
  return {
    get(id) {
      const issuer = id === undefined ? fallback : byId.get(id);
      if (!issuer) {
        throw ApplicationFailure.create({ type: ISSUER_NOT_CONFIGURED, message: `No issuer "${id}" is configured on this worker (configured: ${[...byId.keys()].join(', ') || 'none'}).`, nonRetryable: false });
      }
      return issuer;
    },
  };
}

/**
 * An issuer missing from a worker is a deployment fault, not the order's: retried (a worker
 * that has it may take the task) rather than failing the order.
 */
export const ISSUER_NOT_CONFIGURED = 'IssuerNotConfigured';

/** A call the issuer does not offer (its descriptor lacks the capability): never retried. */
export const CAPABILITY_MISSING = 'CapabilityMissing';

function operation<K extends 'cancelOrder' | 'requestRevoke' | 'requestReissue' | 'sendIssuedEmail'>(issuer: Issuer, name: K, capability: string): NonNullable<Issuer[K]> {
  const op = issuer[name];
  if (!op) throw ApplicationFailure.create({ type: CAPABILITY_MISSING, message: `${describe(issuer.descriptor)} cannot ${capability}.`, nonRetryable: true });
  return op.bind(issuer) as NonNullable<Issuer[K]>;
}

const describe = (d: IssuerDescriptor): string => `The issuer ${d.displayName} (${d.id})`;

export interface CaActivityDeps {
  issuers: IssuerDirectory;
  /** Heartbeat interval of calls in flight (tests shorten it). */
  heartbeatEveryMs?: number;
}

/**
 * The CA activities. Each takes the issuer id last (workflows pass their order's issuer);
 * tasks scheduled before the issuer port have none and go to the default issuer.
 */
export function createCaActivities({ issuers, heartbeatEveryMs = CA_HEARTBEAT_EVERY_MS }: CaActivityDeps) {
  const translate = <T>(call: () => Promise<T>): Promise<T> => translateFailure(call, heartbeatEveryMs);
  return {
    createCaOrder: (req: CreateOrderRequest, issuer?: string): Promise<CreateOrderResult> => {
      const target = issuers.get(issuer);
      if (target.descriptor.idempotentCreate === false) return createAtMostOnce(target, req, heartbeatEveryMs);
      return translate(() => target.createOrder(req, callContext()));
    },
    getCaOrderStatus: (caOrderId: string, issuer?: string): Promise<OrderStatusResult> => translate(() => issuers.get(issuer).getStatus(caOrderId, callContext())),
    retrieveCertificate: (caOrderId: string, issuer?: string): Promise<RetrievedCertificate> => translate(() => issuers.get(issuer).retrieveCertificate(caOrderId, callContext())),
    cancelCaOrder: (caOrderId: string, reason: string, issuer?: string): Promise<CancelResult> =>
      translate(() => operation(issuers.get(issuer), 'cancelOrder', 'cancel orders')(caOrderId, reason, callContext())),
    requestRevoke: (req: RevokeRequest, issuer?: string): Promise<RevokeResult> =>
      translate(() => operation(issuers.get(issuer), 'requestRevoke', 'revoke certificates')(req, callContext())),
    requestReissue: (req: ReissueRequest, issuer?: string): Promise<ReissueResult> =>
      translate(() => operation(issuers.get(issuer), 'requestReissue', 'reissue certificates')(req, callContext())),
    sendCaEmail: (caOrderId: string, collectUrl: string, issuer?: string): Promise<CaEmailResult> => sendEmailAtMostOnce(issuers.get.bind(issuers), heartbeatEveryMs, caOrderId, collectUrl, issuer),
  };
}

/**
 * A create without an idempotency key (ACMAPI's apply) is made at most once per activity: an
 * attempt is repeated only after a failure proving the CA did not act (`caMayHaveActed`
 * false: refused connection, 408, 429, 503, the open circuit, an error answer). A lost answer
 * (timeout, reset, 500/502/504, a garbled 200), or an attempt finding its predecessor silent
 * (its worker died), fails as CaOutcomeUnknownError, never retried: the CA may have issued,
 * and asking again could issue a second certificate. The workflow waits for an operator.
 */
async function createAtMostOnce(issuer: Issuer, req: CreateOrderRequest, heartbeatEveryMs: number): Promise<CreateOrderResult> {
  const ctx = Context.current();
  const { attempt, isLocal } = ctx.info;
  const memo = ctx.info.heartbeatDetails as AttemptMemo | undefined;
  const call = callContext();
  const unknown = (reason: string, requestId: string): ApplicationFailure => {
    ctx.log.warn('CA create outcome unknown: not repeated automatically', { reason, requestId });
    return ApplicationFailure.create({
      type: CaErrorType.OutcomeUnknown,
      nonRetryable: true,
      message: `${issuer.descriptor.displayName} may have created the order: ${reason}. It takes no idempotency key, so certflow does not ask again by itself.`,
      details: [{ operation: 'createOrder', requestId }],
    });
  };
  if (attempt > 1 && memo?.createNotSentBy !== attempt - 1) {
    throw unknown(`attempt ${attempt - 1} ended without an answer (worker lost or timed out)`, call.requestId.replace(/\/\d+$/, `/${attempt - 1}`));
  }
  return translateFailure(() => issuer.createOrder(req, call), heartbeatEveryMs, {
    memo: { createNotSentBy: attempt },
    settle: (err) => {
      if (ctx.cancellationSignal.aborted || isLocal) return undefined;
      const circuitOpen = (err as { code?: string }).code === CIRCUIT_OPEN_CODE;
      if (isCaError(err) && (circuitOpen || !caMayHaveActed(err))) return undefined;
      throw unknown(`the answer was lost (${err instanceof Error ? err.message : String(err)})`, isCaError(err) ? err.requestId : call.requestId);
    },
  });
}

/**
 * What the customer e-mail activity answers. `{ sent: true }`: the CA confirmed it;
 * `{ sent: false }`: the CA answered that it sent nothing (histories recorded before
 * at-most-once hold only these two). `unconfirmed`: the answer was lost when the CA may
 * already have sent it; never repeated automatically, an operator may resend.
 */
export type CaEmailResult = { sent: boolean } | CaEmailUnconfirmed;

export interface CaEmailUnconfirmed {
  sent: 'unconfirmed';
  /** What was lost, for the order view and the operator. */
  reason: string;
  /** The `RequestID` of the call whose answer was lost, to find the CA's log line. */
  requestId?: string;
}

/**
 * The CA e-mail has no idempotency key (WoTrus `POST /v1/Notification/email`): a repeated
 * call is a second e-mail. So an attempt is repeated only after a failure proving the CA
 * did not act (refused connection, 408, 429, 503, the open circuit: `caMayHaveActed`); any
 * other failure of the call (timeout, reset, 500/502/504, a garbled answer, an unknown error)
 * ends the activity as `unconfirmed`. Each attempt that ends proven unsent says so in its
 * memo; an attempt finding its predecessor silent (its worker died, it timed out) may be
 * repeating a call the CA received, and ends as `unconfirmed` without calling. Refusals
 * (credentials, business) fail as before, without retries.
 */
async function sendEmailAtMostOnce(
  issuerOf: IssuerDirectory['get'],
  heartbeatEveryMs: number,
  caOrderId: string,
  collectUrl: string,
  issuerId: string | undefined,
): Promise<CaEmailResult> {
  const ctx = Context.current();
  const { attempt, isLocal } = ctx.info;
  const memo = ctx.info.heartbeatDetails as AttemptMemo | undefined;
  const call = callContext();
  const unconfirmed = (reason: string, requestId = call.requestId): CaEmailUnconfirmed => {
    ctx.log.warn('CA e-mail unconfirmed: not repeated automatically', { caOrderId, reason, requestId });
    return { sent: 'unconfirmed', reason, requestId };
  };
  if (attempt > 1 && memo?.emailNotSentBy !== attempt - 1) {
    return unconfirmed(`attempt ${attempt - 1} ended without an answer (worker lost or timed out); the CA may have sent the e-mail`, call.requestId.replace(/\/\d+$/, `/${attempt - 1}`)); // that attempt's RequestID
  }
  const notSent: Partial<AttemptMemo> = { emailNotSentBy: attempt };
  let send: NonNullable<Issuer['sendIssuedEmail']>;
  try {
    send = operation(issuerOf(issuerId), 'sendIssuedEmail', 'e-mail the customer');
  } catch (err) {
    // No call was made: the next attempt (if the failure is retried) may make it.
    if (!isLocal) ctx.heartbeat({ ...memo, ...notSent } satisfies AttemptMemo);
    throw err;
  }
  return translateFailure<CaEmailResult>(() => send(caOrderId, collectUrl, call), heartbeatEveryMs, {
    memo: notSent,
    settle: (err) => {
      if (ctx.cancellationSignal.aborted) return undefined; // cancelled: the workflow's decision, not a retry
      const circuitOpen = (err as { code?: string }).code === CIRCUIT_OPEN_CODE;
      if (isCaError(err) && (circuitOpen || !caMayHaveActed(err))) return undefined;
      return unconfirmed(err instanceof Error ? err.message : String(err), isCaError(err) ? err.requestId : call.requestId);
    },
  });
}
