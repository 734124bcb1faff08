import { type RetryPolicy, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CaErrorType, NON_RETRYABLE_CA_ERRORS } from '../ca/wotrus/error-types';

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

export const caActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: caRetry,
});

/** "Not issued yet" from RetrievePem sends the workflow back to polling instead of retrying. */
export const retrieveActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { ...caRetry, nonRetryableErrorTypes: [...NON_RETRYABLE_CA_ERRORS, CaErrorType.NotReady] } satisfies RetryPolicy,
});

/**
 * The CA e-mail is asked for once per certificate and has no idempotency key: retried for at
 * most two hours, then recorded as failed. Attempts turned away by the open circuit breaker
 * count too, hence more of them than real calls would need.
 */
export const emailActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '2h',
  retry: { ...caRetry, maximumAttempts: 30 },
});

export const localActivities = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3 },
});

export const billingActivities = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes: ['BillingWebhookRejectedError'] },
});
