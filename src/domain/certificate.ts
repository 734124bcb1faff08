import { z } from 'zod';

/** What certflow records of an issued certificate (the view, billing events, search attributes). */
export const certificateMetaSchema = z.object({
  caOrderId: z.string(),
  serialNumber: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  sha256Fingerprint: z.string(),
  subject: z.string(),
  issuer: z.string(),
  sans: z.array(z.string()),
});
export type CertificateMeta = z.output<typeof certificateMetaSchema>;

/** The verified certificate as delivered: leaf, then the path to the root. */
export const certificateBundleSchema = z
  .object({
    caOrderId: z.string(),
    /** Leaf first, then intermediate(s), then root: the order servers present. */
    leafPem: z.string(),
    chainPems: z.array(z.string()).describe('intermediate(s) then root'),
    encryptionLeafPem: z.string().optional(),
  })
  .meta({ id: 'CertificateBundle' });
export type CertificateBundle = z.output<typeof certificateBundleSchema>;
