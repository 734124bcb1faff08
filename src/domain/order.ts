import { z } from 'zod';
import { documentSchema, organizationSchema } from './documents';
import { domainMethodChoicesSchema } from './domain-validation';
import { DEFAULT_CUSTOMER_REMINDERS_MS, DEFAULT_LAST_REMINDER_BEFORE_DEADLINE_MS } from './order-states';

/**
 * The billing order as certflow accepts it: validated by every caller (API, CLI, tests)
 * before a workflow starts, and again inside the workflow's update validators. Types are
 * inferred from these schemas, never declared twice.
 */

const hostname = z
  .string()
  .max(253)
  .regex(/^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/, 'must be a DNS host name (wildcard only as the leftmost label)');

export const billingOrderIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'must be 1-64 characters of letters, digits, . _ : - starting with a letter or digit');

export const productIdSchema = z
  .string()
  .regex(/^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/, 'must be a product GUID')
  .transform((s) => s.toUpperCase());

export const csrPemSchema = z
  .string()
  .max(16_384, 'must be at most 16 KiB')
  .regex(/-----BEGIN (NEW )?CERTIFICATE REQUEST-----[\s\S]+-----END (NEW )?CERTIFICATE REQUEST-----/, 'must be a PEM certificate signing request');

export const monthSchema = z.union([z.literal(12), z.literal(13), z.literal(24), z.literal(25)], {
  error: 'must be 12 or 24, or 13 or 25 for a renewal',
});

export const contactSchema = z.object({
  email: z.email(),
  name: z.string().max(200).optional(),
}).strict();

export const orderRequestSchema = z
  .object({
    billingOrderId: billingOrderIdSchema,
    productId: productIdSchema,
    commonName: z.string().min(1).max(200),
    hosts: z.array(hostname).max(100).optional(),
    csr: csrPemSchema,
    month: monthSchema,
    /** A renewal (month 13 or 25) names the billing order it renews. */
    renewsBillingOrderId: billingOrderIdSchema.optional(),
    organization: organizationSchema.optional(),
    documents: z.array(documentSchema).max(10).optional(),
    contact: contactSchema.optional(),
    /**
     * Document-signing products: the password of the USB key (uKey) the CA ships. A secret:
     * it travels only inside the encrypted workflow input and to the CA, never into a log,
     * the order view or the CLI's output.
     */
    uKeyPassword: z.string().min(1).max(64).optional(),
    /** Document-signing products: where the CA ships the USB key (personal data). */
    uKeyShipAddress: z.string().trim().min(1).max(500).optional(),
    /** SM2 (国密) products: the encryption CSR; `csr` is then the signing CSR. */
    csrEncrypt: csrPemSchema.optional(),
    /** SM2 products: an RSA SSL product ordered with it (its certificate is a CA order of its own). */
    bindRsaProductId: productIdSchema.optional(),
    /** SM2 products: the CSR of the bound RSA product's certificate. */
    csrRsa: csrPemSchema.optional(),
    /**
     * Products whose CA validates per name (the reseller platform): how each name is to be
     * validated — dns, http, https, or an approver e-mail address. Names left out: dns.
     */
    domainValidation: domainMethodChoicesSchema.optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.bindRsaProductId && !o.csrRsa) ctx.addIssue({ code: 'custom', path: ['csrRsa'], message: 'required when bindRsaProductId is given (the bound RSA certificate needs its own CSR)' });
    if (o.csrRsa && !o.bindRsaProductId) ctx.addIssue({ code: 'custom', path: ['bindRsaProductId'], message: 'required when csrRsa is given (names the RSA product the CSR is for)' });
    const renewal = o.month === 13 || o.month === 25;
    if (renewal && !o.renewsBillingOrderId) ctx.addIssue({ code: 'custom', path: ['renewsBillingOrderId'], message: 'required when month is 13 or 25 (a renewal)' });
    if (!renewal && o.renewsBillingOrderId) ctx.addIssue({ code: 'custom', path: ['month'], message: 'must be 13 or 25 when renewsBillingOrderId is given' });
  });

export type OrderRequest = z.output<typeof orderRequestSchema>;
export type OrderRequestInput = z.input<typeof orderRequestSchema>;

const duration = z.number().int().min(1);

/**
 * Timing and behaviour per product, resolved by the caller from configuration so workflow
 * code stays free of configuration look-ups. Durations in milliseconds.
 */
export const orderPolicySchema = z.object({
  pollInitialMs: duration.default(60_000),
  pollMaxMs: duration.default(3_600_000),
  pollFactor: z.number().min(1).max(10).default(2),
  validationDeadlineMs: duration.default(30 * 86_400_000),
  issuanceDeadlineMs: duration.default(30 * 86_400_000),
  revocationDeadlineMs: duration.default(30 * 86_400_000),
  renewalLeadMs: duration.default(30 * 86_400_000),
  /** While the customer must act (domain validation, documents): reminders this long after the first `order.action_required`. */
  customerRemindersMs: z.array(duration).max(20).default([...DEFAULT_CUSTOMER_REMINDERS_MS]),
  /** …and one more this long before the deadline; 0: none. */
  customerLastReminderBeforeDeadlineMs: z.number().int().min(0).default(DEFAULT_LAST_REMINDER_BEFORE_DEADLINE_MS),
  /** While needsAttention (auth failure, persistent protocol errors): retry this often. */
  attentionRetryMs: duration.default(3_600_000),
  /** Revoke the replaced certificate after a reissue when the CA does not do it itself. */
  revokeReplacedCertificate: z.boolean().default(true),
  /** Products whose CA revokes the replaced certificate itself (SM2, Sectigo). */
  caRevokesReplaced: z.boolean().default(false),
  sendCaEmail: z.boolean().default(true),
  /** SSL products carry DNS names in subjectAltName; document-signing products do not. */
  expectDnsNames: z.boolean().default(true),
  /** Continue-as-new after this many history events even if the SDK has not suggested it. */
  maxHistoryEvents: duration.default(10_000),
});
export type OrderPolicy = z.output<typeof orderPolicySchema>;
export type OrderPolicyInput = z.input<typeof orderPolicySchema>;
