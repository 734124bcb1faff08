import { type RetryPolicy, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CaErrorType, NON_RETRYABLE_CA_ERRORS } from '../ca/errors';

/**
 * Retry policies by error class from the client's taxonomy (constants, never string
 * literals). CA calls retry transient faults without limit: creates are idempotent
 * (idempotenceID) and reads are harmless; the workflow's deadlines bound the order.
 * The backoff stops growing at one minute: an outage is absorbed by the worker's circuit
 * breaker (no CA call while it is open, retries timed to its probes), so a longer cap only
 * left orders unlucky with sporadic faults waiting minutes after the CA was fine again.
 */
const caRetry: RetryPolicy = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  nonRetryableErrorTypes: [...NON_RETRYABLE_CA_ERRORS],
};

/**
 * CA calls heartbeat every 5 s while in flight (src/activities/ca.ts): an attempt whose
 * worker died is retried after 20 s instead of waiting out the 2-minute start-to-close.
 */
const CA_HEARTBEAT_TIMEOUT = '20s';

export const caActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: CA_HEARTBEAT_TIMEOUT,
  retry: caRetry,
});

/** "Not issued yet" from RetrievePem sends the workflow back to polling instead of retrying. */
export const retrieveActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: CA_HEARTBEAT_TIMEOUT,
  retry: { ...caRetry, nonRetryableErrorTypes: [...NON_RETRYABLE_CA_ERRORS, CaErrorType.NotReady] } satisfies RetryPolicy,
});

/**
 * The CA e-mail is asked for once per certificate and has no idempotency key: retried for at
 * most two hours, then recorded as failed. Attempts turned away by the open circuit breaker
 * count too, hence more of them than real calls would need.
 */
export const emailActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: CA_HEARTBEAT_TIMEOUT,
  scheduleToCloseTimeout: '2h',
  retry: { ...caRetry, maximumAttempts: 30 },
});

/** Certificate verification as an activity task: runs recorded before inline checks. */
export const checkActivities = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3 },
});

/**
 * CA reads inside the workflow task (local activities; `inlineFirst` falls back to the
 * activities above on any fault). One attempt, and shorter than the client's own timeout
 * (CA_TIMEOUT_MS, 15 s): a slow CA is the durable path's business.
 */
export const inlineCaReads = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 1 },
});

/** Verification is CPU only (X.509 parsing, chain building): a local activity, retried like the durable one was. */
export const inlineChecks = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3 },
});

/**
 * The webhook call is bounded by its own 10 s timeout (src/delivery/billing-webhook.ts), so
 * 30 s start-to-close only matters when the worker died mid-call: the event is then retried
 * after 30 s rather than a minute (the fault suite's kill-worker tail).
 */
export const billingActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes: ['BillingWebhookRejectedError'] },
});

/**
 * certflow's own checks of a domain before a CA makes them (the validation file): each fetch
 * is bounded by DOMAIN_CHECK_TIMEOUT_MS, so a minute covers every domain of an order.
 */
export const domainCheckActivities = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m' },
});
