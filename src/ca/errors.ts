/**
 * The one error taxonomy of certflow's CA port: every issuer adapter maps its failures into
 * these classes, and workflows and activities know only these. The type names are what
 * Temporal matches retry policies against (`error.name`), so workflow code imports the
 * constants from here (this module imports nothing) and never writes them as literals; they
 * are also recorded in workflow histories, so a name never changes.
 */
export const CaErrorType = {
  /** The CA refused our credentials: retrying cannot help. */
  Auth: 'CaAuthError',
  /** The CA declined the request on its merits. */
  Business: 'CaBusinessError',
  /** Rate limited, possibly with a Retry-After. */
  RateLimit: 'CaRateLimitError',
  /** 5xx, timeouts, connection failures, an open circuit. */
  Unavailable: 'CaUnavailableError',
  /** An answer we could not read. */
  Protocol: 'CaProtocolError',
  /** The certificate is not ready for collection yet. */
  NotReady: 'CaCertificateNotReadyError',
  /** The CA could not validate a domain (ACMAPI 107): the customer can fix it, then the order asks again. */
  Validation: 'CaValidationError',
  /**
   * A create without an idempotency key whose answer was lost (timeout, reset, 5xx): the CA
   * may have issued. Raised by the activity layer, never retried: an operator decides.
   */
  OutcomeUnknown: 'CaOutcomeUnknownError',
  /**
   * The account at the CA or platform cannot pay for the request (WoSignDoc -68 "余额不足"):
   * the request itself is fine. Not retried by the activity; the workflow waits in
   * needsAttention until someone tops the account up, then asks again.
   */
  InsufficientBalance: 'CaInsufficientBalanceError',
} as const;

export type CaErrorTypeName = (typeof CaErrorType)[keyof typeof CaErrorType];

/** Every CA error type name. */
export const CA_ERROR_TYPES: readonly CaErrorTypeName[] = Object.freeze(Object.values(CaErrorType));

/**
 * Errors a retry cannot fix: a wrong credential, or the CA refusing the request on its
 * merits. Temporal's RetryPolicy wants `string[]`: spread it (`[...NON_RETRYABLE_CA_ERRORS]`).
 */
export const NON_RETRYABLE_CA_ERRORS: readonly CaErrorTypeName[] = Object.freeze([CaErrorType.Auth, CaErrorType.Business, CaErrorType.Validation, CaErrorType.OutcomeUnknown, CaErrorType.InsufficientBalance]);

/**
 * A malformed answer is retried, but an activity gives up at this many malformed answers
 * (other failures in between do not count): a CA that keeps answering garbage will not heal
 * by itself.
 */
export const CA_PROTOCOL_ERROR_MAX_ATTEMPTS = 3;


/**
 * The operation that failed; named after the Issuer method, or (`createSignOrder`) after the
 * call of WoSignDoc's document-signing client (`src/signing/wosigndoc/`), which speaks the
 * same taxonomy.
 */
export type CaOperation =
  | 'createOrder'
  | 'getStatus'
  | 'retrieveCertificate'
  | 'cancelOrder'
  | 'requestRevoke'
  | 'requestReissue'
  | 'sendIssuedEmail'
  | 'createSignOrder';

export interface CaErrorDetails {
  /** The CA's display name (`WoTrus`, …) for the message; `CA` when unknown. */
  issuer?: string;
  operation: CaOperation;
  /** The `RequestID` header we sent, so an operator can find the CA's log line. */
  requestId: string;
  httpStatus?: number;
  /** The CA's own message (`errorMsg`, or the body of an HTTP error), already redacted. */
  caMessage?: string;
  cause?: unknown;
  /**
   * The adapter knows the CA did not act on this request: the connection was never made
   * (refused, DNS failure, connect timeout), or the CA answered that it did not handle it
   * (HTTP 408, 503, a redirect). Absent: the CA may have acted (see `caMayHaveActed`).
   */
  notActedOn?: boolean;
}

/**
 * Base of every CA error. Carries what an operator needs to trace a failure and
 * nothing secret: the client never passes the token or request headers in here.
 */
export abstract class CaError extends Error {
  abstract override readonly name: CaErrorTypeName;
  abstract readonly retryable: boolean;
  readonly operation: CaOperation;
  readonly requestId: string;
  readonly httpStatus?: number;
  readonly caMessage?: string;
  /** See `CaErrorDetails.notActedOn`. */
  readonly notActedOn?: boolean;

  protected constructor(summary: string, details: CaErrorDetails) {
    super(formatMessage(summary, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.operation = details.operation;
    this.requestId = details.requestId;
    this.httpStatus = details.httpStatus;
    this.caMessage = details.caMessage;
    this.notActedOn = details.notActedOn;
  }

  /** Logged and serialised form: own fields only, never the cause's internals. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      operation: this.operation,
      requestId: this.requestId,
      httpStatus: this.httpStatus,
      caMessage: this.caMessage,
      retryable: this.retryable,
    };
  }
}

function formatMessage(summary: string, d: CaErrorDetails): string {
  const status = d.httpStatus === undefined ? '' : ` (HTTP ${d.httpStatus})`;
  const ca = d.caMessage ? `: ${d.caMessage}` : '';
  return `${d.issuer ?? 'CA'} ${d.operation} ${summary}${status}${ca} [requestId ${d.requestId}]`;
}

/**
 * HTTP 401/403: the token is missing, wrong or revoked. Retrying cannot help. `summary`
 * replaces "rejected the API token" when the credential at fault is another one (a client
 * certificate, or the server's certificate we refused).
 */
export class CaAuthError extends CaError {
  override readonly name = CaErrorType.Auth;
  readonly retryable = false;
  constructor(details: CaErrorDetails & { summary?: string }) {
    super(details.summary ?? 'rejected the API token', details);
  }
}

/** `isSuccess: false` (or a 4xx refusal): the CA declined the request on its merits. */
export class CaBusinessError extends CaError {
  override readonly name = CaErrorType.Business;
  readonly retryable = false;
  constructor(details: CaErrorDetails) {
    super('was refused by the CA', details);
  }
}

/** HTTP 429. `retryAfterMs` comes from Retry-After (seconds or HTTP date) when the CA sent one. */
export class CaRateLimitError extends CaError {
  override readonly name = CaErrorType.RateLimit;
  readonly retryable = true;
  readonly retryAfterMs?: number;
  constructor(details: CaErrorDetails & { retryAfterMs?: number }) {
    super('was rate limited', details);
    this.retryAfterMs = details.retryAfterMs;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}

/** 5xx, 408, timeouts, refused or reset connections: the CA may well answer next time. */
export class CaUnavailableError extends CaError {
  override readonly name = CaErrorType.Unavailable;
  readonly retryable = true;
  /** The transport error code (`UND_ERR_HEADERS_TIMEOUT`, `ECONNREFUSED`, …) when there was one. */
  readonly code?: string;
  readonly retryAfterMs?: number;
  constructor(details: CaErrorDetails & { code?: string; retryAfterMs?: number }) {
    super(details.code ? `failed: CA unavailable (${details.code})` : 'failed: CA unavailable', details);
    this.code = details.code;
    this.retryAfterMs = details.retryAfterMs;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), code: this.code, retryAfterMs: this.retryAfterMs };
  }
}

export interface ProtocolIssue {
  /** Dotted path into the answer, e.g. `data.orderId`; empty for the body as a whole. */
  path: string;
  message: string;
}

/**
 * The answer was not JSON or did not match the schema. Retryable, but only up to
 * `maxAttempts`: the activity layer should stop retrying once its attempt count reaches it.
 */
export class CaProtocolError extends CaError {
  override readonly name = CaErrorType.Protocol;
  readonly retryable = true;
  readonly maxAttempts = CA_PROTOCOL_ERROR_MAX_ATTEMPTS;
  readonly issues: ProtocolIssue[];
  constructor(details: CaErrorDetails & { issues: ProtocolIssue[] }) {
    super(`answered in an unexpected shape: ${describeIssues(details.issues)}`, details);
    this.issues = details.issues;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}

function describeIssues(issues: ProtocolIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}

/**
 * The CA has no certificate to hand out yet (WoTrus: RetrievePem answered `result: false`): the order is not issued
 * yet. Deliberately not a success and not a CaBusinessError: it is the normal answer while
 * the CA is still working, so it is retryable. A workflow that prefers to go back to
 * polling the status can list it among its non-retryable types and handle it itself.
 */
export class CaCertificateNotReadyError extends CaError {
  override readonly name = CaErrorType.NotReady;
  readonly retryable = true;
  constructor(details: CaErrorDetails) {
    super('has no certificate yet (order not issued)', details);
  }
}

/**
 * The CA tried to validate a domain and could not (ACMAPI 107, `other_msg` naming it): not a
 * refusal of the order, but something the customer can fix (publish the file, open the
 * firewall to the CA) before the order asks again.
 */
export class CaValidationError extends CaError {
  override readonly name = CaErrorType.Validation;
  readonly retryable = false;
  /** The domain the CA named, when it named one. */
  readonly domain?: string;
  constructor(details: CaErrorDetails & { domain?: string }) {
    super(details.domain ? `could not validate the domain ${details.domain}` : 'could not validate a domain', details);
    this.domain = details.domain;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), domain: this.domain };
  }
}

/**
 * The account cannot pay for the request (WoSignDoc -68): nothing is wrong with the request,
 * and nothing was done. Not retryable by the activity; a workflow keeps it in needsAttention
 * (pass the type to `withAttention`) and asks again once someone has topped the account up.
 */
export class CaInsufficientBalanceError extends CaError {
  override readonly name = CaErrorType.InsufficientBalance;
  readonly retryable = false;
  constructor(details: CaErrorDetails) {
    super('was refused: the account balance is too low (top it up, then retry)', details);
  }
}

export function isCaError(e: unknown): e is CaError {
  return e instanceof CaError;
}

/**
 * Whether the CA may have carried out a request that failed, which matters for calls without
 * an idempotency key (the customer e-mail): such a call is repeated only when this is false.
 * A refusal (credentials, business, rate limit, not ready, balance) is the CA's answer that it did
 * nothing. A lost or unreadable answer (timeout, reset connection, 5xx, a garbled 200) may
 * follow the CA's work, unless the adapter knows better (`notActedOn`).
 */
export function caMayHaveActed(err: CaError): boolean {
  if (err.name === CaErrorType.Auth || err.name === CaErrorType.Business || err.name === CaErrorType.RateLimit || err.name === CaErrorType.NotReady || err.name === CaErrorType.Validation || err.name === CaErrorType.InsufficientBalance) return false;
  return err.notActedOn !== true;
}
