/**
 * The platform's services (certificates by `service_id`), their per-domain validations, the
 * reissue itself, charging by `unique_id`, issuance and revocation. In memory only.
 *
 * INFERRED (the document covers only the reissue): services are created by the create call
 * sketched in src/ca/reseller/inferred.ts (every domain pending, charged once by `unique_id`,
 * its price from the product table, products.ts) or seeded by the admin already issued; the
 * `service_id` format (8 letters and digits, the example's `o91bZ` is 5); the order `status` words other than `pending` (`issued`, from
 * src/ca/reseller/inferred.ts); a domain kept with the same method stays `valid` across a
 * reissue, a new domain or a changed method starts `pending` with a fresh token; the `cost`
 * (PRICE_PER_NEW_DOMAIN per added domain, the document's example figure; 0 otherwise); the
 * record value and file content formats; `ca_pem` = intermediate then root.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AcmapiCa } from '../acmapi/ca';
import type { CallbackSender } from './callbacks';
import type { DomainChecks } from './checks';
import type { ResellerCounters } from './counters';
import {
  type AcceptedKey,
  acceptCsrField,
  type CreateRequest,
  approverAddresses,
  checkOrganization,
  LEVELS,
  type Level,
  type Method,
  type Organization,
  Refusal,
  type ReissueRequest,
  type RequestedDcv,
} from './protocol';
import { priceOf, RESELLER_SIM_PRODUCTS, type ResellerSimProduct } from './products';

/** INFERRED: the document's example `cost` (4208.01), charged per domain a reissue adds. */
export const PRICE_PER_NEW_DOMAIN = 4208.01;
/** INFERRED: the brand in record values and file contents (the example's `comodoca.com`). */
export const DCV_BRAND = 'reseller-simulator.test';
export const FILE_DIR = '.well-known/pki-validation/';
const VALIDITY_DAYS = 365;

interface DomainState {
  domain: string;
  method: Method;
  status: 'pending' | 'valid';
  token: string;
  value: string;
  address?: string;
  lastCheck?: string;
}

export interface Certificate {
  serviceId: string;
  domains: string[];
  serialHex: string;
  pem: string;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  spkiSha256: string;
}

export interface Revocation {
  serviceId: string;
  serialHex: string;
  domains: string[];
  droppedDomains: string[];
  revokedAt: string;
  reason: 'domain replaced';
}

interface Service {
  serviceId: string;
  caid: string;
  validation: Level;
  organization: Organization;
  issuedOrganization?: Organization;
  key: AcceptedKey;
  domains: DomainState[];
  status: 'pending' | 'issued';
  certificate?: Certificate;
  notifyUrl?: string;
  contactEmail?: string;
  renew?: 0 | 1;
  /** The unique_id of the reissue that made the current state, and the answers of every one by its id. */
  currentUniqueId?: string;
  answers: Map<string, ReissueAnswer>;
}

export interface DcvView {
  type: 'dns' | 'http' | 'email';
  subdomain: string;
  topleveldomain: string;
  status: 'pending' | 'valid';
  dns?: { type: 'cname'; hostname: string; fullname: string; value: string };
  http?: { filename: string; filecontent: string; filepath: string; filefullpath: string; url: string };
  email?: { address: string; available: string[] };
}

/** The document's `data`, in its field order. */
export interface ReissueAnswer {
  cost: number;
  service_id: string;
  caid: string;
  status: string;
  cert_pem: string | null;
  ca_pem: string | null;
  not_before: string | null;
  not_after: string | null;
  dcv: Record<string, DcvView>;
}

export interface CreateServiceInput {
  serviceId: string;
  domains: string[];
  validation: Level;
  /** PEM; absent: a P-256 key made here. */
  csr?: string;
  organization?: Organization;
  /** Method per domain for the seeded (valid) validations; default dns. An approver address means email. */
  methods?: Record<string, string>;
  notifyUrl?: string;
}

const base = (d: string): string => d.replace(/^\*\./, '');
const hex = (n: number): string => randomBytes(n).toString('hex');
const today = (): string => new Date().toISOString().slice(0, 10).replace(/-/g, '');

function newDomain(r: RequestedDcv): DomainState {
  const token = hex(16);
  return { domain: r.domain, method: r.method, status: 'pending', token, value: `${hex(16)}.${hex(16)}.${today()}.${DCV_BRAND}`, address: r.address };
}

/** `subdomain` / `topleveldomain` as the example splits them (two last labels: no public suffix list, INFERRED). */
function split(domain: string): { subdomain: string; topleveldomain: string } {
  const labels = domain.split('.');
  return { subdomain: labels.slice(0, -2).join('.'), topleveldomain: labels.slice(-2).join('.') };
}

function dcvView(d: DomainState): DcvView {
  const name = base(d.domain);
  const head = { ...split(d.domain), status: d.status };
  switch (d.method) {
    case 'dns':
      return { type: 'dns', ...head, dns: { type: 'cname', hostname: `_${d.token}`, fullname: `_${d.token}.${name}`, value: d.value } };
    case 'http':
    case 'https': {
      // As in the document's example: a requested `https` is answered type "http" with an https:// url.
      const filename = `${d.token}.txt`;
      const [a, b, date] = d.value.split('.');
      const filecontent = `${a}${b}${date}\n${date}\n${DCV_BRAND}`;
      return { type: 'http', ...head, http: { filename, filecontent, filepath: FILE_DIR, filefullpath: `${FILE_DIR}${filename}`, url: `${d.method}://${name}/${FILE_DIR}${filename}` } };
    }
    case 'email':
      return { type: 'email', ...head, email: { address: d.address ?? `admin@${name}`, available: approverAddresses(d.domain) } };
  }
}

function methodOf(value: string | undefined, domain: string): RequestedDcv {
  const v = (value ?? 'dns').trim().toLowerCase();
  if (v === 'dns' || v === 'http' || v === 'https') return { domain, method: v };
  if (v.includes('@')) return { domain, method: 'email', address: v };
  throw new Refusal(`methods.${domain}: dns, http, https or an approver address`);
}

/** What the customer must publish for one pending dns or file domain, as the answer's `dcv` says it. */
export interface PendingPublication {
  serviceId: string;
  domain: string;
  method: Exclude<Method, 'email'>;
  /** dns: the CNAME `fullname` → `value`. */
  dns?: { fullname: string; value: string };
  /** http/https: `content` at `path` on `host`, over `scheme`. */
  file?: { host: string; path: string; content: string; scheme: 'http' | 'https' };
}

export interface ServiceDeps {
  ca: AcmapiCa;
  /** What the create sells (default RESELLER_SIM_PRODUCTS). */
  products?: readonly ResellerSimProduct[];
  checks: DomainChecks;
  counters: ResellerCounters;
  callbacks: CallbackSender;
  log: Logger;
  /**
   * Development stacks (`npm start`): told of every dns or file domain a create or reissue
   * leaves pending, so a stand-in customer can publish it at once. Tests leave it unset.
   */
  onPending?: (p: PendingPublication) => void;
}

export class ServiceStore {
  private readonly services = new Map<string, Service>();
  /** Every unique_id charged: the service it made or reissued, and which call. */
  private readonly uniqueIds = new Map<string, { serviceId: string; call: 'create' | 'reissue' }>();
  private readonly products: ReadonlyMap<string, ResellerSimProduct>;
  private readonly issued: Certificate[] = [];
  private readonly revocations: Revocation[] = [];
  private caidSeq = 358_174_513;

  constructor(private readonly d: ServiceDeps) {
    this.products = new Map((d.products ?? RESELLER_SIM_PRODUCTS).map((p) => [p.id.toUpperCase(), p]));
  }

  clear(): void {
    this.services.clear();
    this.uniqueIds.clear();
    this.issued.length = 0;
    this.revocations.length = 0;
  }

  certificates(): Certificate[] {
    return structuredClone(this.issued);
  }

  revoked(): Revocation[] {
    return structuredClone(this.revocations);
  }

  /** INFERRED: the document has no create call; a seeded service holds an issued certificate, every domain valid. */
  async create(input: CreateServiceInput): Promise<ReissueAnswer> {
    const serviceId = input.serviceId.trim();
    if (!serviceId) throw new Refusal('serviceId: required');
    if (this.services.has(serviceId)) throw new Refusal(`serviceId: ${serviceId} exists`);
    if (!LEVELS.includes(input.validation)) throw new Refusal('validation: DV, OV, EV or IV');
    if (input.domains.length === 0) throw new Refusal('domains: at least one');
    const organization = input.organization ?? {};
    checkOrganization(input.validation, organization, undefined);
    const key = input.csr ? await acceptCsrField(input.csr) : generatedKey();
    const domains = input.domains.map((raw) => {
      const domain = raw.trim().toLowerCase();
      return { ...newDomain(methodOf(input.methods?.[raw], domain)), status: 'valid' as const };
    });
    const s: Service = {
      serviceId,
      caid: String(this.caidSeq++),
      validation: input.validation,
      organization,
      key,
      domains,
      status: 'pending',
      notifyUrl: input.notifyUrl,
      answers: new Map(),
    };
    this.services.set(serviceId, s);
    await this.issue(s, false);
    return this.view(s, 0);
  }

  /**
   * The (INFERRED) create: a new service, every domain `pending` with a fresh token, status
   * `pending`, charged the product's price once. A repeated unique_id answers the service it
   * made (its current state, the first charge) and makes and charges nothing.
   */
  async order(r: CreateRequest): Promise<ReissueAnswer> {
    const used = this.uniqueIds.get(r.uniqueId);
    if (used !== undefined) {
      if (used.call !== 'create') throw new Refusal(`unique_id: 不能重复 (already used for a reissue of service ${used.serviceId})`);
      const s = this.get(used.serviceId);
      const first = s.answers.get(r.uniqueId)!;
      return s.currentUniqueId === r.uniqueId ? this.view(s, first.cost) : first;
    }
    const product = this.products.get(r.productId.trim().toUpperCase());
    if (!product) throw new Refusal(`product_id: 产品不存在 (unknown product ${r.productId})`);
    checkOrganization(product.level, r.organization, undefined);
    let serviceId: string;
    do serviceId = serviceIdOf(); while (this.services.has(serviceId));
    const s: Service = {
      serviceId,
      caid: String(this.caidSeq++),
      validation: product.level,
      organization: product.level === 'DV' ? {} : { ...r.organization },
      key: r.csr,
      domains: r.dcv.map(newDomain),
      status: 'pending',
      notifyUrl: r.notifyUrl,
      contactEmail: r.contactEmail,
      currentUniqueId: r.uniqueId,
      answers: new Map(),
    };
    const cost = priceOf(product, r.period);
    this.services.set(serviceId, s);
    this.uniqueIds.set(r.uniqueId, { serviceId, call: 'create' });
    this.d.counters.charge(r.uniqueId);
    this.d.counters.bump('creates');
    this.d.log.info({ serviceId, uniqueId: r.uniqueId, product: product.id, level: product.level, domains: s.domains.map((d) => `${d.domain}:${d.method}`), cost }, 'reseller simulator: create');
    this.published(s);
    const answer = this.view(s, cost);
    s.answers.set(r.uniqueId, answer);
    return answer;
  }

  /** `onPending` for each pending dns or file domain of the service. */
  private published(s: Service): void {
    if (!this.d.onPending) return;
    for (const d of s.domains) {
      if (d.status !== 'pending' || d.method === 'email') continue;
      const v = dcvView(d);
      const file = v.http && new URL(v.http.url);
      this.d.onPending({
        serviceId: s.serviceId,
        domain: d.domain,
        method: d.method,
        ...(v.dns ? { dns: { fullname: v.dns.fullname, value: v.dns.value } } : {}),
        ...(file && v.http ? { file: { host: file.hostname, path: file.pathname, content: v.http.filecontent, scheme: file.protocol === 'https:' ? 'https' : 'http' } } : {}),
      });
    }
  }

  get(serviceId: string): Service {
    const s = this.services.get(serviceId);
    if (!s) throw new Refusal(`service_id: 证书编号不存在 (unknown service ${serviceId})`);
    return s;
  }

  async viewOf(serviceId: string): Promise<ReissueAnswer> {
    return this.view(this.get(serviceId), 0);
  }

  /** The reissue: a repeated unique_id answers its first reissue's state and charges nothing. */
  async reissue(r: ReissueRequest): Promise<ReissueAnswer> {
    const used = this.uniqueIds.get(r.uniqueId);
    if (used !== undefined && (used.serviceId !== r.serviceId || used.call !== 'reissue')) {
      throw new Refusal(`unique_id: 不能重复 (already used for the ${used.call} of service ${used.serviceId})`);
    }
    const s = this.get(r.serviceId);
    if (used !== undefined) {
      const first = s.answers.get(r.uniqueId)!;
      return s.currentUniqueId === r.uniqueId ? this.view(s, first.cost) : first;
    }
    checkOrganization(s.validation, r.organization, s.issuedOrganization);

    const requested = r.dcv ?? s.domains.map((d) => ({ domain: d.domain, method: d.method, address: d.address }));
    const old = new Map(s.domains.map((d) => [d.domain, d]));
    const domains = requested.map((q) => {
      const kept = old.get(q.domain);
      return kept && kept.method === q.method && kept.address === q.address ? kept : newDomain(q);
    });
    const added = domains.filter((d) => !old.has(d.domain)).length;
    const dropped = s.domains.map((d) => d.domain).filter((d) => !domains.some((n) => n.domain === d));
    const cost = Math.round(added * PRICE_PER_NEW_DOMAIN * 100) / 100;

    this.uniqueIds.set(r.uniqueId, { serviceId: s.serviceId, call: 'reissue' });
    this.d.counters.charge(r.uniqueId);
    this.d.counters.bump('reissues');
    if (dropped.length > 0 && s.certificate) this.revoke(s, dropped);
    s.domains = domains;
    if (r.csr) s.key = r.csr;
    if (s.validation !== 'DV') s.organization = { ...s.organization, ...r.organization };
    if (r.notifyUrl) s.notifyUrl = r.notifyUrl;
    if (r.contactEmail) s.contactEmail = r.contactEmail;
    s.renew = r.renew;
    s.currentUniqueId = r.uniqueId;
    this.published(s);
    const before = s.status;
    s.status = 'pending';
    s.certificate = dropped.length > 0 ? undefined : s.certificate;
    this.d.log.info({ serviceId: s.serviceId, uniqueId: r.uniqueId, domains: domains.map((d) => `${d.domain}:${d.method}:${d.status}`), dropped, cost }, 'reseller simulator: reissue');
    const issuedNow = await this.advance(s, false);
    if (!issuedNow && before !== s.status) this.notify(s);
    const answer = this.view(s, cost);
    s.answers.set(r.uniqueId, answer);
    return answer;
  }

  /** The status read: pending dns/http(s) domains are looked at again; issued once every domain is valid. */
  async refresh(serviceId: string): Promise<ReissueAnswer> {
    const s = this.get(serviceId);
    await this.advance(s, true);
    return this.view(s, 0);
  }

  /** A person at the CA records the approver's click (e-mail validation has no other way here). */
  async approveEmail(serviceId: string, domain: string): Promise<ReissueAnswer> {
    const s = this.get(serviceId);
    const d = s.domains.find((x) => x.domain === domain.trim().toLowerCase());
    if (!d) throw new Refusal(`domain: ${domain} is not in service ${serviceId}`);
    if (d.method !== 'email') throw new Refusal(`domain: ${domain} is validated by ${d.method}, not email`);
    if (d.status === 'pending') {
      d.status = 'valid';
      this.d.counters.validation('email', true);
    }
    await this.advance(s, false);
    return this.view(s, 0);
  }

  /** Checks pending domains (when `check`), then issues if all are valid. True when it issued. */
  private async advance(s: Service, check: boolean): Promise<boolean> {
    if (s.status === 'issued') return false;
    let validated = 0;
    if (check) {
      await Promise.all(
        s.domains.filter((d) => d.status === 'pending' && d.method !== 'email').map(async (d) => {
          const v = dcvView(d);
          const r = v.dns ? await this.d.checks.cname(v.dns.fullname, v.dns.value) : await this.d.checks.file(v.http!.url, v.http!.filecontent);
          this.d.counters.validation(d.method, r.ok);
          d.lastCheck = r.ok ? 'valid' : (r.reason ?? 'not valid');
          if (r.ok) {
            d.status = 'valid';
            validated++;
          } else this.d.log.info({ serviceId: s.serviceId, domain: d.domain, method: d.method, reason: r.reason }, 'reseller simulator: domain not validated');
        }),
      );
    }
    if (s.domains.some((d) => d.status !== 'valid')) {
      // A domain validated, others still pending: a change the callback reports too.
      if (validated > 0) this.notify(s);
      return false;
    }
    await this.issue(s, true);
    return true;
  }

  private async issue(s: Service, notify: boolean): Promise<void> {
    const names = s.domains.map((d) => d.domain);
    const leaf = await this.d.ca.issue(names, s.key, VALIDITY_DAYS);
    const cert: Certificate = {
      serviceId: s.serviceId,
      domains: names,
      serialHex: leaf.serialHex,
      pem: leaf.pem,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      issuedAt: new Date().toISOString(),
      spkiSha256: createHash('sha256').update(s.key.spki).digest('hex'),
    };
    s.certificate = cert;
    s.status = 'issued';
    if (s.validation !== 'DV') s.issuedOrganization = { ...s.organization };
    this.issued.push(cert);
    this.d.counters.bump('certificatesIssued');
    this.d.log.info({ serviceId: s.serviceId, serial: leaf.serialHex, domains: names }, 'reseller simulator: certificate issued');
    if (notify) this.notify(s);
  }

  private revoke(s: Service, dropped: string[]): void {
    const c = s.certificate!;
    this.revocations.push({ serviceId: s.serviceId, serialHex: c.serialHex, domains: c.domains, droppedDomains: dropped, revokedAt: new Date().toISOString(), reason: 'domain replaced' });
    this.d.counters.bump('certificatesRevoked');
    this.d.log.info({ serviceId: s.serviceId, serial: c.serialHex, dropped }, 'reseller simulator: certificate revoked (domain replaced)');
  }

  private notify(s: Service): void {
    if (s.notifyUrl) this.d.callbacks.send(s.notifyUrl, { service_id: s.serviceId, caid: s.caid, status: s.status });
  }

  private view(s: Service, cost: number): ReissueAnswer {
    const c = s.status === 'issued' ? s.certificate : undefined;
    return {
      cost,
      service_id: s.serviceId,
      caid: s.caid,
      status: s.status,
      cert_pem: c?.pem ?? null,
      ca_pem: c ? this.d.ca.chainPems.join('') : null,
      not_before: c?.notBefore ?? null,
      not_after: c?.notAfter ?? null,
      dcv: Object.fromEntries(s.domains.map((d) => [d.domain, dcvView(d)])),
    };
  }
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** INFERRED: a `service_id` like the example's `o91bZ`, letters and digits (8 of them here). */
function serviceIdOf(): string {
  return [...randomBytes(8)].map((b) => ALNUM[b % ALNUM.length]).join('');
}

/** A seeded service without a CSR gets a P-256 key of its own. */
function generatedKey(): AcceptedKey {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { spki: publicKey.export({ type: 'spki', format: 'der' }), keyType: 'ec', keyDescription: 'ECDSA P-256' };
}
