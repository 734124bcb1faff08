/**
 * EVERYTHING the reseller adapter assumes that its one document (seed 004, "证书重签接口",
 * ca-apis.md §4) does not say. Nothing outside this file invents wire details: when the
 * platform's real documents arrive, this is the one file to replace, and each constant below
 * names what would replace it.
 *
 * What the document DOES say (and is therefore not here): the reissue request's fields and
 * their rules, the answer's envelope and `data` shape, JSON in both directions, and that a
 * reissue replacing a domain revokes the old certificate.
 */

import { z } from 'zod';
import type { CaPhase } from '../issuer';
import { dcvMapForWire, ORGANIZATION_FIELDS, type OrganizationField, type OrganizationFields } from './schemas';

/** Marks a value as an inference, for grep and for the simulator's banner. */
export const INFERRED = 'inferred: not in the reseller document (seed 004)';

// ---------------------------------------------------------------- transport

/**
 * The method. The document shows a request with a JSON body, `Content-Type` and
 * `Content-Length` and no query string: a POST is the only reading of that, but it never
 * names the verb.
 */
export const RESELLER_METHOD = 'POST' as const;

/**
 * Paths under the configured base URL. The document names NO path: the reissue path is
 * invented; the others are sketched by analogy (the document's `service_id` is "returned by
 * the order call", `notify_url` "see 通知回调" — neither document is at hand). All three are
 * USED by the client (the issuer, issue 18); all three are still inferences.
 */
export const RESELLER_PATHS = Object.freeze({
  reissue: '/api/v1/certificate/reissue',
  /** By analogy: the order (create) call that returns `service_id`. USED, inferred. */
  create: '/api/v1/certificate/create',
  /** By analogy: a status read by `service_id`, answering the reissue's `data` shape. USED, inferred. */
  status: '/api/v1/certificate/detail',
});
export type ResellerPaths = { -readonly [K in keyof typeof RESELLER_PATHS]: string };

/**
 * Authentication. The document shows no credential at all (no header, no body field, no
 * signature): a reseller API without one is unthinkable, so the client sends a configurable
 * header carrying the API key verbatim (configure the value with its scheme, e.g.
 * `Bearer …`, if the platform wants one). Absent an API key, nothing is sent (an
 * IP allow-list). The key is redacted from every error.
 */
export const RESELLER_DEFAULT_AUTH_HEADER = 'Authorization';

/**
 * No correlation header: the document defines none, so (as for ACMAPI) the request id stays
 * in our errors only. Named here so a real document can add one.
 */
export const RESELLER_REQUEST_ID_HEADER: string | undefined = undefined;

// ---------------------------------------------------------------- identifiers

/**
 * `unique_id`: the document says only "required, must not repeat, stops a reseller order from
 * being submitted (and charged) twice; pass the order id when the user clicks". It states no
 * length or alphabet; its example is `azgZqJGX` (8 letters). We send 32 lower-case hex
 * digits (128 bits of a SHA-256): letters and digits only, and short enough for any
 * `varchar(32)` column a PHP platform is likely to have.
 */
export const RESELLER_UNIQUE_ID_LENGTH = 32;
export const RESELLER_UNIQUE_ID_PATTERN = /^[0-9a-f]{32}$/;

// ---------------------------------------------------------------- answers

/**
 * The order `status` word: the document shows only `pending` (with no certificate). Every
 * other word is an inference; the client keeps the CA's word and derives the phase from the
 * certificate's presence first (`mapping.ts`).
 */
export const RESELLER_STATUS_WORDS = Object.freeze({
  /** Documented: the example's `status`. */
  pending: 'validation',
  /** Inferred words a reseller platform commonly uses. */
  processing: 'issuance',
  issued: 'issued',
  active: 'issued',
  cancelled: 'closed',
  revoked: 'revoked',
  rejected: 'rejected',
} satisfies Record<string, CaPhase>);

/*
 * A domain's `status`: the document shows `valid` and `pending` (documented, not inferred).
 * Inferred: any other word reads as pending (something still to do), with the CA's word kept
 * for operators (`DomainValidation.caStatus`).
 */

/**
 * `success: false` answers: the document shows no failure example. We read them as
 * `{ success: false, message }` (the success example's envelope) and treat every one as the
 * CA refusing the request on its merits; there is no documented code to tell a bad
 * credential or a busy platform apart.
 */
export const RESELLER_FAILURE_ENVELOPE = 'success:false + message';

// ---------------------------------------------------------------- rule readings

/**
 * "OV证书如果已经签发过,则不允许更改公司信息(下同)": the document says it of OV certificates;
 * we apply it to EV and IV too (the same organisation fields, validated the same way).
 */
export const ORGANIZATION_LOCK_APPLIES_TO = Object.freeze(['OV', 'EV', 'IV'] as const);

/**
 * Approver e-mail at "子域名 或 主域名" (the subdomain or the main domain): we accept the
 * domain itself or any parent of it with at least two labels. Without a public suffix list a
 * parent like `co.uk` would pass; the CA refuses it then.
 */
export const APPROVER_PARENT_MIN_LABELS = 2;

// ---------------------------------------------------------------- sketches by analogy

/**
 * The `notify_url` callback: "具体通知参数请见`通知回调`" — the callback's own page is not at hand.
 * Sketch, by analogy with the reissue answer: a POST of JSON carrying `service_id`, `caid`,
 * `status` (and possibly the rest of the reissue answer's `data`). Its authentication is
 * unknown: the receiver should put a secret in the notify_url's path (certflow:
 * RESELLER_NOTIFY_TOKEN, `resellerNotifyUrl`) and treat the call as a hint that triggers a
 * status read (as WoTrus pushes), never as a state change.
 */
export interface InferredCallbackBody {
  service_id: string;
  caid?: string;
  status?: string;
}

/**
 * The order (create) call — USED by the issuer's `createOrder`, still INFERRED: sketched from
 * the reissue's own fields, the same fields less `service_id` and `renew`, plus a product id
 * and a period. Everything here is an inference until the platform's order document is at
 * hand:
 * - the path (`RESELLER_PATHS.create`) and method;
 * - `product_id` (the platform's product, certflow's product GUID sent as is) and `period`
 *   (months, certflow's `month`: 12, 13, 24 or 25);
 * - that `csr` and `domain_dcv` are both required at create (an order needs a key and
 *   names; the reissue's "one of the two" cannot apply);
 * - that the answer is the reissue's envelope and `data` (with `service_id`, `cost`, `dcv`).
 * The documented rules of the reissue's fields (methods, approver addresses, CSR keys,
 * organisation fields for OV/EV/IV) are applied to the same fields here (rules.ts
 * `createIssues`).
 */
export const inferredCreateBodySchema = z.strictObject({
  unique_id: z.string().min(1),
  product_id: z.string().min(1),
  period: z.number().int().min(1).max(120),
  csr: z.string().min(1, 'is required to order a certificate'),
  domain_dcv: z.record(z.string().min(1), z.string().min(1)).refine((m) => Object.keys(m).length > 0, 'must name at least one domain'),
  contact_email: z.email().optional(),
  ...(Object.fromEntries(ORGANIZATION_FIELDS.map((f) => [f, z.string().min(1).optional()])) as Record<OrganizationField, z.ZodOptional<z.ZodString>>),
  notify_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
});
export type InferredCreateBody = z.input<typeof inferredCreateBodySchema>;

/** A create as certflow asks for it; `buildInferredCreateBody` writes it in the inferred spelling. */
export interface ResellerCreateFields {
  /** `unique_id`: see `uniqueIdFor` (unique-id.ts). */
  uniqueId: string;
  productId: string;
  /** Months. */
  period: number;
  csr: string;
  /** Domain → method word or approver address, every name of the order. */
  domainDcv: Readonly<Record<string, string>>;
  contactEmail?: string;
  /** The organisation fields, named as the reissue names them. */
  organization?: OrganizationFields;
  notifyUrl?: string;
}

const trimmedOrUndefined = (v: string | undefined): string | undefined => {
  const t = v?.trim();
  return t ? t : undefined;
};

/** The inferred create body, blank values left out, in the reissue's field order where they share fields. */
export function buildInferredCreateBody(req: ResellerCreateFields): InferredCreateBody {
  const body: Record<string, unknown> = {
    unique_id: req.uniqueId.trim(),
    product_id: req.productId.trim(),
    period: req.period,
    domain_dcv: dcvMapForWire(req.domainDcv),
    csr: req.csr.trim(),
  };
  const contactEmail = trimmedOrUndefined(req.contactEmail);
  if (contactEmail !== undefined) body.contact_email = contactEmail;
  for (const field of ORGANIZATION_FIELDS) {
    const value = trimmedOrUndefined(req.organization?.[field]);
    if (value !== undefined) body[field] = value;
  }
  const notifyUrl = trimmedOrUndefined(req.notifyUrl);
  if (notifyUrl !== undefined) body.notify_url = notifyUrl;
  return body as InferredCreateBody;
}

/**
 * The status read — USED by the issuer's `getStatus` and `retrieveCertificate`, still
 * INFERRED: `{ service_id }` at `RESELLER_PATHS.status`, answered like the reissue (the
 * envelope and `data` with `dcv`, `cert_pem` and `ca_pem` once issued).
 */
export interface InferredStatusBody {
  service_id: string;
}
