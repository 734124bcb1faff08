import { z } from 'zod';

/**
 * The organisation and document shapes an order and its messages carry, declared once:
 * the API validates with them, the workflow's update validators parse with them, and the
 * CA port takes their inferred types.
 */

/**
 * Base64 by pattern: zod's z.base64() relies on atob, which Temporal's workflow sandbox does
 * not provide, and these schemas also run in update validators.
 */
export const base64Schema = z
  .string()
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64 (standard alphabet, padded)');

export const organizationSchema = z.object({
  orgName: z.string().min(1).max(200),
  countryCode: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter country code such as CN or US'),
  businessCategory: z.enum(['Business Entity', 'Private Organization', 'Government Entity', 'Non-Commercial Entity']).optional(),
  orgPhone: z.string().max(40).optional(),
  orgEmail: z.email().optional(),
  userFirstName: z.string().max(100).optional(),
  userLastName: z.string().max(100).optional(),
  userEmail: z.email().optional(),
  userMobile: z.string().max(40).optional(),
  idCardNo: z.string().max(40).optional(),
  state: z.string().max(100).optional(),
  city: z.string().max(100).optional(),
  street: z.string().max(300).optional(),
  zip: z.string().max(20).optional(),
  businessLicense: z.string().max(60).optional(),
  otherName: z.string().max(200).optional(),
  /**
   * Asked by the reseller platform for OV/EV certificates (its `organization_unit`,
   * `date_of_incorporation`, `contact_title`; docs/reseller.md), unused by WoTrus.
   */
  orgUnit: z.string().max(100).optional(),
  /** The date the organisation was registered, `YYYY-MM-DD`. */
  dateOfIncorporation: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').optional(),
  /** The contact person's title or position (`法人`, `IT manager`). */
  contactTitle: z.string().max(100).optional(),
}).strict();

export const documentSchema = z.object({
  documentType: z.union([z.literal(1), z.literal(2), z.literal(3)], { error: 'must be 1 (authorisation letter), 2 (business licence) or 3 (ID card)' }),
  fileType: z.enum(['.jpg', '.gif', '.pdf']),
  fileContent: base64Schema.max(8_000_000),
}).strict();

/** A document proving a revocation or reissue request (the CA keeps it on file). */
export const proofSchema = z
  .object({
    fileType: z.enum(['.jpg', '.gif', '.pdf']),
    fileContent: base64Schema.min(4).max(8_000_000),
  })
  .strict();

export type Organization = z.output<typeof organizationSchema>;
/** A document supporting an OV/EV or document-signing order (authorisation letter, licence, ID card). */
export type SupportingDocument = z.output<typeof documentSchema>;
export type ProofDocument = z.output<typeof proofSchema>;
