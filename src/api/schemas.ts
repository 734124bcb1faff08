import { z } from 'zod';
import { CERTIFICATE_PARTS } from '../domain/certificate';
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
    part: z
      .enum(CERTIFICATE_PARTS)
      .optional()
      .describe('with PEM: which certificate (default signing, the order\'s own). SM2 orders: encryption is the encryption certificate; with a bound RSA product, rsa is its certificate'),
    sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be the signature of an e-mailed collect link').optional().describe('signature of the collect link the CA e-mails the customer (instead of an API key)'),
  })
  .strict();

export const pushAnswerSchema = z.object({
  received: z.literal(true),
  action: z
    .enum(['signalled', 'deferred', 'throttled', 'ignored'])
    .describe('signalled: delivered now; deferred: within the order\'s window, delivered once at its end; throttled: over the global budget, not acted on (the poll covers it); ignored: not an order push'),
  workflows: z.number().int().describe('workflows signalled by this push'),
});

/** Why a push was not acted on; each is counted and logged at warn (rate-limited), never with the body. */
export const PUSH_REFUSALS = ['signature', 'source', 'unreadable', 'over-budget', 'unknown-order'] as const;
export type PushRefusal = (typeof PUSH_REFUSALS)[number];

const count = z.number().int().min(0);

/** `GET /v1/ca/wotrus/push/stats`: the receiver's counters since the process started. */
export const pushStatsSchema = z.object({
  since: z.string().describe('when this process started counting'),
  settings: z.object({
    verify: z.enum(['none', 'hmac']),
    allowFrom: z.number().int().describe('networks in CA_PUSH_ALLOW_FROM (0: any source)'),
    windowMs: count,
    ratePerSec: z.number(),
    burst: count,
  }),
  received: count.describe('order pushes read (after verification)'),
  signalled: count.describe('pushes delivered to at least one workflow at once'),
  deferred: count.describe('pushes kept for their window\'s trailing delivery'),
  trailingDelivered: count.describe('trailing deliveries that reached an order'),
  ignored: count.describe('pushes of another dataAction'),
  refused: z.object(Object.fromEntries(PUSH_REFUSALS.map((r) => [r, count])) as Record<PushRefusal, typeof count>),
  failed: count.describe('pushes answered 5xx (Temporal unavailable); the CA retries'),
  lookUps: count.describe('visibility look-ups of CA order ids (route and follow-up)'),
  cache: z.object({ hits: count, negativeHits: count, invalidated: count, entries: count, negativeEntries: count }),
  followUp: z.object({ held: count, delivered: count, expired: count, refused: count, skipped: count, pending: count.describe('pushes held right now, waiting for their next look-up') }),
  budgetAvailable: z.number().describe('tokens left in the global budget now'),
});
export type PushStats = z.infer<typeof pushStatsSchema>;

/** For the OpenAPI document only: the route reads the raw body, verifies it (when configured), then parses it tolerantly. */
export const pushBodyDocSchema = z
  .looseObject({
    dataAction: z.string().describe('"order" for an order status push; other actions are acknowledged and ignored'),
    orderId: z.string().describe('the CA order id (orderID is accepted too)'),
    isIssued: z.boolean().optional(),
    isRevoked: z.boolean().optional(),
  })
  .describe('As the WoTrus document shows it, unsigned. With CA_PUSH_VERIFY=hmac: x-wotrus-signature: sha256=<hex HMAC-SHA256(CA_PUSH_SECRET, raw body)>');
