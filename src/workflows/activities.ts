import { type RetryPolicy, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CaErrorType, NON_RETRYABLE_CA_ERRORS } from '../ca/wotrus/error-types';

/**
 * Retry policies by error class from the client's taxonomy (constants, never string
 * literals). CA calls retry transient faults without limit: creates are idempotent
 * (idempotenceID) and reads are harmless; the workflow's deadlines bound the order.
 */
const caRetry: RetryPolicy = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '5m',
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

/** The CA e-mail is asked for once per certificate; a few retries, then it is recorded as failed. */
export const emailActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { ...caRetry, maximumAttempts: 8 },
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
