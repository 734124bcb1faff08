import { z } from 'zod';
import { billingOrderIdSchema } from '../domain/order';
import {
  type CertificateBundle,
  type OrderView,
  type UpdateAnswer,
  ORDER_STATES,
} from '../workflows/definitions';

/**
 * Response schemas for what the workflow answers. The workflow declares these shapes as
 * TypeScript interfaces (workflow code stays free of zod at run time), so the zod mirrors
 * here are checked against them at compile time both ways: a field added or changed on
 * either side breaks the build instead of being silently dropped by the serializer.
 */

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape = <_T extends true>(): void => undefined;

const conditionSchema = z.object({
  state: z.enum(ORDER_STATES),
  reason: z.string().describe('machine reason, e.g. WaitingForValidation'),
  message: z.string().describe('what a human should know'),
  at: z.string().describe('ISO time of the transition'),
});

const certificateMetaSchema = z.object({
  caOrderId: z.string(),
  serialNumber: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  sha256Fingerprint: z.string(),
  subject: z.string(),
  issuer: z.string(),
  sans: z.array(z.string()),
});

const caViewSchema = z.object({
  orderId: z.string().optional(),
  orderIdRsa: z.string().optional(),
  status: z.string().optional(),
  pendingLink: z.string().optional(),
  isPay: z.number().optional(),
  lastCheckedAt: z.string().optional(),
  nextCheckAt: z.string().optional(),
  checks: z.number(),
});

const reissueRecordSchema = z.object({
  id: z.string(),
  reason: z.string(),
  requestedAt: z.string(),
  caOrderId: z.string().optional(),
  status: z.enum(['running', 'completed', 'failed']),
  message: z.string().optional(),
  serialNumber: z.string().optional(),
});

const revocationRecordSchema = z.object({
  caOrderId: z.string(),
  serialNumber: z.string().optional(),
  reason: z.string(),
  requestedAt: z.string(),
  status: z.enum(['running', 'revoked', 'failed']),
  completedAt: z.string().optional(),
  scope: z.enum(['order', 'replaced']),
});

export const orderViewSchema = z
  .object({
    workflowId: z.string(),
    billingOrderId: z.string(),
    productId: z.string(),
    commonName: z.string(),
    condition: conditionSchema,
    ca: caViewSchema,
    certificate: certificateMetaSchema.optional(),
    lineage: z.object({
      renews: z.string().optional(),
      caOrderIds: z.array(z.string()),
      reissues: z.array(reissueRecordSchema),
      revocations: z.array(revocationRecordSchema),
      replacedCertificates: z.array(certificateMetaSchema),
    }),
    timeline: z.array(conditionSchema),
    notifications: z.object({
      caEmailFor: z.array(z.string()),
      billingEvents: z.array(z.string()),
      renewalReminderFor: z.array(z.string()),
    }),
    continuedAsNew: z.number(),
  })
  .meta({ id: 'OrderView' });
sameShape<Same<z.output<typeof orderViewSchema>, OrderView>>();

export const certificateBundleSchema = z
  .object({
    caOrderId: z.string(),
    leafPem: z.string(),
    chainPems: z.array(z.string()).describe('intermediate(s) then root'),
    encryptionLeafPem: z.string().optional(),
  })
  .meta({ id: 'CertificateBundle' });
sameShape<Same<z.output<typeof certificateBundleSchema>, CertificateBundle>>();

export const updateAnswerSchema = z.object({
  accepted: z.literal(true),
  state: z.enum(ORDER_STATES),
  message: z.string(),
  caOrderId: z.string().optional(),
});
sameShape<Same<z.output<typeof updateAnswerSchema>, UpdateAnswer>>();

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
