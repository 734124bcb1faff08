import { createHash } from 'node:crypto';
import { orderWorkflow } from '../workflows/order/workflow';
import { InvalidPageTokenError } from './errors';

/** Workflow type name of an order, as registered by the worker (the function's name). */
export const ORDER_WORKFLOW_TYPE = orderWorkflow.name;

/**
 * A string literal of Temporal's SQL-like visibility query language. Its tokenizer reads
 * backslash escapes, so escaping backslash and quote is enough to keep any value a value.
 */
export function quoteValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function ordersQuery(filter: { status?: string; commonName?: string }): string {
  const clauses = [`WorkflowType = ${quoteValue(ORDER_WORKFLOW_TYPE)}`];
  if (filter.status !== undefined) clauses.push(`OrderStatus = ${quoteValue(filter.status)}`);
  if (filter.commonName !== undefined) clauses.push(`CommonName = ${quoteValue(filter.commonName)}`);
  return clauses.join(' AND ');
}

/** Running orders in one state on one task queue (a deployment counts its own orders in a shared namespace). */
export function openOrdersQuery(state: string, taskQueue: string): string {
  return `${ordersQuery({ status: state })} AND TaskQueue = ${quoteValue(taskQueue)} AND ExecutionStatus = 'Running'`;
}

/**
 * Every running workflow that waits on this CA order id: the order itself, and the reissue
 * or revocation child that owns a newer CA order of the lineage.
 */
export function caOrderQuery(caOrderId: string): string {
  return `CaOrderId = ${quoteValue(caOrderId)} AND ExecutionStatus = 'Running'`;
}

/** The same for several CA order ids at once (the push receiver batches its look-ups). */
export function caOrdersQuery(caOrderIds: readonly string[]): string {
  return `CaOrderId IN (${caOrderIds.map(quoteValue).join(', ')}) AND ExecutionStatus = 'Running'`;
}

const FILTER_TAG_BYTES = 8;

function filterTag(query: string): Buffer {
  return createHash('sha256').update(query).digest().subarray(0, FILTER_TAG_BYTES);
}

/**
 * Page tokens are the server's token prefixed with a tag of the query it belongs to, so a
 * token replayed with other filters is refused instead of silently paging the wrong list.
 */
export function encodePageToken(serverToken: Uint8Array | null | undefined, query: string): string | undefined {
  if (!serverToken || serverToken.length === 0) return undefined;
  return Buffer.concat([filterTag(query), Buffer.from(serverToken)]).toString('base64url');
}

export function decodePageToken(token: string, query: string): Buffer {
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length <= FILTER_TAG_BYTES || bytes.toString('base64url') !== token) {
    throw new InvalidPageTokenError('is not a page token');
  }
  if (!bytes.subarray(0, FILTER_TAG_BYTES).equals(filterTag(query))) {
    throw new InvalidPageTokenError('belongs to a listing with other filters');
  }
  return bytes.subarray(FILTER_TAG_BYTES);
}
