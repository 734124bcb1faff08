import { z } from 'zod';
import { billingOrderIdSchema } from '../domain/order';

/**
 * The API's own request and response shapes. What the workflow answers (the order view, the
 * certificate bundle, an update's answer) is declared once, in src/domain and the workflow's
 * message schemas, and re-exported here for the routes.
 */
export { certificateBundleSchema } from '../domain/certificate';
export { orderViewSchema } from '../domain/order-view';
export { updateAnswerSchema } from '../workflows/message-schemas';

export const billingOrderIdParamsSchema = z.object({ billingOrderId: billingOrderIdSchema }).strict();

const link = z.string().describe('path, or absolute URL when PUBLIC_BASE_URL is set');

export const orderLinksSchema = z.object({
  self: link,
  certificate: link,
  cancel: link,
  reissue: link,
  revoke: link,
  retry: link,
});

export const placeOrderAnswerSchema = z.object({
  billingOrderId: z.string(),
  workflowId: z.string(),
  created: z.boolean().describe('false when this billing order id was already placed with the same body'),
  links: orderLinksSchema,
});

export const certificateQuerySchema = z
  .object({
    format: z.enum(['json', 'pem']).optional().describe('pem: leaf then chain, as one PEM file'),
    sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be the signature of an e-mailed collect link').optional().describe('signature of the collect link the CA e-mails the customer (instead of an API key)'),
  })
  .strict();

export const pushAnswerSchema = z.object({
  received: z.literal(true),
  action: z.enum(['signalled', 'duplicate', 'ignored']),
  workflows: z.number().int().describe('workflows signalled by this push'),
});

/** For the OpenAPI document only: the route reads the raw body, verifies it, then parses it tolerantly. */
export const pushBodyDocSchema = z
  .looseObject({
    dataAction: z.string().describe('"order" for an order status push; other actions are acknowledged and ignored'),
    orderId: z.string().describe('the CA order id (orderID is accepted too)'),
    isIssued: z.boolean().optional(),
    isRevoked: z.boolean().optional(),
  })
  .describe('Signed with x-wotrus-signature: sha256=<hex HMAC-SHA256(CA_PUSH_SECRET, raw body)>');
