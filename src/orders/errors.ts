import type { FieldIssue } from '../lib/field-issue';

/**
 * What the order service can answer besides success. The API maps each class to one HTTP
 * status (see api/problems.ts) and the CLI maps those to exit codes, so the classes, not
 * message texts, are the contract.
 */

export class OrderNotFoundError extends Error {
  override readonly name = 'OrderNotFoundError';
  constructor(readonly billingOrderId: string) {
    super(`No order with billing order id ${billingOrderId}.`);
  }
}

/** The order names a product the products file does not list (PRODUCTS_FILE). */
export class UnknownProductError extends Error {
  override readonly name = 'UnknownProductError';
  constructor(readonly productId: string) {
    super(`Product ${productId} is not one this service sells (not in its products file).`);
  }
}

/** The billing order id is taken by an order placed with a different body. */
export class OrderConflictError extends Error {
  override readonly name = 'OrderConflictError';
  constructor(
    readonly billingOrderId: string,
    readonly workflowId: string,
  ) {
    super(`Billing order ${billingOrderId} was already placed with a different body; a billing order id names one order.`);
  }
}

/** The workflow refused an update (its reason is the message), or the order has ended. */
export class OrderRejectedError extends Error {
  override readonly name = 'OrderRejectedError';
  constructor(
    message: string,
    readonly billingOrderId: string,
    /** The failure type the workflow raised, e.g. UpdateRejected. */
    readonly failureType?: string,
  ) {
    super(message);
  }
}

/** Temporal (or every worker able to answer a query) could not be reached in time. */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class InvalidPageTokenError extends Error {
  override readonly name = 'InvalidPageTokenError';
  constructor(reason: string) {
    super(`pageToken ${reason}; pass the nextPageToken of a previous answer with the same filters.`);
  }
}

/** Temporal refused the workflow input as too large (its per-payload blob limit). */
export class OrderTooLargeError extends Error {
  override readonly name = 'OrderTooLargeError';
  constructor(options?: { cause?: unknown }) {
    super('The order is larger than Temporal accepts as workflow input; send smaller documents.', options);
  }
}

/** A field of the order request and the rule it breaks; the path is relative to the request. */
/** Re-exported: the order door's callers know it from here. */
export type { FieldIssue };

/**
 * The order is well-formed but does not fit its product: a CSR that does not cover its hosts
 * or that the CA would refuse, fields the product kind does not take. Refused before anything
 * reaches Temporal or the CA.
 */
export class InvalidOrderError extends Error {
  override readonly name = 'InvalidOrderError';
  constructor(readonly issues: readonly FieldIssue[]) {
    super(`The order does not fit its product: ${issues.map((i) => `${i.path.join('.')} ${i.rule}`).join('; ')}`);
  }
}
