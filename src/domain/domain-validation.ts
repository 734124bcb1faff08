import { z } from 'zod';

/**
 * Per-domain validation (docs/reseller.md): CAs that validate each name of an order by a
 * method chosen for that name — a CNAME to publish, a file to serve, or an approver
 * mailbox — and report each name's state. Declared once here: the issuer port returns it,
 * the order view shows it, billing's `order.action_required` lists it.
 */

export const DOMAIN_METHODS = ['dns', 'http', 'https', 'email'] as const;
export type DomainMethod = (typeof DOMAIN_METHODS)[number];

export const domainValidationSchema = z.object({
  /** As the CA names it (`*.example.com`, `sub.example4.com`). */
  domain: z.string(),
  /** `https`: a file fetched over https (the CA may answer a requested https with type "http" and an https url). */
  method: z.enum(DOMAIN_METHODS),
  state: z.enum(['valid', 'pending']),
  /** The CA's own word when it is neither `valid` nor `pending` (read as pending). */
  caStatus: z.string().optional(),
  /** Publish `name` as a CNAME pointing to `value`. */
  dns: z.object({ name: z.string(), type: z.literal('CNAME'), value: z.string() }).optional(),
  /** Serve `content` at `path` on the domain itself; `url` is where the CA fetches it. */
  file: z.object({ url: z.string(), path: z.string(), content: z.string() }).optional(),
  /** The CA mails `address`; `alternatives` are the addresses the customer may switch to (the CA's list, `address` included). */
  email: z.object({ address: z.string(), alternatives: z.array(z.string()) }).optional(),
});
export type DomainValidation = z.output<typeof domainValidationSchema>;

/**
 * What certflow found when it looked before the CA (dns and file methods): ready, or what
 * the customer still has to fix. E-mail is the CA's to see: never `ready` here.
 */
export const domainCheckSchema = z.object({
  domain: z.string(),
  method: z.enum(DOMAIN_METHODS),
  /** Nothing left for the customer to do as far as certflow can see. */
  ready: z.boolean(),
  /** What is wrong, for the customer: the record to publish and what was found, the file and why not. */
  problem: z.string().optional(),
});
export type DomainCheck = z.output<typeof domainCheckSchema>;

/**
 * How the customer wants one name validated: `dns`, `http`, `https`, or an approver e-mail
 * address (which means the e-mail method). The words are matched without regard to case.
 */
export const domainMethodChoiceSchema = z
  .string()
  .trim()
  .min(1)
  .max(254)
  .refine((v) => ['dns', 'http', 'https'].includes(v.toLowerCase()) || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v), 'must be dns, http, https or an approver e-mail address')
  .transform((v) => (v.includes('@') ? v.toLowerCase() : v.toLowerCase()));

/** Name → method, one method per name. */
export const domainMethodChoicesSchema = z.record(z.string().min(1).max(253), domainMethodChoiceSchema);
export type DomainMethodChoices = z.output<typeof domainMethodChoicesSchema>;
