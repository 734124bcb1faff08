import { Context } from '@temporalio/activity';

/**
 * certflow's own counters, on the worker's Temporal metrics (the SDK's Prometheus exporter,
 * WORKER_METRICS_BIND): they appear beside the SDK's worker, task-queue and activity series.
 * Outside an activity (unit tests calling a function directly) nothing is counted.
 */
function count(name: string, description: string, attributes: Record<string, string>): void {
  let meter;
  try {
    meter = Context.current().metricMeter;
  } catch {
    return;
  }
  meter.createCounter(name, 'calls', description).add(1, attributes);
}

/** One CA call by activity and outcome (`ok`, or the failure type: Unavailable, RateLimit, Auth, …). */
export const countCaCall = (operation: string, outcome: string): void =>
  count('certflow_ca_calls', 'CA API calls by operation and outcome', { operation, outcome });

export const countBillingDelivery = (type: string, outcome: 'delivered' | 'not_configured' | 'failed'): void =>
  count('certflow_billing_deliveries', 'Billing webhook deliveries by event type and outcome', { type, outcome });

export const countVerification = (outcome: 'ok' | 'failed'): void =>
  count('certflow_certificate_verifications', 'Certificate verifications by outcome', { outcome });
