/**
 * The reseller platform's reissue request as the simulated CA reads it (seed 004, "证书重签接口",
 * ca-apis.md §4). Written for the simulator alone: it plays the independent CA, so it shares
 * no rule code with certflow's client (src/ca/reseller/rules.ts) — a misreading of the
 * document in one cannot hide the same misreading in the other. A refusal is
 * `{ success: false, message }` (INFERRED: the document shows no failure), the message naming
 * the field and quoting the document's own words.
 */
import { createPublicKey } from 'node:crypto';
import { inspectCsr } from '../wotrus/csr';

export type Level = 'DV' | 'OV' | 'EV' | 'IV';
export const LEVELS: readonly Level[] = ['DV', 'OV', 'EV', 'IV'];
export type Method = 'dns' | 'http' | 'https' | 'email';

/** The document's organisation fields, each "如果为`OV`、`EV`、`IV`类型的证书,则必须填写". */
export const ORG_FIELDS = [
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
export type Organization = Partial<Record<(typeof ORG_FIELDS)[number], string>>;

/** "只支持admin@、administrator@、postmaster@、webmaster@、hostmaster@ + <子域名 或 主域名>". */
export const APPROVER_MAILBOXES = ['admin', 'administrator', 'webmaster', 'postmaster', 'hostmaster'] as const;

export class Refusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Refusal';
  }
}

/** One domain's requested method; `email` carries the approver address. */
export interface RequestedDcv {
  domain: string;
  method: Method;
  address?: string;
}

export interface AcceptedKey {
  spki: Buffer;
  keyType: 'rsa' | 'ec';
  keyDescription: string;
}

export interface ReissueRequest {
  uniqueId: string;
  serviceId: string;
  dcv?: RequestedDcv[];
  csr?: AcceptedKey;
  contactEmail?: string;
  renew?: 0 | 1;
  organization: Organization;
  notifyUrl?: string;
}

const norm = (d: string): string => d.trim().toLowerCase().replace(/\.$/, '');
const LABEL_RE = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function hostLike(name: string): boolean {
  const labels = name.split('.');
  return labels.length >= 2 && labels.every((l) => LABEL_RE.test(l)) && !/^\d+$/.test(labels.at(-1)!);
}

/** The domain itself and each parent of at least two labels: where an approver mailbox may be. */
export function approverDomains(domain: string): string[] {
  const labels = norm(domain).replace(/^\*\./, '').split('.');
  const out: string[] = [];
  for (let i = 0; labels.length - i >= 2; i++) out.push(labels.slice(i).join('.'));
  return out;
}

export function approverAddresses(domain: string): string[] {
  return approverDomains(domain).flatMap((d) => APPROVER_MAILBOXES.map((m) => `${m}@${d}`));
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** `csr`: "是CSR而非私钥或公钥!若算法RSA必须2048、4096 bits,若算法ECDSA必须P-256、P-384". */
export async function acceptCsrField(text: string): Promise<AcceptedKey> {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) throw new Refusal('csr: 是CSR而非私钥 (a private key was sent, not a CSR)');
  if (/-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(text)) throw new Refusal('csr: 是CSR而非公钥 (a public key was sent, not a CSR)');
  const inspected = await inspectCsr(text);
  if (!inspected.ok) {
    const p = inspected.problem;
    if (p.kind === 'rsa-too-small') throw new Refusal(`csr: 若算法RSA必须2048、4096 bits (RSA ${p.bits})`);
    if (p.kind === 'unsupported-key') throw new Refusal(`csr: 若算法ECDSA必须P-256、P-384 (${p.algorithm})`);
    throw new Refusal(`csr: 不是有效的CSR (${p.kind})`);
  }
  const { spki, keyType, keyDescription } = inspected.csr;
  if (keyType === 'sm2') throw new Refusal('csr: 若算法RSA必须2048、4096 bits,若算法ECDSA必须P-256、P-384 (SM2)');
  if (keyType === 'rsa') {
    const bits = createPublicKey({ key: spki, format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength;
    if (bits !== 2048 && bits !== 4096) throw new Refusal(`csr: 若算法RSA必须2048、4096 bits (RSA ${bits ?? '?'})`);
  }
  return { spki, keyType, keyDescription };
}

function readDcv(raw: unknown): RequestedDcv[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Refusal('domain_dcv: 必须是 域名 → 验证类型 的对象 (must map domain → method)');
  const seen = new Set<string>();
  const out: RequestedDcv[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const domain = norm(key);
    const field = `domain_dcv.${key}`;
    if (!hostLike(domain.replace(/^\*\./, ''))) throw new Refusal(`${field}: 不是有效的域名 (not a domain name)`);
    if (seen.has(domain)) throw new Refusal(`${field}: 一条域名对应一种验证类型 (domain given twice)`);
    seen.add(domain);
    const v = str(value)?.toLowerCase();
    if (v === undefined) throw new Refusal(`${field}: 验证类型必填 (dns, http, https or an approver e-mail)`);
    const wildcard = domain.startsWith('*.');
    if (v === 'dns') {
      out.push({ domain, method: 'dns' });
    } else if (v === 'http' || v === 'https') {
      if (wildcard) throw new Refusal(`${field}: 通配符只支持dns或email验证 (a wildcard takes dns or e-mail only, not ${v})`);
      out.push({ domain, method: v });
    } else if (v.includes('@')) {
      const [local, at] = v.split('@') as [string, string];
      if (!(APPROVER_MAILBOXES as readonly string[]).includes(local) || !approverDomains(domain).includes(at)) {
        throw new Refusal(`${field}: 邮箱验证不支持whois邮箱,只支持admin@、administrator@、postmaster@、webmaster@、hostmaster@ + <子域名 或 主域名> 组合的邮箱 (${v})`);
      }
      out.push({ domain, method: 'email', address: v });
    } else {
      throw new Refusal(`${field}: 验证类型只能是dns、http、https或邮箱 (not "${v}")`);
    }
  }
  if (out.length === 0) throw new Refusal('domain_dcv: 与csr必传1个 (domain_dcv is empty)');
  return out;
}

/** The request's shape and its rules that need no service; the service's own (organisation, level) are checked by the store. */
export async function readReissue(body: unknown): Promise<ReissueRequest> {
  if (typeof body !== 'object' || body === null) throw new Refusal('请求体必须是JSON对象 (the body must be a JSON object)');
  const b = body as Record<string, unknown>;
  const uniqueId = str(b.unique_id);
  if (!uniqueId) throw new Refusal('unique_id: 唯一标识符,必填 (required)');
  const serviceId = str(b.service_id);
  if (!serviceId) throw new Refusal('service_id: 证书编号,必填 (required)');
  const csrText = str(b.csr);
  if (b.domain_dcv === undefined && !csrText) throw new Refusal('domain_dcv: 与`csr`必传1个 (domain_dcv or csr must be given)');
  const dcv = b.domain_dcv === undefined ? undefined : readDcv(b.domain_dcv);
  const csr = csrText ? await acceptCsrField(csrText) : undefined;
  if (b.renew !== undefined && b.renew !== 0 && b.renew !== 1) throw new Refusal('renew: 只能是0或1 (must be 0 or 1)');
  const notifyUrl = str(b.notify_url);
  if (notifyUrl !== undefined && !/^https?:\/\//i.test(notifyUrl)) throw new Refusal('notify_url: 必须是http(s)地址 (must be an http(s) URL)');
  const organization: Organization = {};
  for (const f of ORG_FIELDS) {
    const v = str(b[f]);
    if (v !== undefined) organization[f] = v;
  }
  return { uniqueId, serviceId, dcv, csr, contactEmail: str(b.contact_email), renew: b.renew as 0 | 1 | undefined, organization, notifyUrl };
}

/** The (INFERRED) create: the reissue's fields less `service_id` and `renew`, plus `product_id` and `period`. */
export interface CreateRequest {
  uniqueId: string;
  productId: string;
  /** Months. */
  period: number;
  dcv: RequestedDcv[];
  csr: AcceptedKey;
  contactEmail?: string;
  organization: Organization;
  notifyUrl?: string;
}

/**
 * The create's shape and its rules that need no product (INFERRED call, src/ca/reseller/inferred.ts
 * `inferredCreateBodySchema`, read here with this simulator's own code): `unique_id`,
 * `product_id`, `period` (months), `csr` and `domain_dcv` all required — an order needs a key
 * and names — and `domain_dcv` and `csr` held to the reissue's documented rules.
 */
export async function readCreate(body: unknown): Promise<CreateRequest> {
  if (typeof body !== 'object' || body === null) throw new Refusal('请求体必须是JSON对象 (the body must be a JSON object)');
  const b = body as Record<string, unknown>;
  const uniqueId = str(b.unique_id);
  if (!uniqueId) throw new Refusal('unique_id: 唯一标识符,必填 (required)');
  const productId = str(b.product_id);
  if (!productId) throw new Refusal('product_id: 产品ID,必填 (required)');
  const period = b.period;
  if (typeof period !== 'number' || !Number.isInteger(period) || period < 1 || period > 120) throw new Refusal('period: 购买时长(月),必须是1到120的整数 (months, an integer 1..120)');
  const csrText = str(b.csr);
  if (!csrText) throw new Refusal('csr: 下单必须提供CSR (required to order)');
  if (b.domain_dcv === undefined) throw new Refusal('domain_dcv: 下单必须提供域名及验证方式 (required to order)');
  const dcv = readDcv(b.domain_dcv);
  const csr = await acceptCsrField(csrText);
  const notifyUrl = str(b.notify_url);
  if (notifyUrl !== undefined && !/^https?:\/\//i.test(notifyUrl)) throw new Refusal('notify_url: 必须是http(s)地址 (must be an http(s) URL)');
  const organization: Organization = {};
  for (const f of ORG_FIELDS) {
    const v = str(b[f]);
    if (v !== undefined) organization[f] = v;
  }
  return { uniqueId, productId, period, dcv, csr, contactEmail: str(b.contact_email), organization, notifyUrl };
}

/** OV/EV/IV: every organisation field present; once issued, none of them changed (INFERRED for EV/IV: "OV证书…(下同)"). */
export function checkOrganization(level: Level, given: Organization, issued: Organization | undefined): void {
  if (level === 'DV') return;
  for (const f of ORG_FIELDS) {
    if (given[f] === undefined) throw new Refusal(`${f}: 如果为\`OV\`、\`EV\`、\`IV\`类型的证书,则必须填写 (required for ${level})`);
    if (issued?.[f] !== undefined && issued[f] !== given[f]) throw new Refusal(`${f}: 证书如果已经签发过,则不允许更改公司信息 (cannot change once issued)`);
  }
}
