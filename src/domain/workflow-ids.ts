/**
 * The workflow-id scheme, in one place: an order is `order-<billingOrderId>`; its reissue and
 * revocation children hang below it (`…/reissue/<requestId>`, `…/revoke/<caOrderId>`), so an
 * operator reads the lineage from the id alone and a repeated request finds the same child.
 * Used by the workflows, the API, push routing and the tests; no zod here, so workflow code
 * imports it as a value.
 */

const ORDER_PREFIX = 'order-';

/** One workflow per billing order. */
export const orderWorkflowId = (billingOrderId: string): string => `${ORDER_PREFIX}${billingOrderId}`;

/** A reissue child: one per caller request id, so the same request twice is one reissue. */
export const reissueWorkflowId = (orderWorkflowId: string, requestId: string): string => `${orderWorkflowId}/reissue/${requestId}`;

/** A revocation child: one per CA order id (the order's own, or a certificate replaced by a reissue). */
export const revokeWorkflowId = (orderWorkflowId: string, caOrderId: string): string => `${orderWorkflowId}/revoke/${caOrderId}`;

/** A CA order bound to the order's own (WoTrus: the RSA order created with an SM2 order), followed by its own child. */
export const boundOrderWorkflowId = (orderWorkflowId: string, caOrderId: string): string => `${orderWorkflowId}/bound/${caOrderId}`;

export type ParsedWorkflowId =
  | { kind: 'order'; billingOrderId: string }
  | { kind: 'reissue'; billingOrderId: string; requestId: string }
  | { kind: 'revoke'; billingOrderId: string; caOrderId: string }
  | { kind: 'bound'; billingOrderId: string; caOrderId: string };

/** The inverse: which billing order (and which child) a workflow id belongs to; undefined for ids not of this scheme. */
export function parseWorkflowId(workflowId: string): ParsedWorkflowId | undefined {
  if (!workflowId.startsWith(ORDER_PREFIX)) return undefined;
  const [order, child, key, ...rest] = workflowId.slice(ORDER_PREFIX.length).split('/');
  if (!order || rest.length > 0) return undefined;
  if (child === undefined) return { kind: 'order', billingOrderId: order };
  if (!key) return undefined;
  if (child === 'reissue') return { kind: 'reissue', billingOrderId: order, requestId: key };
  if (child === 'revoke') return { kind: 'revoke', billingOrderId: order, caOrderId: key };
  if (child === 'bound') return { kind: 'bound', billingOrderId: order, caOrderId: key };
  return undefined;
}

/** The billing order id a workflow id belongs to (order or child). */
export const billingOrderIdOf = (workflowId: string): string | undefined => parseWorkflowId(workflowId)?.billingOrderId;
