import { ActivityFailure, ApplicationFailure, patched, sleep } from '@temporalio/workflow';
import { CaErrorType, NON_RETRYABLE_CA_ERRORS } from '../ca/errors';
import type { OrderStatusResult, RetrievedCertificate } from '../ca/issuer';
import { caActivities, inlineCaReads, retrieveActivities } from './activity-stubs';
import { failureType } from './failures';

/**
 * Patch id of inline CA reads and checks (docs/workflow-versioning.md): the status read, the
 * certificate's collection and its verification run first as local activities. Runs recorded
 * before it replay their activity tasks; from their next live step on they read inline too.
 */
export const INLINE_CA_READS_PATCH = 'inline-ca-reads';

/** Whether this run reads inline (recorded once per run, as a marker, on first use). */
export function readsInline(): boolean {
  return patched(INLINE_CA_READS_PATCH);
}

/** Answers that the durable activity would get too: handed to the caller, not retried. */
const ANSWERS: ReadonlySet<string> = new Set([...NON_RETRYABLE_CA_ERRORS, CaErrorType.NotReady]);

/**
 * A CA read tried once inline, then as a durable activity. Inline, the read happens inside
 * the workflow task that wants it (a local activity: no activity task to dispatch, no extra
 * workflow task to learn the answer), which is what a push needs to be fast and what a poll
 * needs to be cheap. It gets one short attempt: a fault (5xx, timeout, garbled answer, open
 * circuit) falls back to the durable activity, whose retry policy, backoff and circuit
 * breaker handle outages as before — after the wait the CA asked for (a 429's or 503's
 * Retry-After, the open circuit's next probe), never earlier. An answer (not ready, a
 * refusal, a business error) is the answer either way, so it is returned as is rather than
 * asked again.
 */
export async function inlineFirst<T>(inline: () => Promise<T>, durable: () => Promise<T>): Promise<T> {
  if (!readsInline()) return durable();
  try {
    return await inline();
  } catch (err) {
    const type = failureType(err);
    if (type !== undefined && ANSWERS.has(type)) throw err;
    const wait = retryAfterMs(err);
    if (wait !== undefined) await sleep(wait, { summary: `The CA asked us to wait ${Math.ceil(wait / 1000)} s (Retry-After) before the durable retry` });
    return durable();
  }
}

/** GetStatus, inline first; the durable fallback retries transient faults without limit. */
export function readCaStatus(issuer: string, caOrderId: string, summary: string): Promise<OrderStatusResult> {
  return inlineFirst(
    () => inlineCaReads.getCaOrderStatus.executeWithOptions({ summary }, [caOrderId, issuer]),
    () => caActivities.getCaOrderStatus.executeWithOptions({ summary }, [caOrderId, issuer]),
  );
}

/** RetrievePem, inline first; "not ready" is an answer (CaNotReadyError), never retried. */
export function readCertificate(issuer: string, caOrderId: string, summary: string): Promise<RetrievedCertificate> {
  return inlineFirst(
    () => inlineCaReads.retrieveCertificate.executeWithOptions({ summary }, [caOrderId, issuer]),
    () => retrieveActivities.retrieveCertificate.executeWithOptions({ summary }, [caOrderId, issuer]),
  );
}

/** The wait a CA activity's failure asked for (`retryAfterMs` in its details, see src/activities/ca.ts). */
export function retryAfterMs(err: unknown): number | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const ms = (cause.details?.[0] as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
