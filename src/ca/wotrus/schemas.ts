import { z } from 'zod';
import type { Organization } from '../../domain/documents';
import { csrKeyOf } from '../../lib/csr-key';
import type { CreateOrderRequest, ReissueRequest, RevokeRequest } from '../issuer';
import { WOTRUS_STATUSES, type WotrusStatus } from './statuses';

/**
 * The WoTrus partner API wire format (ca-apis.md §1, seed 001).
 *
 * Two rules, because the Chinese original contradicts itself (field tables vs. examples vs.
 * the OCR'd copy):
 * - We READ tolerantly: keys are matched without regard to letter case (orderId/orderID,
 *   Status/status, OrgName/orgName, csr_RSA/csR_RSA), ids are trimmed, nulls stand for
 *   "absent", and an unknown order status becomes 'unknown'.
 * - We WRITE strictly, in the spelling of the document's request examples (the `*BodySchema`
 *   schemas are strict objects; the builders below produce exactly that).
 */

// ---------------------------------------------------------------- wire constants

export const WOTRUS_TOKEN_HEADER = 'WoTrusToken';
export const WOTRUS_REQUEST_ID_HEADER = 'RequestID';

export const WOTRUS_PATHS = {
  createOrder: '/v1/Order/Create',
  queryOrder: (orderId: string): string => `/v1/Order/${encodeURIComponent(orderId.trim())}`,
  retrievePem: (orderId: string): string =>
    `/v1/Certificate/RetrievePem?orderID=${encodeURIComponent(orderId.trim())}`,
  cancelOrder: '/v1/Order/Cancel',
  revoke: '/v1/Certificate/RevokeRequest',
  reissue: '/v1/Certificate/ReissueRequest',
  email: '/v1/Notification/email',
} as const;

// ---------------------------------------------------------------- tolerant-read helpers

/**
 * Renames keys that differ from a canonical key only in letter case. An exact spelling wins
 * over a variant when both are present; keys we do not know pass through untouched.
 */
function canonicalizeKeys(canonical: readonly string[]): (input: unknown) => unknown {
  const byLowerCase = new Map(canonical.map((k) => [k.toLowerCase(), k]));
  return (input) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
    const source = input as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(source)) {
      if (key === '__proto__') continue;
      const target = byLowerCase.get(key.toLowerCase()) ?? key;
      if (target !== key && Object.hasOwn(source, target)) continue;
      out[target] = value;
    }
    return out;
  };
}

/** An object schema whose keys are matched case-insensitively against `shape`. */
function tolerantObject<S extends z.core.$ZodShape>(shape: S) {
  return z.preprocess(canonicalizeKeys(Object.keys(shape)), z.object(shape));
}

/** An order id: whitespace trimmed (the examples carry stray spaces), never empty. */
const caId = z.string().trim().min(1, 'must not be empty');

/** Optional text: null, missing and blank all read as undefined. */
const optionalText = z
  .string()
  .nullish()
  .transform((v) => v?.trim() || undefined);

/** Booleans, also when a CA serialiser sends "true"/"false". */
const flag = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false']))
    .transform((v) => v === 'true'),
]);

/** Integers, also as digit strings. */
const integer = z.union([
  z.number().int(),
  z
    .string()
    .trim()
    .regex(/^-?\d+$/)
    .transform(Number),
]);

const statusByLowerCase = new Map<string, WotrusStatus>(WOTRUS_STATUSES.map((s) => [s.toLowerCase(), s]));

/** A status outside the documented list is 'unknown', not a failure: the list has grown before (V1.01, V1.03). */
export const caStatusSchema = z
  .string()
  .transform((s): WotrusStatus => statusByLowerCase.get(s.trim().toLowerCase()) ?? 'unknown');

// ---------------------------------------------------------------- envelope

export const pageSchema = tolerantObject({
  total: integer.nullish(),
  limit: integer.nullish(),
  skip: integer.nullish(),
});

/**
 * `{ isSuccess, errorMsg, successMsg, data, page }`. `data` is left unknown here: it is only
 * read, with the operation's own schema, once `isSuccess` is true. `page` is statistics we
 * never use, so a malformed one is not worth failing an answer over.
 */
export const envelopeSchema = tolerantObject({
  isSuccess: flag,
  errorMsg: optionalText,
  successMsg: optionalText,
  data: z.unknown(),
  page: pageSchema.nullish().catch(null),
});
export type Envelope = z.output<typeof envelopeSchema>;

/** An answer as the CA writes it (for the simulator): `page` and messages as in the examples. */
export function buildSuccessAnswer<T>(data: T, successMsg = '') {
  return { isSuccess: true, errorMsg: '', successMsg, data, page: { total: 0, limit: 0, skip: 0 } } as const;
}
export function buildFailureAnswer(errorMsg: string) {
  return { isSuccess: false, errorMsg, successMsg: '', data: null, page: null } as const;
}

// ---------------------------------------------------------------- create order (§1.1)

export const BUSINESS_CATEGORIES = [
  'Business Entity',
  'Private Organization',
  'Government Entity',
  'Non-Commercial Entity',
] as const;

export const ORDER_MONTHS = [12, 13, 24, 25] as const;
const month = z.union([z.literal(12), z.literal(13), z.literal(24), z.literal(25)]);

const orderinfoPostShape = {
  productID: z.string().trim().min(1),
  commonName: z.string().trim().min(1),
  /** The document's own odd casing. An RSA/ECC CSR: the order's, or an SM2 order's bound RSA product's. */
  csR_RSA: z.string().optional(),
  /** V1.02 (`Csr` => `Csr_Sign`): an SM2 signing CSR, "the parameter follows the CSR's type". */
  Csr_Sign: z.string().optional(),
  /**
   * The SM2 encryption CSR. The create table does not list it; the document spells the field
   * only in the reissue example, `csR_Encrypt`, and so do we (its ASP.NET binding ignores case).
   */
  csR_Encrypt: z.string().optional(),
  /** V1.02 (`BindRSAProductType` => `BindRSAProductID`): the RSA product bundled with an SM2 order. */
  BindRSAProductID: z.string().optional(),
  uKeyPassword: z.string().optional(),
  uKeyShipAddress: z.string().optional(),
  month,
  idempotenceID: z.string().optional(),
  /**
   * Extra host names, comma-separated. Only named in revision V1.02 (`SN` => `Hosts`); the
   * query answer's `sn` is one string, hence a string rather than an array.
   */
  Hosts: z.string().optional(),
};

/** organizationPost in the example's spelling (mostly PascalCase; the table spells camelCase). */
const organizationPostShape = {
  OrgName: z.string().trim().min(1),
  // The example sends "" for "not given".
  BusinessCategory: z.union([z.enum(BUSINESS_CATEGORIES), z.literal('')]).optional(),
  OrgPhone: z.string().optional(),
  OrgEmail: z.string().optional(),
  UserFirstName: z.string().optional(),
  UserLastName: z.string().optional(),
  UserEmail: z.string().optional(),
  UserMobile: z.string().optional(),
  IDCardNO: z.string().optional(),
  countryCode: z.string().trim().length(2),
  state: z.string().optional(),
  city: z.string().optional(),
  street: z.string().optional(),
  zip: z.string().optional(),
  businessLicense: z.string().optional(),
  OtherName: z.string().nullish(),
};

const documentPostShape = {
  documentType: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  fileType: z.enum(['.jpg', '.gif', '.pdf']),
  fileContent: z.string(),
};

export const orderinfoPostSchema = z.strictObject(orderinfoPostShape);
export const organizationPostSchema = z.strictObject(organizationPostShape);
export const documentPostSchema = z.strictObject(documentPostShape);
export const createOrderBodySchema = z.strictObject({
  orderinfoPost: orderinfoPostSchema,
  organizationPost: organizationPostSchema.optional(),
  documentsPost: z.array(documentPostSchema),
});
export type OrderinfoPost = z.input<typeof orderinfoPostSchema>;
export type OrganizationPost = z.input<typeof organizationPostSchema>;
export type DocumentPost = z.input<typeof documentPostSchema>;
export type CreateOrderBody = z.input<typeof createOrderBodySchema>;

/** The simulator's reading of a create-order body: any key casing, nulls as absent. */
export const createOrderBodyReadSchema = tolerantObject({
  orderinfoPost: tolerantObject(orderinfoPostShape),
  organizationPost: tolerantObject(organizationPostShape).nullish(),
  documentsPost: z.array(tolerantObject(documentPostShape)).nullish(),
});

/** `data` of the create answer. The OCR'd copy spells `orderID`/`orderID_RSA`. */
export const createOrderAnswerSchema = tolerantObject({
  orderId: optionalText,
  orderId_RSA: optionalText,
}).refine((d) => d.orderId !== undefined || d.orderId_RSA !== undefined, {
  message: 'orderId (or orderId_RSA) is required',
  path: ['orderId'],
});
export type CreateOrderAnswer = z.output<typeof createOrderAnswerSchema>;

// ---------------------------------------------------------------- query order (§1.2)

export const orderOrganizationAnswerSchema = tolerantObject({
  id: optionalText,
  orgName: optionalText,
  orgPhone: optionalText,
  orgEmail: optionalText,
  userFirstName: optionalText,
  userLastName: optionalText,
  userEmail: optionalText,
  userMobile: optionalText,
  idCardNumber: optionalText,
  isUpload: flag.nullish(),
  status: optionalText,
});

/** `data` of the query answer; fields we do not act on are optional so they cannot fail a read. */
export const queryOrderAnswerSchema = tolerantObject({
  /** Falls back to the id we asked for when absent. */
  id: optionalText,
  productName: optionalText,
  productID: optionalText,
  cn: optionalText,
  sn: optionalText,
  org: orderOrganizationAnswerSchema.nullish(),
  orderNumber: z.union([z.string(), z.number()]).nullish(),
  duration: integer.nullish(),
  durationType: integer.nullish(),
  createTime: optionalText,
  serverCount: integer.nullish(),
  includeRSA: flag.nullish(),
  isUploadedPic: flag.nullish(),
  isSNVerified: flag.nullish(),
  isCSRSubmitted: flag.nullish(),
  isCustomerInfoFilled: flag.nullish(),
  /** The field table spells it `Status`. */
  status: caStatusSchema,
  isPay: integer.nullish(),
  /** A URL cannot contain whitespace; the document's copy is broken across lines. */
  pendingLink: z
    .string()
    .nullish()
    .transform((v) => v?.replace(/\s+/g, '') || undefined),
});
export type QueryOrderAnswer = z.output<typeof queryOrderAnswerSchema>;

// ---------------------------------------------------------------- retrieve PEM (§1.3)

/** A chain as returned, root first and intermediate last; a lone string is a one-element chain. */
const chain = z
  .union([z.array(z.string().nullable()), z.string()])
  .nullish()
  .transform((v) =>
    (typeof v === 'string' ? [v] : (v ?? [])).map((p) => p?.trim() ?? '').filter((p) => p !== ''),
  );

/** `data` of RetrievePem. The example omits `result`, so it is optional. */
export const retrievePemAnswerSchema = tolerantObject({
  pem_RSA: optionalText,
  chains_RSA: chain,
  pem_Sign: optionalText,
  chains_Sign: chain,
  pem_Encrypt: optionalText,
  chains_Encrypt: chain,
  result: flag.nullish(),
});
export type RetrievePemAnswer = z.output<typeof retrievePemAnswerSchema>;

// ---------------------------------------------------------------- cancel (§1.4)

const cancelBodyShape = { orderID: caId, reason: z.string() };
export const cancelBodySchema = z.strictObject(cancelBodyShape);
export const cancelBodyReadSchema = tolerantObject(cancelBodyShape);
export type CancelBody = z.input<typeof cancelBodySchema>;

export const cancelAnswerSchema = tolerantObject({
  cancelResult: flag,
  cancelFailedReason: optionalText,
});
export type CancelAnswer = z.output<typeof cancelAnswerSchema>;

// ---------------------------------------------------------------- revoke (§1.5)

/** The example spells `orderId` here (the OCR'd copy `orderID`). */
const revokeBodyShape = {
  orderId: caId,
  reason: z.string().min(1),
  fileType: z.string().min(1),
  fileContent: z.string().min(1),
};
export const revokeBodySchema = z.strictObject(revokeBodyShape);
export const revokeBodyReadSchema = tolerantObject(revokeBodyShape);
export type RevokeBody = z.input<typeof revokeBodySchema>;

export const revokeAnswerSchema = tolerantObject({
  revokeStatus: z.string().trim(),
  revoked: flag,
});
export type RevokeAnswer = z.output<typeof revokeAnswerSchema>;

// ---------------------------------------------------------------- reissue (§1.6)

const reissueBodyShape = {
  orderID: caId,
  csr: z.string().min(1),
  csR_Encrypt: z.string().optional(),
  reason: z.string().min(1),
  idempotenceID: z.string().optional(),
  fileType: z.string().optional(),
  fileContent: z.string().optional(),
};
export const reissueBodySchema = z.strictObject(reissueBodyShape);
export const reissueBodyReadSchema = tolerantObject(reissueBodyShape);
export type ReissueBody = z.input<typeof reissueBodySchema>;

export const reissueAnswerSchema = tolerantObject({ newOrderID: caId });
export type ReissueAnswer = z.output<typeof reissueAnswerSchema>;

// ---------------------------------------------------------------- e-mail notification (§1.8)

const emailBodyShape = { orderID: caId, collectUrl: z.string().min(1) };
export const emailBodySchema = z.strictObject(emailBodyShape);
export const emailBodyReadSchema = tolerantObject(emailBodyShape);
export type EmailBody = z.input<typeof emailBodySchema>;

export const emailAnswerSchema = tolerantObject({ sentResult: flag });
export type EmailAnswer = z.output<typeof emailAnswerSchema>;

// ---------------------------------------------------------------- status push (§1.7)

/** Just enough to route a push: the organisation-status push has an unspecified body. */
export const pushActionSchema = tolerantObject({ dataAction: z.string().trim().min(1) });

/** `{ dataAction: "order", orderId, isIssued, isRevoked }`; absent flags read as false. */
export const orderStatusPushSchema = tolerantObject({
  dataAction: z.string().trim().toLowerCase().pipe(z.literal('order')),
  orderId: caId,
  isIssued: flag.nullish().transform((v) => v ?? false),
  isRevoked: flag.nullish().transform((v) => v ?? false),
});
export type OrderStatusPush = z.output<typeof orderStatusPushSchema>;

// ---------------------------------------------------------------- request builders

/** Drops undefined members so bodies compare and serialise exactly as sent. */
function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function buildOrganizationPost(o: Organization): OrganizationPost {
  return compact({
    OrgName: o.orgName,
    BusinessCategory: o.businessCategory,
    OrgPhone: o.orgPhone,
    OrgEmail: o.orgEmail,
    UserFirstName: o.userFirstName,
    UserLastName: o.userLastName,
    UserEmail: o.userEmail,
    UserMobile: o.userMobile,
    IDCardNO: o.idCardNo,
    countryCode: o.countryCode,
    state: o.state,
    city: o.city,
    street: o.street,
    zip: o.zip,
    businessLicense: o.businessLicense,
    OtherName: o.otherName,
  });
}

/**
 * Where the order's CSRs go: "the parameter follows the CSR's type" (V1.02). An SM2 CSR is
 * the signing CSR (`Csr_Sign`) and the bound RSA product's CSR, if any, is `csR_RSA`; any other
 * CSR is itself `csR_RSA`. A CSR that does not parse is sent as `csR_RSA`, for the CA to judge.
 */
function createCsrFields(req: CreateOrderRequest): Pick<OrderinfoPost, 'csR_RSA' | 'Csr_Sign'> {
  if (csrKeyOf(req.csr)?.type !== 'sm2') {
    if (req.csrRsa !== undefined) throw new TypeError('csrRsa is only sent with an SM2 signing CSR in csr (the order service refuses it otherwise)');
    return { csR_RSA: req.csr };
  }
  return { Csr_Sign: req.csr, csR_RSA: req.csrRsa };
}

export function buildCreateOrderBody(req: CreateOrderRequest): CreateOrderBody {
  const hosts = req.hosts?.map((h) => h.trim()).filter(Boolean) ?? [];
  return compact({
    orderinfoPost: compact({
      productID: req.productId,
      commonName: req.commonName,
      ...createCsrFields(req),
      csR_Encrypt: req.csrEncrypt,
      BindRSAProductID: req.bindRsaProductId,
      uKeyPassword: req.uKeyPassword,
      uKeyShipAddress: req.uKeyShipAddress,
      month: req.month,
      idempotenceID: req.idempotenceId,
      Hosts: hosts.length > 0 ? hosts.join(',') : undefined,
    }),
    organizationPost: req.organization ? buildOrganizationPost(req.organization) : undefined,
    documentsPost: (req.documents ?? []).map((d) => ({
      documentType: d.documentType,
      fileType: d.fileType,
      fileContent: d.fileContent,
    })),
  });
}

export function buildCancelBody(caOrderId: string, reason: string): CancelBody {
  return { orderID: caOrderId.trim(), reason };
}

export function buildRevokeBody(req: RevokeRequest): RevokeBody {
  return {
    orderId: req.caOrderId.trim(),
    reason: req.reason,
    fileType: req.proof.fileType,
    fileContent: req.proof.fileContent,
  };
}

/** WoTrus reissues always with a new key: the caller (the order's validator) never lets one through without a CSR. */
export function buildReissueBody(req: ReissueRequest & { csr: string }): ReissueBody {
  return compact({
    orderID: req.caOrderId.trim(),
    csr: req.csr,
    csR_Encrypt: req.csrEncrypt,
    reason: req.reason,
    idempotenceID: req.idempotenceId,
    fileType: req.proof?.fileType,
    fileContent: req.proof?.fileContent,
  });
}

export function buildEmailBody(caOrderId: string, collectUrl: string): EmailBody {
  return { orderID: caOrderId.trim(), collectUrl };
}

/** The push the CA sends (for the simulator). Sign the serialised body with `signPushBody`. */
export function buildOrderStatusPush(
  orderId: string,
  state: { isIssued: boolean; isRevoked: boolean },
): OrderStatusPush {
  return { dataAction: 'order', orderId, isIssued: state.isIssued, isRevoked: state.isRevoked };
}
