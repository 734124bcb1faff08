import { z } from 'zod';
import type { DomainValidation } from '../issuer';

/**
 * The reseller platform's reissue wire format (seed 004 "证书重签接口", ca-apis.md §4).
 *
 * - We WRITE strictly: `reissueBodySchema` is a strict object of exactly the fields the
 *   document's request names, in its spelling; `buildReissueBody` produces exactly that.
 *   What the fields must hold beyond their shape (one of `csr`/`domain_dcv`, the methods a
 *   wildcard may use, approver addresses, CSR keys, organisation fields) is `rules.ts`.
 * - We READ tolerantly, as the document's answer example is written: `cost` a JSON number
 *   (4208.01; a numeric string is read too), `caid` a string of digits ("358174513"; a
 *   number is read too), `service_id` a string, `cert_pem`/`ca_pem`/`not_before`/`not_after`
 *   null until issued, status words lower case (`pending`, `valid`), unknown keys ignored.
 *   Each `dcv` entry is read into the vendor-neutral `DomainValidation` (mapping.ts).
 */

// ---------------------------------------------------------------- documented vocabulary

/** The methods `domain_dcv` names by word; any other value is an approver e-mail address. */
export const DCV_METHOD_WORDS = ['dns', 'http', 'https'] as const;
export type DcvMethodWord = (typeof DCV_METHOD_WORDS)[number];

/** "只支持admin@、administrator@、postmaster@、webmaster@、hostmaster@": the approver mailboxes. */
export const APPROVER_LOCAL_PARTS = ['admin', 'administrator', 'postmaster', 'webmaster', 'hostmaster'] as const;

/** The organisation fields, in the document's order: each "required for OV, EV and IV certificates". */
export const ORGANIZATION_FIELDS = [
  'organization',
  'organization_unit',
  'registered_address_line1',
  'serial_no',
  'country',
  'state',
  'city',
  'postal_code',
  'organization_phone',
  'date_of_incorporation',
  'contact_name',
  'contact_title',
  'contact_phone',
] as const;
export type OrganizationField = (typeof ORGANIZATION_FIELDS)[number];
export type OrganizationFields = Partial<Record<OrganizationField, string>>;

/** Certificate kinds the document names (organisation fields are required for the last three). */
export const VALIDATION_LEVELS = ['DV', 'OV', 'EV', 'IV'] as const;
export type ValidationLevel = (typeof VALIDATION_LEVELS)[number];

// ---------------------------------------------------------------- request (strict)

const text = z.string().min(1);
const organizationShape = Object.fromEntries(ORGANIZATION_FIELDS.map((f) => [f, text.optional()])) as Record<
  OrganizationField,
  z.ZodOptional<typeof text>
>;

/**
 * The reissue request, every field of the document and nothing else. Only `unique_id` and
 * `service_id` are marked 必填 (required); the rest is optional as far as its shape goes
 * (the rules decide when `csr`, `domain_dcv` and the organisation fields are needed).
 */
export const reissueBodySchema = z.strictObject({
  unique_id: text,
  service_id: text,
  /** Domain → `dns` | `http` | `https` | an approver e-mail address ("一条域名对应一种验证类型"). */
  domain_dcv: z.record(text, text).optional(),
  csr: text.optional(),
  contact_email: z.email().optional(),
  /** "是否为续费订单": 0 or 1, a number in the example. */
  renew: z.union([z.literal(0), z.literal(1)]).optional(),
  ...organizationShape,
  notify_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
});
export type ReissueBody = z.input<typeof reissueBodySchema>;

/** A reissue as certflow asks for it; `buildReissueBody` writes it in the document's spelling. */
export interface ResellerReissueFields {
  /** `unique_id`: see `uniqueIdFor` (unique-id.ts). */
  uniqueId: string;
  /** `service_id`: the platform's certificate number, from the original order. */
  serviceId: string;
  /** A new CSR (PEM). */
  csr?: string;
  /** Domain → method word or approver address. */
  domainDcv?: Readonly<Record<string, string>>;
  contactEmail?: string;
  /** Passed on as `renew: 1` / `0`; absent: not sent. */
  renew?: boolean;
  /** The organisation fields, named as the document names them. */
  organization?: OrganizationFields;
  notifyUrl?: string;
}

const trimmed = (v: string | undefined): string | undefined => {
  const t = v?.trim();
  return t ? t : undefined;
};

/** A method word in the document's spelling (`DNS` → `dns`); an approver address as given, trimmed. */
function methodOrAddress(value: string): string {
  const v = value.trim();
  return (DCV_METHOD_WORDS as readonly string[]).includes(v.toLowerCase()) ? v.toLowerCase() : v;
}

/** `domain_dcv` as sent: domains trimmed, method words in the document's spelling, addresses as given. */
export function dcvMapForWire(domainDcv: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(domainDcv).map(([domain, value]) => [domain.trim(), methodOrAddress(value)]));
}

/** The document's request body, blank values left out, domains and values trimmed, in the document's field order. */
export function buildReissueBody(req: ResellerReissueFields): ReissueBody {
  const body: Record<string, unknown> = {
    unique_id: req.uniqueId.trim(),
    service_id: req.serviceId.trim(),
  };
  if (req.domainDcv !== undefined) body.domain_dcv = dcvMapForWire(req.domainDcv);
  const csr = trimmed(req.csr);
  if (csr !== undefined) body.csr = csr;
  const contactEmail = trimmed(req.contactEmail);
  if (contactEmail !== undefined) body.contact_email = contactEmail;
  if (req.renew !== undefined) body.renew = req.renew ? 1 : 0;
  for (const field of ORGANIZATION_FIELDS) {
    const value = trimmed(req.organization?.[field]);
    if (value !== undefined) body[field] = value;
  }
  const notifyUrl = trimmed(req.notifyUrl);
  if (notifyUrl !== undefined) body.notify_url = notifyUrl;
  return body as ReissueBody;
}

// ---------------------------------------------------------------- answer (tolerant)

/** Null, missing and blank all read as undefined; otherwise trimmed. */
const optionalText = z
  .string()
  .nullish()
  .transform((v) => v?.trim() || undefined);

/** Kept exactly as sent (a file's content is compared by the CA; only null reads as absent). */
const optionalRaw = z
  .string()
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' ? undefined : v));

/** An id: a string as in the example (`"358174513"`), or a number, trimmed, never empty. */
const idText = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform((v) => String(v).trim())
  .pipe(z.string().min(1, 'must not be empty'));

/** `true` as in the example; also `"true"`/`"false"`, 1/0, `"1"`/`"0"` from looser serialisers. */
const flag = z.union([
  z.boolean(),
  z.union([z.literal(0), z.literal(1)]).transform((v) => v === 1),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0']))
    .transform((v) => v === 'true' || v === '1'),
]);

/** `4208.01` (a JSON number in the example), or the same as a string; null/absent: not said. */
const money = z
  .union([
    z.number().finite(),
    z
      .string()
      .trim()
      .regex(/^-?\d+(\.\d+)?$/, 'must be a number')
      .transform(Number),
  ])
  .nullish()
  .transform((v) => v ?? undefined);

const word = z
  .string()
  .nullish()
  .transform((v) => v?.trim().toLowerCase() || undefined);

/** The envelope: `success` first, so a refusal with `data: null` is never read as a malformed answer. */
export const envelopeSchema = z.object({
  success: flag,
  message: optionalText,
  data: z.unknown().optional(),
});
export type Envelope = z.output<typeof envelopeSchema>;

const dnsDetails = z
  .object({ type: word, hostname: optionalText, fullname: optionalText, value: optionalText })
  .nullish();
const httpDetails = z
  .object({ filename: optionalText, filecontent: optionalRaw, filepath: optionalText, filefullpath: optionalText, url: optionalText })
  .nullish();
const emailDetails = z
  .object({
    address: optionalText,
    available: z
      .array(z.string())
      .nullish()
      .transform((v) => (v ?? []).map((a) => a.trim()).filter((a) => a !== '')),
  })
  .nullish();

export const dcvEntrySchema = z.object({
  type: word,
  subdomain: optionalText,
  topleveldomain: optionalText,
  status: word,
  dns: dnsDetails,
  http: httpDetails,
  email: emailDetails,
});
export type DcvEntry = z.output<typeof dcvEntrySchema>;

const baseOf = (domain: string): string => domain.replace(/^\*\./, '');

/** Why an entry could not be read, relative to the entry. */
export interface DcvEntryIssue {
  path: string[];
  message: string;
}

/**
 * One `dcv` entry as the vendor-neutral DomainValidation, or why it cannot be. The details
 * of the method are required while the domain is pending (the customer has to act on
 * them); a valid domain's may be absent.
 */
export function readDcvEntry(domain: string, e: DcvEntry): DomainValidation | DcvEntryIssue {
  const issue = (path: string[], message: string): DcvEntryIssue => ({ path, message });
  if (e.status === undefined) return issue(['status'], 'is required (valid or pending)');
  const state = e.status === 'valid' ? 'valid' : 'pending';
  const base: Pick<DomainValidation, 'domain' | 'state' | 'caStatus'> = {
    domain,
    state,
    ...(e.status === 'valid' || e.status === 'pending' ? {} : { caStatus: e.status }),
  };
  const detailsNeeded = state === 'pending';

  switch (e.type) {
    case 'dns': {
      if (!e.dns) return detailsNeeded ? issue(['dns'], 'is required for a pending dns validation') : { ...base, method: 'dns' };
      if (e.dns.type !== undefined && e.dns.type !== 'cname') return issue(['dns', 'type'], `is "${e.dns.type}"; the document names only cname`);
      const name = e.dns.fullname ?? (e.dns.hostname === undefined ? undefined : `${e.dns.hostname}.${baseOf(domain)}`);
      if (name === undefined) return issue(['dns', 'fullname'], 'is required (or hostname): the record name to publish');
      if (e.dns.value === undefined) return issue(['dns', 'value'], 'is required: what the CNAME must point to');
      return { ...base, method: 'dns', dns: { name, type: 'CNAME', value: e.dns.value } };
    }
    case 'http':
    case 'https': {
      // The example answers a requested `https` with type "http" and an https:// url: the url's scheme tells them apart.
      if (!e.http) return detailsNeeded ? issue(['http'], `is required for a pending ${e.type} validation`) : { ...base, method: e.type };
      const path = filePathOf(e.http);
      if (path === undefined) return issue(['http', 'filefullpath'], 'is required (or filepath and filename, or url): where the file goes');
      if (e.http.filecontent === undefined) return issue(['http', 'filecontent'], 'is required: what the file must hold');
      // Whether the url is on the domain itself is a rule (rules.ts `fileHostRule`), checked by mapping.ts.
      const url = e.http.url ?? `${e.type}://${baseOf(domain)}${path}`;
      const method = e.type === 'https' || url.toLowerCase().startsWith('https://') ? 'https' : 'http';
      return { ...base, method, file: { url, path, content: e.http.filecontent } };
    }
    case 'email': {
      if (!e.email?.address) {
        return detailsNeeded ? issue(['email', 'address'], 'is required for a pending email validation') : { ...base, method: 'email' };
      }
      return { ...base, method: 'email', email: { address: e.email.address, alternatives: e.email.available } };
    }
    case undefined:
      return issue(['type'], 'is required (dns, http, https or email)');
    default:
      return issue(['type'], `is "${e.type}", not a method the document names (dns, http, https, email)`);
  }
}

/** `/.well-known/pki-validation/x.txt`: filefullpath, else filepath + filename, else the url's path; always absolute. */
function filePathOf(h: NonNullable<z.output<typeof httpDetails>>): string | undefined {
  let path = h.filefullpath;
  if (path === undefined && h.filename !== undefined) path = `${(h.filepath ?? '').replace(/\/*$/, '/')}${h.filename}`;
  if (path === undefined && h.url !== undefined) {
    try {
      path = new URL(h.url).pathname;
    } catch {
      return undefined;
    }
  }
  return path === undefined ? undefined : `/${path.replace(/^\/+/, '')}`;
}

/** `data` of a successful reissue, with every `dcv` entry read into a DomainValidation. */
export const reissueDataSchema = z
  .object({
    cost: money,
    service_id: idText,
    caid: idText,
    status: word,
    cert_pem: optionalText,
    ca_pem: optionalText,
    not_before: optionalText,
    not_after: optionalText,
    dcv: z
      .record(z.string(), z.unknown())
      .nullish()
      .transform((v) => v ?? {}),
  })
  .transform((d, ctx) => {
    const domains: DomainValidation[] = [];
    for (const [rawDomain, rawEntry] of Object.entries(d.dcv)) {
      const domain = rawDomain.trim();
      const entry = dcvEntrySchema.safeParse(rawEntry);
      if (!entry.success) {
        for (const i of entry.error.issues) ctx.addIssue({ code: 'custom', path: ['dcv', rawDomain, ...i.path.map(String)], message: i.message });
        continue;
      }
      const read = readDcvEntry(domain, entry.data);
      if ('method' in read) domains.push(read);
      else ctx.addIssue({ code: 'custom', path: ['dcv', rawDomain, ...read.path], message: read.message });
    }
    return {
      cost: d.cost,
      serviceId: d.service_id,
      caid: d.caid,
      status: d.status,
      certPem: d.cert_pem,
      caPem: d.ca_pem,
      notBefore: d.not_before,
      notAfter: d.not_after,
      domains,
    };
  });
export type ReissueData = z.output<typeof reissueDataSchema>;
