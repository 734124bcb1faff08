/**
 * Every rule the reseller document (seed 004) states for a reissue request, as pure
 * functions returning the fields that break them — checked before any call, so a request
 * the platform would refuse (or, worse, accept and charge for) never leaves certflow. The
 * issues have the order service's FieldIssue shape: the API answers them as a 400 naming
 * the field (`domain_dcv.*.example.com`, `csr`, `organization`).
 *
 * The document's words, rule by rule:
 * - `domain_dcv`: "与`csr`必传1个" and `csr`: "与`domain_dcv`必传1个" — one of the two must be
 *   given. Both together are allowed: the document's own example sends both (a new CSR and
 *   the validation methods), and the call "可以更换 CSR、域名以及域名验证方式" (may change the
 *   CSR, the domains and the methods at once).
 * - "一条域名对应一种验证类型": one method per domain (a JSON object cannot say otherwise, but
 *   `Example.com` and `example.com` would be two keys for one domain).
 * - "通配符只支持dns或email验证": a wildcard takes only dns or an e-mail address.
 * - "http、https为子域名文件验证必须上传到子域名本身服务下,不支持传主域名或其他域名": the file is
 *   served by the (sub)domain itself, never by its main domain or another host. A request
 *   names no host for the file, so this is checked where a host appears: a wildcard cannot
 *   serve a file (it is no host), and the CA's file url must be on the domain itself
 *   (`fileHostRule`, used when reading the answer and by a pre-flight check).
 * - "邮箱验证不支持whois邮箱,只支持admin@、administrator@、postmaster@、webmaster@、hostmaster@
 *   + <子域名 或 主域名>": approver addresses only these five mailboxes at the domain or a
 *   parent of it (inferred.ts: at least two labels), never a WHOIS contact.
 * - `csr`: "是CSR而非私钥或公钥!若算法RSA必须2048、4096 bits,若算法ECDSA必须P-256、P-384".
 * - the organisation fields: "如果为`OV`、`EV`、`IV`类型的证书,则必须填写", and "OV证书如果已经
 *   签发过,则不允许更改公司信息(下同)" (inferred.ts: applied to EV and IV as well).
 */
import { checkCsr } from '../../lib/csr-check';
import type { FieldIssue } from '../../lib/field-issue';
import { csrKeyOf } from '../../lib/csr-key';
import { APPROVER_PARENT_MIN_LABELS, inferredCreateBodySchema, ORGANIZATION_LOCK_APPLIES_TO, type InferredCreateBody } from './inferred';
import {
  APPROVER_LOCAL_PARTS,
  DCV_METHOD_WORDS,
  ORGANIZATION_FIELDS,
  reissueBodySchema,
  type OrganizationFields,
  type ReissueBody,
  type ValidationLevel,
} from './schemas';

export type { FieldIssue };

/** What the rules need to know beyond the request body. Nothing of it is sent. */
export interface ReissueRuleContext {
  /** The certificate's kind: organisation fields are required for OV, EV and IV. */
  validation: ValidationLevel;
  /**
   * The organisation fields of the certificate as already issued, when it was: they may not
   * change then. Absent: never issued (or not an organisation certificate).
   */
  issuedOrganization?: OrganizationFields;
}

const issue = (path: string[], rule: string): FieldIssue => ({ path, rule });
const lower = (s: string): string => s.trim().toLowerCase().replace(/\.$/, '');
const isWildcard = (domain: string): boolean => domain.trim().startsWith('*.');
const baseOf = (domain: string): string => lower(domain).replace(/^\*\./, '');

/** A DNS label: letters (any script, for IDNs), digits, hyphens inside; at most 63 characters. */
const LABEL = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;

/** A host name of two labels or more, optionally as a wildcard `*.` over one. */
export function isDomainName(domain: string): boolean {
  const name = baseOf(domain);
  const labels = name.split('.');
  return name.length <= 253 && labels.length >= 2 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels.at(-1) ?? '');
}

// ---------------------------------------------------------------- csr / domain_dcv

/** One of `csr` and `domain_dcv` must be given (both may be). An empty map gives nothing. */
export function csrOrDomainDcvIssues(body: Pick<ReissueBody, 'csr' | 'domain_dcv'>): FieldIssue[] {
  const hasCsr = body.csr !== undefined && body.csr.trim() !== '';
  const hasDcv = body.domain_dcv !== undefined && Object.keys(body.domain_dcv).length > 0;
  if (hasCsr || hasDcv) return [];
  return [issue(['domain_dcv'], 'or csr must be given: a reissue changes the CSR, the domains or their validation methods')];
}

// ---------------------------------------------------------------- domain_dcv

/**
 * Why an approver address is not one the platform accepts for `domain`, or undefined: one of
 * the five mailboxes, at the domain (without its `*.`) or a parent domain of it.
 */
export function approverAddressRule(domain: string, address: string): string | undefined {
  const at = address.lastIndexOf('@');
  const local = lower(address.slice(0, at));
  const host = lower(address.slice(at + 1));
  const allowed = `one of ${APPROVER_LOCAL_PARTS.map((l) => `${l}@`).join(', ')} at ${baseOf(domain)} or a parent domain of it (WHOIS addresses are not accepted)`;
  if (at <= 0 || !host) return `must be dns, http, https or an approver e-mail address (${allowed}); "${address.trim()}" is none of them`;
  if (!(APPROVER_LOCAL_PARTS as readonly string[]).includes(local)) return `must be ${allowed}; ${local}@ is not an approver mailbox`;
  const base = baseOf(domain);
  const isParent = base === host || (base.endsWith(`.${host}`) && host.split('.').length >= APPROVER_PARENT_MIN_LABELS);
  if (!isParent) return `must be ${allowed}; ${host} is not ${base} or a parent of it`;
  return undefined;
}

/**
 * Why a file url cannot validate `domain`, or undefined: the file must be served by the
 * (sub)domain itself, not by its main domain or another host; a wildcard serves none.
 */
export function fileHostRule(domain: string, url: string): string | undefined {
  if (isWildcard(domain)) return `a wildcard (${domain.trim()}) cannot be validated by a file: use dns or an approver e-mail address`;
  let host: string;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return `must be an http(s) URL; "${url}" is not`;
    host = lower(u.hostname);
  } catch {
    return `must be a URL; "${url}" is not`;
  }
  const base = baseOf(domain);
  return host === base ? undefined : `must be on ${base} itself: a file for ${base} is served by ${base}, not by ${host}`;
}

/** Every rule one `domain_dcv` map breaks, each issue naming `domain_dcv.<domain>`. */
export function domainDcvIssues(domainDcv: Readonly<Record<string, string>>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Map<string, string>();
  for (const [domain, raw] of Object.entries(domainDcv)) {
    const path = ['domain_dcv', domain];
    const value = raw.trim();
    const method = value.toLowerCase();
    if (!isDomainName(domain)) {
      issues.push(issue(path, `must be a domain name (or a wildcard *.domain); "${domain}" is not`));
      continue;
    }
    const twin = seen.get(baseOf(domain) + (isWildcard(domain) ? '#*' : ''));
    if (twin !== undefined) {
      issues.push(issue(path, `names the same domain as ${twin}: one domain, one validation method`));
      continue;
    }
    seen.set(baseOf(domain) + (isWildcard(domain) ? '#*' : ''), domain);

    if ((DCV_METHOD_WORDS as readonly string[]).includes(method)) {
      if (isWildcard(domain) && method !== 'dns') {
        issues.push(issue(path, `is ${method}, but a wildcard takes only dns or an approver e-mail address (${method} validates the exact (sub)domain that serves the file)`));
      }
      continue;
    }
    const wrong = approverAddressRule(domain, value);
    if (wrong !== undefined) issues.push(issue(path, wrong));
  }
  return issues;
}

// ---------------------------------------------------------------- csr

const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+?)-----/g;
const CSR_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
const RSA_BITS = [2048, 4096];
const EC_CURVES = ['P-256', 'P-384'];
const ACCEPTED_KEYS = 'RSA of 2048 or 4096 bits, or ECDSA on P-256 or P-384';

/**
 * Every rule the `csr` breaks, read synchronously: a PEM CSR — not a private key, public key
 * or certificate (a private key pasted along is refused too, and never echoed) — whose key is
 * RSA 2048/4096 or ECDSA P-256/P-384. Its self-signature is `csrSignatureIssues`' (async).
 */
export function csrIssues(csr: string): FieldIssue[] {
  const fail = (rule: string): FieldIssue[] => [issue(['csr'], rule)];
  const labels = [...csr.matchAll(PEM_LABEL)].map((m) => m[1] ?? '');
  if (labels.some((l) => l.includes('PRIVATE KEY'))) return fail('must be a CSR, not a private key: never send the private key (the document: 是CSR而非私钥或公钥)');
  if (labels.some((l) => l.includes('PUBLIC KEY'))) return fail('must be a CSR, not a public key (the document: 是CSR而非私钥或公钥)');
  if (labels.length === 0) return fail('must be a PEM certificate signing request (-----BEGIN CERTIFICATE REQUEST-----)');
  if (!labels.every((l) => CSR_LABELS.has(l))) return fail(`must be a certificate signing request; it holds a block labelled "${labels.find((l) => !CSR_LABELS.has(l))}"`);
  if (labels.length > 1) return fail('must be one certificate signing request; it holds several');
  const key = csrKeyOf(csr);
  if (key === undefined) return fail('must be a PKCS#10 certificate signing request; this one does not parse');
  switch (key.type) {
    case 'rsa':
      return RSA_BITS.includes(key.bits) ? [] : fail(`must have a key the platform accepts (${ACCEPTED_KEYS}); this RSA key has ${key.bits} bits`);
    case 'ec':
      return EC_CURVES.includes(key.curve) ? [] : fail(`must have a key the platform accepts (${ACCEPTED_KEYS}); this EC key is on ${key.curve}`);
    case 'sm2':
      return fail(`must have a key the platform accepts (${ACCEPTED_KEYS}); this key is SM2`);
    default:
      return fail(`must have a key the platform accepts (${ACCEPTED_KEYS}); this key is ${key.algorithm}`);
  }
}

/**
 * The CSR's self-signature (orders/csr-check, the door's own check): a CSR not signed by its
 * key is refused by any CA. Only for a CSR `csrIssues` accepts.
 */
export async function csrSignatureIssues(csr: string): Promise<FieldIssue[]> {
  return (await checkCsr(csr, { field: 'csr', allowSm2: false })).map((i) => issue(i.path.map(String), i.rule));
}

// ---------------------------------------------------------------- organisation

/**
 * OV, EV, IV: every organisation field required; once the certificate was issued, none may
 * change (a field left out is not a change; the values are never echoed: personal data).
 */
export function organizationIssues(body: OrganizationFields, ctx: ReissueRuleContext): FieldIssue[] {
  if (ctx.validation === 'DV') return [];
  const issues: FieldIssue[] = [];
  for (const field of ORGANIZATION_FIELDS) {
    const value = body[field]?.trim();
    if (!value) {
      issues.push(issue([field], `is required for ${ctx.validation} certificates`));
      continue;
    }
    const issued = ctx.issuedOrganization?.[field]?.trim();
    if (issued !== undefined && (ORGANIZATION_LOCK_APPLIES_TO as readonly string[]).includes(ctx.validation) && issued !== value) {
      issues.push(issue([field], `cannot change once the ${ctx.validation} certificate has been issued: send the issued value`));
    }
  }
  return issues;
}

// ---------------------------------------------------------------- all of them

/** The body's shape (the strict schema) as field issues: a wrong type, an unknown field. */
export function shapeIssues(body: unknown, schema: typeof reissueBodySchema | typeof inferredCreateBodySchema = reissueBodySchema): FieldIssue[] {
  const read = schema.safeParse(body);
  if (read.success) return [];
  const what = schema === reissueBodySchema ? 'the reissue request' : 'the (inferred) create request';
  return read.error.issues.flatMap((i) => {
    const path = i.path.map(String);
    if (i.code === 'unrecognized_keys') return i.keys.map((key) => issue([...path, key], `is not a field of ${what}`));
    return [issue(path, i.message)];
  });
}

/** Every documented rule the body breaks (synchronous; the CSR's signature is `reissueIssuesWithSignature`'s). */
export function reissueIssues(body: ReissueBody, ctx: ReissueRuleContext): FieldIssue[] {
  const shape = shapeIssues(body);
  if (shape.length > 0) return shape;
  return [
    ...csrOrDomainDcvIssues(body),
    ...(body.domain_dcv === undefined ? [] : domainDcvIssues(body.domain_dcv)),
    ...(body.csr === undefined ? [] : csrIssues(body.csr)),
    ...organizationIssues(body, ctx),
  ];
}

/** `reissueIssues`, and then, for a CSR that passed them, its self-signature. */
export async function reissueIssuesWithSignature(body: ReissueBody, ctx: ReissueRuleContext): Promise<FieldIssue[]> {
  const issues = reissueIssues(body, ctx);
  if (body.csr === undefined || issues.some((i) => i.path[0] === 'csr') || shapeIssues(body).length > 0) return issues;
  return [...issues, ...(await csrSignatureIssues(body.csr))];
}

// ---------------------------------------------------------------- the (inferred) create

/** What the rules need to know of a create beyond its body: the certificate's kind. Never sent. */
export interface CreateRuleContext {
  validation: ValidationLevel;
}

/**
 * Every rule a create body breaks: its (inferred) shape — `csr` and a non-empty `domain_dcv`
 * required — then the reissue's documented rules for the same fields: each domain's method,
 * the CSR's key, the organisation fields for OV/EV/IV (nothing issued yet to lock them).
 */
export function createIssues(body: InferredCreateBody, ctx: CreateRuleContext): FieldIssue[] {
  const shape = shapeIssues(body, inferredCreateBodySchema);
  if (shape.length > 0) return shape;
  return [...domainDcvIssues(body.domain_dcv), ...csrIssues(body.csr), ...organizationIssues(body, { validation: ctx.validation })];
}

/** `createIssues`, and then, for a CSR that passed them, its self-signature. */
export async function createIssuesWithSignature(body: InferredCreateBody, ctx: CreateRuleContext): Promise<FieldIssue[]> {
  const issues = createIssues(body, ctx);
  if (issues.some((i) => i.path[0] === 'csr') || shapeIssues(body, inferredCreateBodySchema).length > 0) return issues;
  return [...issues, ...(await csrSignatureIssues(body.csr))];
}
