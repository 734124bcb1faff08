/**
 * A circuit breaker in front of the CA, shared by every activity of a worker process. When
 * most of the last calls found the CA unreachable (5xx, timeouts, refused
 * connections), further calls fail at once without reaching the CA, and one probe call at a
 * time (after 1 s, 2 s, 4 s … up to 30 s) finds out whether it is back. Without it, a
 * minute-long outage cost every waiting order five or six retries (the fault suite counted
 * 963 wasted calls for 200 orders), and the retry backoff of the unlucky ones grew to
 * minutes, long after the CA had recovered.
 *
 * Only unavailability counts: a refusal, a rate limit or a malformed answer proves the CA
 * is up. A rejected call is a CaUnavailableError (code CIRCUIT_OPEN) whose retryAfterMs says
 * when the next probe may run, so the activity retries then instead of on its own backoff.
 */
import { BrokenCircuitError, CircuitState, CountBreaker, ExponentialBackoff, type IBackoff, type IBackoffFactory, circuitBreaker, handleWhen } from 'cockatiel';
import type { CallContext, Issuer } from './issuer';
import { CaErrorType, CaUnavailableError, type CaOperation, isCaError } from './errors';

export const CIRCUIT_OPEN_CODE = 'CIRCUIT_OPEN';

export interface CircuitBreakerOptions {
  /** Share of the last `windowCalls` calls (0–1, exclusive) that must fail to open the circuit. */
  threshold: number;
  windowCalls: number;
  /** Fewest calls seen before it may open (a quiet worker never trips on two failures). */
  minimumCalls: number;
  /** First open period; each failed probe doubles it (with jitter) up to maxOpenMs. */
  initialOpenMs: number;
  maxOpenMs: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerOptions = {
  // The fault suite's mix (30 % 5xx and 10 % hangs: ~37 % of calls unavailable) must not
  // trip it (15 of 20 is 3.5 standard deviations away); an outage must, within a few calls.
  // A window of calls, not of seconds: a time window full of successes from just before an
  // outage let a busy worker spend ~2 calls per order on it before tripping.
  threshold: 0.7,
  windowCalls: 20,
  minimumCalls: 10,
  initialOpenMs: 1_000,
  maxOpenMs: 30_000,
};

export type CircuitEvent = { state: 'open'; openForMs: number } | { state: 'halfOpen' } | { state: 'closed' };

export interface GuardedIssuer extends Issuer {
  /** Closed, open or halfOpen, for logs and tests. */
  readonly circuit: () => 'closed' | 'open' | 'halfOpen';
}

const isUnavailable = (err: unknown): boolean => isCaError(err) && err.name === CaErrorType.Unavailable;

/** Remembers how long the circuit was last opened for, so a rejection can say when to come back. */
class RecordingBackoff implements IBackoffFactory<unknown> {
  lastDurationMs = 0;
  constructor(private readonly inner: IBackoffFactory<unknown>) {}
  next(context: unknown): IBackoff<unknown> {
    return this.wrap(this.inner.next(context));
  }
  private wrap(b: IBackoff<unknown>): IBackoff<unknown> {
    this.lastDurationMs = b.duration;
    return { duration: b.duration, next: (ctx: unknown) => this.wrap(b.next(ctx)) };
  }
}

export function withCircuitBreaker(issuer: Issuer, options: CircuitBreakerOptions = DEFAULT_CIRCUIT_BREAKER, onEvent?: (e: CircuitEvent) => void): GuardedIssuer {
  const backoff = new RecordingBackoff(new ExponentialBackoff({ initialDelay: options.initialOpenMs, maxDelay: options.maxOpenMs }));
  const policy = circuitBreaker(handleWhen(isUnavailable), {
    halfOpenAfter: backoff,
    breaker: new CountBreaker({ threshold: options.threshold, size: options.windowCalls, minimumNumberOfCalls: options.minimumCalls }),
  });
  let openedAt = 0;
  policy.onBreak(() => {
    openedAt = Date.now();
    onEvent?.({ state: 'open', openForMs: backoff.lastDurationMs });
  });
  policy.onHalfOpen(() => onEvent?.({ state: 'halfOpen' }));
  policy.onReset(() => onEvent?.({ state: 'closed' }));

  async function guarded<T>(operation: CaOperation, ctx: CallContext, call: () => Promise<T>): Promise<T> {
    let outcome: { value: T } | { error: unknown };
    try {
      // Any answer but unavailability is a success for the breaker: the CA is up.
      outcome = await policy.execute(async () => {
        try {
          return { value: await call() };
        } catch (err) {
          if (isUnavailable(err)) throw err;
          return { error: err };
        }
      }, ctx.signal);
    } catch (err) {
      if (!(err instanceof BrokenCircuitError)) throw err;
      const retryAfterMs = Math.max(0, openedAt + backoff.lastDurationMs - Date.now());
      throw new CaUnavailableError({
        issuer: issuer.descriptor.displayName,
        operation,
        requestId: ctx.requestId,
        code: CIRCUIT_OPEN_CODE,
        caMessage: `not called: most recent calls found the CA unavailable; next probe in ${Math.ceil(retryAfterMs / 1000)} s`,
        retryAfterMs,
      });
    }
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  // Only the operations the issuer offers: a missing one stays missing (its capability is absent).
  const { cancelOrder, requestRevoke, requestReissue, sendIssuedEmail, domainFile } = issuer;
  return {
    descriptor: issuer.descriptor,
    circuit: () => (policy.state === CircuitState.Open ? 'open' : policy.state === CircuitState.HalfOpen ? 'halfOpen' : 'closed'),
    createOrder: (req, ctx) => guarded('createOrder', ctx, () => issuer.createOrder(req, ctx)),
    getStatus: (id, ctx) => guarded('getStatus', ctx, () => issuer.getStatus(id, ctx)),
    retrieveCertificate: (id, ctx) => guarded('retrieveCertificate', ctx, () => issuer.retrieveCertificate(id, ctx)),
    ...(cancelOrder && { cancelOrder: (id, reason, ctx) => guarded('cancelOrder', ctx, () => cancelOrder.call(issuer, id, reason, ctx)) }),
    ...(requestRevoke && { requestRevoke: (req, ctx) => guarded('requestRevoke', ctx, () => requestRevoke.call(issuer, req, ctx)) }),
    ...(requestReissue && { requestReissue: (req, ctx) => guarded('requestReissue', ctx, () => requestReissue.call(issuer, req, ctx)) }),
    ...(sendIssuedEmail && { sendIssuedEmail: (id, url, ctx) => guarded('sendIssuedEmail', ctx, () => sendIssuedEmail.call(issuer, id, url, ctx)) }),
    // Configuration, not a CA call: nothing to guard.
    ...(domainFile && { domainFile: () => domainFile.call(issuer) }),
  };
}
