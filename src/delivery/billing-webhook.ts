import { createHmac } from 'node:crypto';
import { Agent, type Dispatcher, request } from 'undici';
import type { BillingEvent, BillingNotifier } from '../domain/billing-event';

/**
 * The outbound billing webhook: one signed POST per order event. Billing verifies
 * `x-certflow-signature: sha256=<hex HMAC-SHA256(secret, raw body)>` and drops repeats by
 * `idempotency-key` (a retried activity sends the same key).
 */

export const BILLING_SIGNATURE_HEADER = 'x-certflow-signature';
export const BILLING_TIMESTAMP_HEADER = 'x-certflow-timestamp';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/**
 * Error names as Temporal matches them against `nonRetryableErrorTypes`. Workflow code must
 * not import this module (it loads undici): it repeats the rejected name as a literal.
 */
export const BillingWebhookErrorType = {
  Retryable: 'BillingWebhookRetryableError',
  Rejected: 'BillingWebhookRejectedError',
} as const;
export const NON_RETRYABLE_BILLING_WEBHOOK_ERRORS: readonly string[] = Object.freeze([BillingWebhookErrorType.Rejected]);

/** Billing could not take the event now (5xx, 408, 429, 3xx, timeout, network): retry later. */
export class BillingWebhookRetryableError extends Error {
  override readonly name = BillingWebhookErrorType.Retryable;
  readonly retryable = true;
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Billing refused the event itself (4xx): the same request will be refused again. */
export class BillingWebhookRejectedError extends Error {
  override readonly name = BillingWebhookErrorType.Rejected;
  readonly retryable = false;
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

export interface BillingWebhookOptions {
  url: string;
  secret: string;
  /** Whole request, connect to last body byte. */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  dispatcher?: Dispatcher;
}

export function signBillingBody(secret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

const RETRYABLE_4XX = new Set([408, 429]);

/** A short, single-line excerpt of billing's answer for the error message. */
async function excerpt(body: Dispatcher.ResponseData['body']): Promise<string> {
  const text = await body.text().catch(() => '');
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

export function createBillingWebhookSender({
  url,
  secret,
  timeoutMs = 10_000,
  connectTimeoutMs = 5_000,
  dispatcher,
}: BillingWebhookOptions): BillingNotifier & { close(): Promise<void> } {
  if (secret.length === 0) throw new Error('billing webhook secret must not be empty');
  const ownAgent = dispatcher ? undefined : new Agent({ connect: { timeout: connectTimeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const via = dispatcher ?? ownAgent!;

  return {
    async send(event: BillingEvent, idempotencyKey: string, signal?: AbortSignal): Promise<void> {
      const body = JSON.stringify(event);
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method: 'POST',
          dispatcher: via,
          signal: combined,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          headers: {
            'content-type': 'application/json',
            [BILLING_SIGNATURE_HEADER]: signBillingBody(secret, body),
            [BILLING_TIMESTAMP_HEADER]: String(Math.floor(Date.now() / 1000)),
            [IDEMPOTENCY_KEY_HEADER]: idempotencyKey,
            'user-agent': 'certflow-billing-webhook/1',
          },
          body,
        });
      } catch (err) {
        // The activity's own cancellation is not a delivery failure: let it through as it is.
        if (signal?.aborted) throw err;
        const why = timeout.aborted ? `timed out after ${timeoutMs} ms` : err instanceof Error ? err.message : String(err);
        throw new BillingWebhookRetryableError(`billing webhook ${event.type} for ${event.billingOrderId}: ${why}`, undefined, { cause: err });
      }
      const { statusCode } = response;
      const answer = await excerpt(response.body);
      if (statusCode >= 200 && statusCode < 300) return;
      const message = `billing webhook ${event.type} for ${event.billingOrderId}: HTTP ${statusCode}${answer ? ` ${answer}` : ''}`;
      if (statusCode >= 400 && statusCode < 500 && !RETRYABLE_4XX.has(statusCode)) throw new BillingWebhookRejectedError(message, statusCode);
      throw new BillingWebhookRetryableError(message, statusCode);
    },
    async close() {
      await ownAgent?.close();
    },
  };
}
