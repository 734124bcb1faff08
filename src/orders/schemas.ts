import { z } from 'zod';
import { ORDER_STATES } from '../domain/order-states';

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
