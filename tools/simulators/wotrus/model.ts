/**
 * The simulator's order record. One zod schema serves as the type, the admin view and the
 * persisted format, so a state file written by one run is validated when the next run loads it.
 */
import { z } from 'zod';
import { WOTRUS_STATUSES as CA_STATUSES } from '../../../src/ca/wotrus/statuses';

export const caStatusSchema = z.enum(CA_STATUSES);
export type SimStatus = z.infer<typeof caStatusSchema>;

/** Organisation as submitted (normalised from whichever spelling the partner used). */
export const orgSchema = z.object({
  orgName: z.string(),
  countryCode: z.string().optional(),
  businessCategory: z.string().optional(),
  orgPhone: z.string().optional(),
  orgEmail: z.string().optional(),
  userFirstName: z.string().optional(),
  userLastName: z.string().optional(),
  userEmail: z.string().optional(),
  userMobile: z.string().optional(),
  idCardNo: z.string().optional(),
  state: z.string().optional(),
  city: z.string().optional(),
  street: z.string().optional(),
  zip: z.string().optional(),
  businessLicense: z.string().optional(),
  otherName: z.string().optional(),
});
export type SimOrg = z.infer<typeof orgSchema>;

export const transitionSchema = z.object({ status: caStatusSchema, at: z.number(), by: z.enum(['api', 'timer', 'admin', 'system']) });
export type Transition = z.infer<typeof transitionSchema>;

export const certSchema = z.object({
  /** RSA/ECC orders: the leaf; SM2 orders: the signing certificate. */
  pem: z.string(),
  serialNumber: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  /** SM2 orders only. */
  encryptPem: z.string().optional(),
  encryptSerialNumber: z.string().optional(),
});
export type SimCert = z.infer<typeof certSchema>;

export const orderSchema = z.object({
  id: z.string(),
  orderNumber: z.string(),
  productId: z.string(),
  /** `single` RSA/ECC or PDF order; `sm2` the SM2 order; `sm2-rsa` the RSA order bundled with it. */
  role: z.enum(['single', 'sm2', 'sm2-rsa']),
  /** For a bundle: the other order's id. */
  bundleId: z.string().optional(),
  commonName: z.string(),
  /** Every DNS/IP name of an SSL order (commonName first); empty for document signing. */
  hosts: z.array(z.string()),
  month: z.number(),
  idempotenceId: z.string().optional(),
  csrPem: z.string(),
  /** SM2: the encryption CSR when one was given (else the signing CSR's key is reused). */
  csrEncryptPem: z.string().optional(),
  org: orgSchema.optional(),
  orgId: z.string(),
  documentsCount: z.number(),
  uKeyPassword: z.string().optional(),
  uKeyShipAddress: z.string().optional(),
  /** ISO-8601 in +08:00, as WoTrus answers it. */
  createTime: z.string(),
  status: caStatusSchema,
  isPay: z.number(),
  transitions: z.array(transitionSchema),
  /** Epoch ms of the milestones benchmarks measure. */
  createdAt: z.number(),
  reviewPassedAt: z.number().optional(),
  dcvPassedAt: z.number().optional(),
  issuedAt: z.number().optional(),
  retrievedAt: z.number().optional(),
  revokeRequestedAt: z.number().optional(),
  revokedAt: z.number().optional(),
  closedAt: z.number().optional(),
  rejectedAt: z.number().optional(),
  /** When the pending automatic transition is due (restored after a restart). */
  dueAt: z.number().optional(),
  cert: certSchema.optional(),
  reissuedFrom: z.string().optional(),
  reissuedTo: z.array(z.string()),
  reissueReason: z.string().optional(),
  /** Set on the old order of an SM2/Sectigo reissue: revoked when `reissuedTo`'s cert issues. */
  supersededBy: z.string().optional(),
  cancelReason: z.string().optional(),
  revokeReason: z.string().optional(),
  rejectReason: z.string().optional(),
});
export type SimOrder = z.infer<typeof orderSchema>;

export const emailSchema = z.object({ orderId: z.string(), collectUrl: z.string(), at: z.number(), time: z.string(), requestId: z.string().optional() });
export type SimEmail = z.infer<typeof emailSchema>;

export const persistedStateSchema = z.object({
  version: z.literal(1),
  savedAt: z.string(),
  orders: z.array(orderSchema),
  /** idempotenceID of Create → primary order id. */
  idempotence: z.array(z.tuple([z.string(), z.string()])),
  /** idempotenceID of Reissue → new order id (a separate namespace: callers may reuse ids across the two). */
  reissueIdempotence: z.array(z.tuple([z.string(), z.string()])),
  emails: z.array(emailSchema),
  lastOrderNumber: z.string(),
});
export type PersistedState = z.infer<typeof persistedStateSchema>;

/** Statuses from which no automatic transition follows. */
export const TERMINAL_STATUSES: ReadonlySet<SimStatus> = new Set(['revoked', 'rejected', 'closed']);
