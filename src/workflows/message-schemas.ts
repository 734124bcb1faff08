/**
 * The zod schemas of the update inputs (cancel, reissue, revoke) and of their answer: the API
 * validates request bodies and serialises answers with them, and the workflow's update
 * validators parse with them too, so a message is checked by one rule wherever it comes from
 * (API, CLI, Temporal CLI or Web UI).
 *
 * Workflow code must not import this module eagerly (lint rule): evaluating zod in every
 * workflow context cost ~1.3 MiB of heap per cached workflow. Validators load it on first
 * use through `messageSchemas()` (./parse-message.ts); the types are imported as types only.
 */
import { z } from 'zod';
import { proofSchema } from '../domain/documents';
import { domainMethodChoicesSchema } from '../domain/domain-validation';
import { csrPemSchema } from '../domain/order';
import { ORDER_STATES } from '../domain/order-states';

export const cancelInputSchema = z.object({ reason: z.string().min(1).max(500) }).strict();
export type CancelInput = z.infer<typeof cancelInputSchema>;

export const reissueInputSchema = z
  .object({
    /**
     * The new key's CSR: for SM2 products the signing CSR. May be left out only at CAs that
     * validate per name (`domainValidation`), when the reissue changes names or methods and
     * keeps the key.
     */
    csr: csrPemSchema.optional(),
    /** SM2 products: the encryption certificate's CSR (the CA refuses an SM2 reissue without it). */
    csrEncrypt: csrPemSchema.optional(),
    reason: z.string().min(1).max(500),
    /** Caller's idempotency key: the same key twice is one reissue. */
    requestId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1-64 characters of letters, digits, . _ : -'),
    /** The customer's signed request on the CA's template: required for products whose CA revokes the replaced certificate (SM2, Sectigo), and for `revokeReplaced`. */
    proof: proofSchema.optional(),
    /**
     * Revoke the replaced certificate once the new one is delivered, with `proof`. Only for
     * products whose CA leaves it valid (all but SM2 and Sectigo); without it the replaced
     * certificate stays valid until it expires.
     */
    revokeReplaced: z.boolean().optional(),
    /**
     * CAs that validate per name: every name the new certificate is to cover, each with its
     * method (dns, http, https, or an approver address). A name of the current certificate
     * left out is dropped — and the CA then revokes the current certificate.
     */
    domainValidation: domainMethodChoicesSchema.optional(),
    /**
     * The names this reissue drops, repeated as a confirmation: dropping or replacing a name
     * revokes the current certificate at once, so a reissue that drops any is refused unless
     * this lists exactly those.
     */
    confirmDroppedDomains: z.array(z.string().min(1).max(253)).max(100).optional(),
    /** Passed on to CAs that mark a reissue on renewal (the reseller platform's `renew`). */
    renew: z.boolean().optional(),
  })
  .strict()
  .refine((r) => r.csr !== undefined || r.domainValidation !== undefined, { path: ['csr'], message: 'required unless domainValidation is given (a reissue changes the key, or the names and their validation methods)' })
  .refine((r) => !r.revokeReplaced || r.proof !== undefined, { path: ['proof'], message: 'required when revokeReplaced is true: the CA revokes only on a signed request' });
export type ReissueInput = z.infer<typeof reissueInputSchema>;

export const revokeInputSchema = z
  .object({
    reason: z.string().min(1).max(500),
    proof: proofSchema,
  })
  .strict();
export type RevokeInput = z.infer<typeof revokeInputSchema>;

/**
 * An operator's request to have the CA e-mail the customer again (after `unconfirmed` or
 * `failed`, or on the customer's request). The e-mail has no idempotency key at the CA: the
 * request id makes a retried request one e-mail.
 */
export const resendCustomerEmailInputSchema = z
  .object({
    requestId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1-64 characters of letters, digits, . _ : -').optional(),
    reason: z.string().min(1).max(500).optional(),
  })
  .strict();
export type ResendCustomerEmailInput = z.infer<typeof resendCustomerEmailInputSchema>;

/**
 * An operator's decision on a create whose answer was lost (CaOutcomeUnknownError) at a CA
 * without an idempotency key: either the CA order found at the CA (ACMAPI: its handle_id),
 * or the confirmation that the CA made none, so certflow may create it again.
 */
export const resolveCreateInputSchema = z
  .object({
    caOrderId: z.string().trim().min(1).max(200).optional(),
    createAgain: z.literal(true).optional(),
    reason: z.string().min(1).max(500),
  })
  .strict()
  .refine((r) => (r.caOrderId === undefined) !== (r.createAgain === undefined), { path: ['caOrderId'], message: 'give exactly one of caOrderId (the CA order found at the CA) and createAgain (the CA made none)' });
export type ResolveCreateInput = z.infer<typeof resolveCreateInputSchema>;

/** What an accepted update answers (a refused one fails with UPDATE_REJECTED). */
export const updateAnswerSchema = z.object({
  accepted: z.literal(true),
  state: z.enum(ORDER_STATES),
  message: z.string(),
  caOrderId: z.string().optional(),
});
export type UpdateAnswer = z.output<typeof updateAnswerSchema>;
