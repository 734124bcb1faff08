import { z } from 'zod';
import { certificateMetaSchema } from './certificate';
import { domainValidationSchema } from './domain-validation';
import { CUSTOMER_TASKS, ORDER_STATES } from './order-states';

/**
 * The order as the workflow shows it (the `getOrder` query, the API, the CLI): declared once
 * here with its type inferred. Workflow code imports the types only (zod stays out of the
 * workflow sandbox); the API serialises with the schema.
 */

/** A machine reason and a human message, as cert-manager conditions carry. */
export const conditionSchema = z.object({
  state: z.enum(ORDER_STATES),
  reason: z.string().describe('machine reason, e.g. DomainValidationPending'),
  message: z.string().describe('what a human should know'),
  at: z.string().describe('ISO time of the transition'),
});
export type Condition = z.output<typeof conditionSchema>;

export const customerActionSchema = z.object({
  link: z.string().optional().describe("the CA's page where the customer acts (WoTrus pendingLink)"),
  expected: z.array(z.enum(CUSTOMER_TASKS)).describe('what the customer has to do'),
  since: z.string().describe('when the order started waiting for the customer'),
  deadline: z.string().describe('when the order is cancelled if the customer has not acted'),
  reminders: z.number().describe('reminders sent after the first order.action_required'),
  nextReminderAt: z.string().optional(),
  /** Per-name validation: what was still wrong when billing was told (a change is told anew). */
  about: z.string().optional(),
});
export type CustomerAction = z.output<typeof customerActionSchema>;

/** One domain's validation file as certflow found it over one scheme. */
const fileFetchSchema = z.object({
  url: z.string(),
  ok: z.boolean(),
  problem: z.string().optional().describe('why not, for the customer: HTTP 404, the content differs, no answer within 10 s, …'),
  finalUrl: z.string().optional().describe('where redirects ended'),
});

/**
 * Issuers that validate while creating (ACMAPI): certflow's own check of every domain's file
 * before the CA is asked, so the customer learns which domain is not ready and why.
 */
export const domainFilesViewSchema = z.object({
  path: z.string().describe('where the file must be on every domain'),
  checkedAt: z.string(),
  domains: z.array(z.object({ domain: z.string(), ready: z.boolean(), http: fileFetchSchema, https: fileFetchSchema })),
  /** The domain the CA itself could not validate at the last create (ACMAPI 107), though certflow may read it. */
  caFailedDomain: z.string().optional(),
});
export type DomainFilesView = z.output<typeof domainFilesViewSchema>;

/**
 * One name of an order whose CA validates per name (issuer capability `domainValidation`):
 * what the CA said of it at the last status read, and what certflow found when it looked
 * itself (dns and file methods) — so the customer sees exactly what to publish and what is
 * still wrong, before the CA is asked to look again.
 */
export const domainStatusSchema = domainValidationSchema.extend({
  check: z
    .object({
      ready: z.boolean(),
      problem: z.string().optional().describe('what is still wrong: no record, points elsewhere, the file differs, a redirect to another host, no answer'),
      checkedAt: z.string(),
    })
    .optional()
    .describe("certflow's own look, for pending dns and file names"),
});
export type DomainStatus = z.output<typeof domainStatusSchema>;

export const caViewSchema = z.object({
  /** The issuer serving the order (products file), absent for orders placed before issuers had ids. */
  issuer: z.string().optional(),
  orderId: z.string().optional(),
  orderIdRsa: z.string().optional(),
  status: z.string().optional().describe("the CA's own status word"),
  pendingLink: z.string().optional(),
  /** Set while only the customer can move the order on (validation, documents): what billing was told. */
  customerAction: customerActionSchema.optional(),
  domainFiles: domainFilesViewSchema.optional(),
  /** Issuers that validate per name: each name's method, state, what to publish, and certflow's own check. */
  domains: z.array(domainStatusSchema).optional(),
  /** What the CA charged for this CA order, where it says (the reseller platform's `cost`). */
  cost: z.number().optional(),
  payment: z.enum(['unpaid', 'paid', 'payLater']).optional(),
  lastCheckedAt: z.string().optional(),
  nextCheckAt: z.string().optional(),
  checks: z.number(),
});
export type CaView = z.output<typeof caViewSchema>;

export const reissueRecordSchema = z.object({
  id: z.string(),
  reason: z.string(),
  requestedAt: z.string(),
  caOrderId: z.string().optional(),
  status: z.enum(['running', 'completed', 'failed']),
  message: z.string().optional(),
  serialNumber: z.string().optional(),
});
export type ReissueRecord = z.output<typeof reissueRecordSchema>;

export const revocationRecordSchema = z.object({
  caOrderId: z.string(),
  serialNumber: z.string().optional(),
  reason: z.string(),
  requestedAt: z.string(),
  status: z.enum(['running', 'revoked', 'failed']),
  completedAt: z.string().optional(),
  /** Revocation of the whole order, or of a certificate replaced by a reissue. */
  scope: z.enum(['order', 'replaced']),
});
export type RevocationRecord = z.output<typeof revocationRecordSchema>;

/**
 * What any certflow workflow that waits on a CA order shows (the order, a reissue child):
 * its condition and timeline, the CA side, the CA order ids it follows.
 */
export const trackedViewSchema = z.object({
  workflowId: z.string(),
  condition: conditionSchema,
  ca: caViewSchema,
  certificate: certificateMetaSchema.optional(),
  lineage: z.object({
    /** Every CA order id this workflow has used, original first. */
    caOrderIds: z.array(z.string()),
  }),
  timeline: z.array(conditionSchema),
});
export type TrackedView = z.output<typeof trackedViewSchema>;

/** A reissue child's view (query `getReissue`): which CA order it replaces, and its own progress. */
export const reissueViewSchema = trackedViewSchema.extend({
  billingOrderId: z.string(),
  replacesCaOrderId: z.string(),
});
export type ReissueView = z.output<typeof reissueViewSchema>;

/**
 * One request for the CA's e-mail to the customer (delivery, or an operator's resend). The
 * e-mail has no idempotency key, so a lost answer is never retried: `unconfirmed` means the
 * CA may or may not have sent it, and only an operator decides to resend. A certificate's
 * status is that of its newest record.
 */
export const caEmailRecordSchema = z.object({
  serialNumber: z.string(),
  status: z.enum(['sent', 'unconfirmed', 'failed']).describe('sent: the CA confirmed; unconfirmed: the answer was lost, the customer may or may not have it; failed: the CA sent nothing'),
  trigger: z.enum(['delivery', 'resend']),
  at: z.string().describe('ISO time the outcome was recorded'),
  message: z.string().optional().describe('why unconfirmed or failed'),
  /** The CA call's RequestID when the answer was lost, to find the CA's log line. */
  caRequestId: z.string().optional(),
  /** The operator's idempotency key and reason, for a resend. */
  requestId: z.string().optional(),
  reason: z.string().optional(),
});
export type CaEmailRecord = z.output<typeof caEmailRecordSchema>;

/** A bound CA order's child (query `getBoundOrder`): the order it belongs to, and its own progress. */
export const boundOrderViewSchema = trackedViewSchema.extend({
  billingOrderId: z.string(),
  boundToCaOrderId: z.string(),
});
export type BoundOrderView = z.output<typeof boundOrderViewSchema>;

/** The bound CA order as the order shows it. */
export const boundOrderSchema = z.object({
  caOrderId: z.string(),
  status: z.enum(['waiting', 'delivered', 'failed']),
  message: z.string().optional(),
  certificate: certificateMetaSchema.optional(),
});
export type BoundOrder = z.output<typeof boundOrderSchema>;

export const orderViewSchema = z
  .object({
    workflowId: z.string(),
    billingOrderId: z.string(),
    productId: z.string(),
    commonName: z.string(),
    /** The order's other host names (SSL products): a reissue's CSR must cover them too. */
    hosts: z.array(z.string()).optional(),
    condition: conditionSchema,
    ca: caViewSchema,
    certificate: certificateMetaSchema.optional(),
    /** WoTrus SM2 orders with a bound RSA product: the RSA certificate's own CA order. */
    boundRsa: boundOrderSchema.optional(),
    lineage: z.object({
      renews: z.string().optional(),
      /** Every CA order id this billing order has used, original first. */
      caOrderIds: z.array(z.string()),
      reissues: z.array(reissueRecordSchema),
      revocations: z.array(revocationRecordSchema),
      replacedCertificates: z.array(certificateMetaSchema),
    }),
    timeline: z.array(conditionSchema),
    /** Serial numbers the CA e-mail was asked for and the renewal reminder sent for. */
    notifications: z.object({
      caEmailFor: z.array(z.string()),
      renewalReminderFor: z.array(z.string()),
      /** How each request for the CA e-mail went, oldest first; absent before at-most-once delivery. */
      caEmails: z.array(caEmailRecordSchema).optional(),
    }),
    continuedAsNew: z.number(),
  })
  .meta({ id: 'OrderView' });
export type OrderView = z.output<typeof orderViewSchema>;
