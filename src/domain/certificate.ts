import { z } from 'zod';

/** Identity and validity of one certificate. */
const certificateFieldsShape = {
  serialNumber: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  sha256Fingerprint: z.string(),
  subject: z.string(),
  issuer: z.string(),
  sans: z.array(z.string()),
};

/**
 * What certflow records of an issued certificate (the view, billing events, search
 * attributes): the leaf — for SM2 orders the signing certificate — and, for SM2 orders, the
 * encryption certificate beside it (optional: records written before SM2 support lack it).
 */
export const certificateMetaSchema = z.object({
  caOrderId: z.string(),
  ...certificateFieldsShape,
  encryption: z.object(certificateFieldsShape).optional(),
});
export type CertificateMeta = z.output<typeof certificateMetaSchema>;

/** The certificates of one bundle a PEM download can select: SM2 orders deliver up to three. */
export const CERTIFICATE_PARTS = ['signing', 'encryption', 'rsa'] as const;
export type CertificatePart = (typeof CERTIFICATE_PARTS)[number];

/** The verified certificate as delivered: leaf, then the path to the root. */
export const certificateBundleSchema = z
  .object({
    caOrderId: z.string(),
    /** Leaf first, then intermediate(s), then root: the order servers present. */
    leafPem: z.string(),
    chainPems: z.array(z.string()).describe('intermediate(s) then root'),
    /** SM2 orders: the encryption certificate (`leafPem` is then the signing certificate). */
    encryptionLeafPem: z.string().optional(),
    /** SM2 orders: the encryption certificate's path, intermediate(s) then root. */
    encryptionChainPems: z.array(z.string()).optional().describe('SM2: the encryption certificate\'s intermediate(s) then root'),
    /** SM2 orders with a bound RSA product: the RSA certificate, from its own CA order. */
    boundRsa: z
      .object({ caOrderId: z.string(), leafPem: z.string(), chainPems: z.array(z.string()) })
      .optional()
      .describe('SM2 with a bound RSA product: the RSA certificate of its own CA order'),
  })
  .meta({ id: 'CertificateBundle' });
export type CertificateBundle = z.output<typeof certificateBundleSchema>;

/** One certificate of the bundle, leaf then chain; undefined when this order has no such part. */
export function certificatePart(bundle: CertificateBundle, part: CertificatePart): { leafPem: string; chainPems: string[] } | undefined {
  switch (part) {
    case 'signing':
      return { leafPem: bundle.leafPem, chainPems: bundle.chainPems };
    case 'encryption':
      return bundle.encryptionLeafPem ? { leafPem: bundle.encryptionLeafPem, chainPems: bundle.encryptionChainPems ?? [] } : undefined;
    case 'rsa':
      return bundle.boundRsa;
  }
}
