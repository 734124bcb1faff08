import { z } from 'zod';
import { domainMethodChoicesSchema } from '../domain/domain-validation';
import { ORDER_STATES } from '../domain/order-states';
import { reissueInputSchema } from '../workflows/message-schemas';

/**
 * Shapes the order service takes and gives beyond the workflow's own messages. The API uses
 * them as route schemas too, so the OpenAPI document and the service cannot disagree.
 */

export const PAGE_SIZE_DEFAULT = 20;
export const PAGE_SIZE_MAX = 100;

const hasControlCharacter = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

export const listOrdersQuerySchema = z
  .object({
    status: z.enum(ORDER_STATES).optional(),
    commonName: z.string().min(1).max(253).refine((s) => !hasControlCharacter(s), 'must not contain control characters').optional(),
    pageSize: z.coerce.number().int().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
    pageToken: z
      .string()
      .max(4096)
      .regex(/^[A-Za-z0-9_-]+$/, 'must be the nextPageToken of a previous answer')
      .optional(),
  })
  .strict();
export type ListOrdersQuery = z.output<typeof listOrdersQuerySchema>;

/** One row of a listing, read from search attributes alone (no query per row). */
export const orderSummarySchema = z.object({
  workflowId: z.string(),
  billingOrderId: z.string(),
  /** A string rather than the enum so that a newer workflow's state cannot break listing. */
  status: z.string().optional().describe(`the order state: ${ORDER_STATES.join(', ')}`),
  commonName: z.string().optional(),
  productId: z.string().optional(),
  notAfter: z.string().optional().describe('expiry of the current certificate (ISO 8601)'),
  startTime: z.string(),
  closeTime: z.string().optional(),
  runStatus: z.string().describe('the Temporal execution status, e.g. RUNNING or COMPLETED'),
});
export type OrderSummary = z.output<typeof orderSummarySchema>;

export const orderPageSchema = z.object({
  orders: z.array(orderSummarySchema),
  nextPageToken: z.string().optional(),
});
export type OrderPage = z.output<typeof orderPageSchema>;

export const placeOrderResultSchema = z.object({
  workflowId: z.string(),
  runId: z.string(),
  /** False when this billing order id had already been placed with the same body. */
  created: z.boolean(),
});
export type PlaceOrderResult = z.output<typeof placeOrderResultSchema>;

/**
 * `POST /v1/orders/{id}/domain-validation`: switch some names' validation methods (CAs that
 * validate per name). Only the names that change are given; the order service adds every
 * other name of the order with its current method and asks the order for a reissue with the
 * full set (`reissueInputSchema.domainValidation`), so the reissue's rules apply as they are.
 */
export const switchDomainValidationInputSchema = z
  .object({
    /** The reissue's idempotency key: the same id twice is one reissue. */
    requestId: reissueInputSchema.shape.requestId,
    methods: domainMethodChoicesSchema
      .refine((m) => Object.keys(m).length > 0, 'must name at least one of the order\'s names')
      .refine((m) => Object.keys(m).length <= 100, 'must name at most 100 names')
      .describe('name → dns, http, https, or an approver e-mail address (the e-mail method); the names given must be names of the order, the others keep their methods'),
    reason: z.string().min(1).max(500).optional().describe('kept in the reissue record; default "switch validation method"'),
    confirmDroppedDomains: reissueInputSchema.shape.confirmDroppedDomains.describe('as for a reissue; a switch keeps every name, so absent or empty'),
    renew: reissueInputSchema.shape.renew.describe('passed on to CAs that mark a reissue on renewal'),
  })
  .strict()
  .meta({ id: 'SwitchDomainValidation' });
export type SwitchDomainValidationInput = z.output<typeof switchDomainValidationInputSchema>;
