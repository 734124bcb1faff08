/**
 * The semantics of the seven WoTrus calls, independent of HTTP: validation as a CA does it
 * (nothing is created on bad input), idempotence, and the hand-off to the state machine.
 */
import { randomUUID } from 'node:crypto';
import { domainToASCII } from 'node:url';
import type { Logger } from 'pino';
import { findProduct, isBindableRsaProduct, type SimProduct } from './catalog';
import type { Counters } from './counters';
import { inspectCsr, type InspectedCsr } from './csr';
import { CANCEL_REASONS, SIM_ERRORS } from './errors';
import type { SimOrder, SimOrg, SimStatus } from './model';
import type { Pki } from './pki';
import {
  cancelBodySchema,
  type CreateBody,
  createBodySchema,
  emailBodySchema,
  parseBody,
  reissueBodySchema,
  revokeBodySchema,
} from './requests';
import { OrderEngine } from './state-machine';
import type { OrderStore } from './store';
import { nextOrderNumber, toCstIso } from './time';
import { EMPTY_RETRIEVE, queryView, type RetrieveData, retrieveView } from './views';

export type OpResult = { ok: true; data: unknown; successMsg?: string } | { ok: false; errorMsg: string; data?: unknown };

const fail = (errorMsg: string, data?: unknown): OpResult => ({ ok: false, errorMsg, data });

export const VALID_MONTHS: ReadonlySet<number> = new Set([12, 13, 24, 25]);
const BUSINESS_CATEGORIES = new Set(['Business Entity', 'Private Organization', 'Government Entity', 'Non-Commercial Entity']);
const FILE_TYPES = new Set(['.jpg', '.gif', '.pdf']);
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A host name as it goes into a certificate: IDN to punycode, lower case, `*.` allowed in front. */
export function toCertHost(name: string): string | undefined {
  const lower = name.trim().toLowerCase();
  if (IPV4.test(lower)) return lower;
  const wildcard = lower.startsWith('*.');
  const ascii = domainToASCII(wildcard ? lower.slice(2) : lower);
  if (!ascii || !HOST.test(ascii)) return undefined;
  return wildcard ? `*.${ascii}` : ascii;
}

type CsrCheck = { ok: true; csr: InspectedCsr } | { ok: false; errorMsg: string };
async function checkCsr(field: string, pem: string | undefined): Promise<CsrCheck> {
  const r = await inspectCsr(pem);
  return r.ok ? r : { ok: false, errorMsg: SIM_ERRORS.csr(field, r.problem) };
}

function normalizeOrg(raw: NonNullable<CreateBody['organizationpost']>): Partial<SimOrg> {
  return {
    orgName: raw.orgname,
    countryCode: raw.countrycode?.toUpperCase(),
    businessCategory: raw.businesscategory,
    orgPhone: raw.orgphone,
    orgEmail: raw.orgemail,
    userFirstName: raw.userfirstname,
    userLastName: raw.userlastname,
    userEmail: raw.useremail,
    userMobile: raw.usermobile,
    idCardNo: raw.idcardno ?? raw.idcardnumber,
    state: raw.state,
    city: raw.city,
    street: raw.street,
    zip: raw.zip,
    businessLicense: raw.businesslicense,
    otherName: raw.othername,
  };
}

function validateOrg(product: SimProduct, raw: CreateBody['organizationpost']): { ok: true; org?: SimOrg } | { ok: false; errorMsg: string } {
  const org = raw ? normalizeOrg(raw) : {};
  // The doc's example sends blank strings for unused fields: an all-blank organisation is "not given".
  const given = Object.values(org).some((v) => v !== undefined);
  if (!given) return product.requiresOrg ? { ok: false, errorMsg: SIM_ERRORS.orgRequired() } : { ok: true };
  if (!org.orgName) return { ok: false, errorMsg: SIM_ERRORS.orgNameRequired() };
  if (!org.countryCode) return { ok: false, errorMsg: SIM_ERRORS.countryCodeRequired() };
  if (!/^[A-Z]{2}$/.test(org.countryCode)) return { ok: false, errorMsg: SIM_ERRORS.countryCodeInvalid(org.countryCode) };
  if (org.businessCategory && !BUSINESS_CATEGORIES.has(org.businessCategory)) return { ok: false, errorMsg: SIM_ERRORS.businessCategoryInvalid(org.businessCategory) };
  const clean = Object.fromEntries(Object.entries(org).filter(([, v]) => v !== undefined)) as SimOrg;
  return { ok: true, org: clean };
}

/**
 * V1.02 `BindRSAProductID` (any casing; the create schema passes unknown keys through,
 * lower-cased): the RSA product an SM2 order binds.
 */
function bindRsaProductIdOf(info: NonNullable<CreateBody['orderinfopost']>): string | undefined {
  // V1.02 `BindRSAProductID`, before it `BindRSAProductType`.
  const fields = info as Record<string, unknown>;
  const raw = fields.bindrsaproductid ?? fields.bindrsaproducttype;
  return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
}

export interface OperationsDeps {
  store: OrderStore;
  engine: OrderEngine;
  pki: Pki;
  counters: Counters;
  log: Logger;
  baseUrl: () => string;
}

export class WoTrusOperations {
  constructor(private readonly d: OperationsDeps) {}

  private newOrder(fields: Omit<SimOrder, 'id' | 'orderNumber' | 'createTime' | 'createdAt' | 'transitions' | 'isPay' | 'reissuedTo' | 'orgId'> & { orgId?: string }): SimOrder {
    const now = Date.now();
    const orderNumber = nextOrderNumber(now, this.d.store.lastOrderNumber);
    this.d.store.lastOrderNumber = orderNumber;
    const order: SimOrder = {
      ...fields,
      id: randomUUID().toUpperCase(),
      orderNumber,
      orgId: fields.orgId ?? randomUUID(),
      createTime: toCstIso(now),
      createdAt: now,
      transitions: [{ status: fields.status, at: now, by: 'api' }],
      isPay: 1,
      reissuedTo: [],
    };
    this.d.store.insert(order);
    return order;
  }

  private createAnswer(primary: SimOrder): OpResult {
    return { ok: true, successMsg: '创建订单成功', data: { orderId: primary.id, orderId_RSA: primary.role === 'sm2' ? (primary.bundleId ?? null) : null } };
  }

  /**
   * The CSRs of a create, by product. V1.02: "the parameter follows the CSR's type" — an SM2
   * product's signing CSR goes in `Csr_Sign` (formerly `Csr`), its encryption CSR in
   * `csr_Encrypt` (optional: without it the CA makes the encryption key, as a KMC does), and
   * an RSA/ECC CSR in `csR_RSA` opens the bound RSA order (`BindRSAProductID`, else the
   * product's default). Tolerated: an SM2 CSR alone in `csR_RSA`, the one CSR field the
   * create table documents, is the signing CSR. Other products take `csR_RSA` (or, from old
   * clients, `Csr_Sign`/`csr`).
   */
  private async createCsrs(
    product: SimProduct,
    info: NonNullable<CreateBody['orderinfopost']>,
  ): Promise<
    | { ok: true; signCsr?: InspectedCsr; encCsr?: InspectedCsr; rsaCsr?: InspectedCsr; boundRsa?: SimProduct }
    | { ok: false; errorMsg: string }
  > {
    const wrongKey = (field: string, wanted: 'SM2' | 'RSA or ECDSA', csr: InspectedCsr) => ({ ok: false as const, errorMsg: SIM_ERRORS.csrKeyType(field, wanted, csr.keyDescription) });
    if (product.kind !== 'sm2') {
      const [field, text] = info.csr_rsa ? ['csR_RSA', info.csr_rsa] : info.csr_sign ? ['Csr_Sign', info.csr_sign] : info.csr ? ['csr', info.csr] : ['csR_RSA', undefined];
      const r = await checkCsr(field, text);
      if (!r.ok) return r;
      if (r.csr.keyType === 'sm2') return wrongKey(field, 'RSA or ECDSA', r.csr);
      return { ok: true, rsaCsr: r.csr };
    }
    const bindId = bindRsaProductIdOf(info);
    let rsaCsr: InspectedCsr | undefined;
    if (info.csr_rsa) {
      const r = await checkCsr('csR_RSA', info.csr_rsa);
      if (!r.ok) return r;
      rsaCsr = r.csr;
    }
    let signCsr: InspectedCsr;
    const signText = info.csr_sign ?? info.csr;
    const signField = info.csr_sign || !info.csr ? 'Csr_Sign' : 'csr';
    if (signText) {
      const r = await checkCsr(signField, signText);
      if (!r.ok) return r;
      signCsr = r.csr;
    } else if (rsaCsr?.keyType === 'sm2' && !bindId) {
      signCsr = rsaCsr;
      rsaCsr = undefined;
    } else {
      return { ok: false, errorMsg: SIM_ERRORS.csr('Csr_Sign', { kind: 'missing' }) };
    }
    if (signCsr.keyType !== 'sm2') return wrongKey(signField, 'SM2', signCsr);
    let encCsr: InspectedCsr | undefined;
    if (info.csr_encrypt) {
      const r = await checkCsr('csr_Encrypt', info.csr_encrypt);
      if (!r.ok) return r;
      if (r.csr.keyType !== 'sm2') return wrongKey('csr_Encrypt', 'SM2', r.csr);
      encCsr = r.csr;
    }
    if (!rsaCsr) return bindId ? { ok: false, errorMsg: SIM_ERRORS.rsaCsrRequiredForBind() } : { ok: true, signCsr, encCsr };
    if (rsaCsr.keyType === 'sm2') return wrongKey('csR_RSA', 'RSA or ECDSA', rsaCsr);
    const boundId = bindId ?? product.bindsRsaProductId;
    const boundRsa = boundId ? findProduct(boundId) : undefined;
    if (!boundRsa || !isBindableRsaProduct(boundRsa)) return { ok: false, errorMsg: SIM_ERRORS.bindRsaProductInvalid(boundId ?? '') };
    return { ok: true, signCsr, encCsr, rsaCsr, boundRsa };
  }

  async create(body: unknown): Promise<OpResult> {
    const parsed = parseBody(createBodySchema, body);
    if (!parsed.ok) return fail(SIM_ERRORS.badBody(parsed.detail));
    const info = parsed.value.orderinfopost;
    if (!info) return fail(SIM_ERRORS.orderInfoRequired());
    const idem = info.idempotenceid;
    if (idem) this.d.counters.bump(this.d.counters.createsByIdempotenceId, idem);

    if (!info.productid) return fail(SIM_ERRORS.productRequired());
    const product = findProduct(info.productid);
    if (!product) return fail(SIM_ERRORS.unknownProduct(info.productid));
    if (!info.commonname) return fail(SIM_ERRORS.commonNameRequired());
    const month = typeof info.month === 'string' && info.month.trim() !== '' ? Number(info.month) : info.month;
    if (typeof month !== 'number' || !VALID_MONTHS.has(month)) return fail(SIM_ERRORS.monthInvalid(info.month));

    const hosts: string[] = [];
    if (product.profile === 'ssl') {
      const cn = toCertHost(info.commonname);
      if (!cn) return fail(SIM_ERRORS.commonNameInvalid(info.commonname));
      hosts.push(cn);
      for (const h of info.hosts) {
        const ascii = toCertHost(h);
        if (!ascii) return fail(SIM_ERRORS.hostInvalid(h));
        if (!hosts.includes(ascii)) hosts.push(ascii);
      }
    }

    const csrs = await this.createCsrs(product, info);
    if (!csrs.ok) return fail(csrs.errorMsg);
    const { signCsr, encCsr, rsaCsr, boundRsa } = csrs;

    const org = validateOrg(product, parsed.value.organizationpost);
    if (!org.ok) return fail(org.errorMsg);
    if (boundRsa) {
      const rsaOrg = validateOrg(boundRsa, parsed.value.organizationpost);
      if (!rsaOrg.ok) return fail(rsaOrg.errorMsg);
    }
    const docs = parsed.value.documentspost ?? [];
    for (const [i, doc] of docs.entries()) {
      if (!doc.filetype || !FILE_TYPES.has(doc.filetype.toLowerCase())) return fail(SIM_ERRORS.documentInvalid(i, 'fileType'));
      if (![1, 2, 3].includes(Number(doc.documenttype))) return fail(SIM_ERRORS.documentInvalid(i, 'documentType'));
      if (!doc.filecontent || !/^[A-Za-z0-9+/\s]+={0,2}$/.test(doc.filecontent)) return fail(SIM_ERRORS.documentInvalid(i, 'fileContent'));
    }

    // Re-checked after the awaits above: two identical creates racing must still yield one order.
    if (idem) {
      const existing = this.d.store.byIdempotenceId(idem);
      if (existing) return this.createAnswer(existing);
    }

    const status: SimStatus = 'pendingSubmitOrderToCA';
    const common = {
      productId: product.id,
      commonName: info.commonname,
      hosts,
      month,
      idempotenceId: idem,
      org: org.org,
      documentsCount: docs.length,
      uKeyPassword: info.ukeypassword,
      uKeyShipAddress: info.ukeyshipaddress,
      status,
    };
    let primary: SimOrder;
    if (signCsr) {
      primary = this.newOrder({ ...common, role: 'sm2', csrPem: signCsr.pem, csrEncryptPem: encCsr?.pem });
      if (rsaCsr && boundRsa) {
        // The bound RSA certificate is an order of its own, on its own product's flow.
        const rsa = this.newOrder({ ...common, productId: boundRsa.id, role: 'sm2-rsa', csrPem: rsaCsr.pem, orgId: primary.orgId, bundleId: primary.id });
        primary.bundleId = rsa.id;
        this.d.engine.schedule(rsa);
      }
    } else {
      primary = this.newOrder({ ...common, role: 'single', csrPem: rsaCsr!.pem });
    }
    this.d.engine.schedule(primary);
    if (idem) {
      this.d.store.rememberCreate(idem, primary.id);
      this.d.counters.bump(this.d.counters.ordersByIdempotenceId, idem);
    }
    this.d.counters.ordersCreated++;
    return this.createAnswer(primary);
  }

  query(id: string | undefined): OpResult {
    if (!id?.trim()) return fail(SIM_ERRORS.orderIdRequired('orderId'));
    const o = this.d.store.get(id);
    if (!o) return fail(SIM_ERRORS.orderNotFound(id.trim()));
    return { ok: true, successMsg: 'success', data: queryView(o, this.d.baseUrl()) };
  }

  retrieve(id: string | undefined): OpResult {
    if (!id?.trim()) return fail(SIM_ERRORS.orderIdRequired('orderID'), EMPTY_RETRIEVE);
    const o = this.d.store.get(id);
    if (!o) return fail(SIM_ERRORS.orderNotFound(id.trim()), EMPTY_RETRIEVE);
    if (!o.cert || o.status === 'closed' || o.status === 'rejected') return fail(SIM_ERRORS.notIssuedYet(o.status), EMPTY_RETRIEVE);
    this.d.engine.markRetrieved(o);
    const bundle = o.bundleId ? this.d.store.get(o.bundleId) : undefined;
    const data: RetrieveData = retrieveView(o, this.d.pki, bundle);
    return { ok: true, successMsg: '', data };
  }

  cancel(body: unknown): OpResult {
    const parsed = parseBody(cancelBodySchema, body);
    if (!parsed.ok) return fail(SIM_ERRORS.badBody(parsed.detail));
    const { orderid, reason } = parsed.value;
    if (!orderid) return fail(SIM_ERRORS.orderIdRequired('orderID'));
    const o = this.d.store.get(orderid);
    if (!o) return fail(SIM_ERRORS.orderNotFound(orderid));
    const refused = (why: string): OpResult => ({ ok: true, successMsg: '', data: { cancelResult: false, cancelFailedReason: why } });
    // Cancelling twice answers success: a client retrying after a lost answer must not see a failure.
    if (o.status === 'closed') return { ok: true, successMsg: '订单已关闭', data: { cancelResult: true, cancelFailedReason: null } };
    if (o.status === 'revoked') return refused(CANCEL_REASONS.revoked);
    if (o.status === 'rejected') return refused(CANCEL_REASONS.rejected);
    if (o.status === 'pendingRevoke') return refused(CANCEL_REASONS.revoking);
    if (!this.d.engine.close1(o, 'api', reason)) return refused(CANCEL_REASONS.issued);
    return { ok: true, successMsg: '取消订单成功', data: { cancelResult: true, cancelFailedReason: null } };
  }

  revoke(body: unknown): OpResult {
    const parsed = parseBody(revokeBodySchema, body);
    if (!parsed.ok) return fail(SIM_ERRORS.badBody(parsed.detail));
    const { orderid, reason, filetype, filecontent } = parsed.value;
    if (!orderid) return fail(SIM_ERRORS.orderIdRequired('orderId'));
    if (!reason) return fail(SIM_ERRORS.reasonRequired());
    if (!filetype) return fail(SIM_ERRORS.fileTypeRequired());
    if (!filecontent) return fail(SIM_ERRORS.fileContentRequired());
    const o = this.d.store.get(orderid);
    if (!o) return fail(SIM_ERRORS.orderNotFound(orderid));
    const page = { ok: true as const, successMsg: '申请吊销成功' };
    if (o.status === 'pendingRevoke') return { ...page, data: { revokeStatus: 'pendingAudit', revoked: false } };
    if (o.status === 'revoked') return { ...page, data: { revokeStatus: 'revoked', revoked: true } };
    if (!OrderEngine.isLive(o)) return fail(SIM_ERRORS.revokeNotIssued(o.status));
    this.d.engine.requestRevoke(o, reason);
    return { ...page, data: { revokeStatus: 'pendingAudit', revoked: false } };
  }

  async reissue(body: unknown): Promise<OpResult> {
    const parsed = parseBody(reissueBodySchema, body);
    if (!parsed.ok) return fail(SIM_ERRORS.badBody(parsed.detail));
    const b = parsed.value;
    if (!b.orderid) return fail(SIM_ERRORS.orderIdRequired('orderID'));
    const old = this.d.store.get(b.orderid);
    if (!old) return fail(SIM_ERRORS.orderNotFound(b.orderid));
    const answer = (o: SimOrder): OpResult => ({ ok: true, successMsg: '申请重新颁发成功', data: { newOrderID: o.id } });
    // Looked up before the status check: once an SM2/Sectigo reissue completes the old order is revoked, and a retry must still get its id.
    const prior = b.idempotenceid ? this.d.store.byReissueIdempotenceId(b.idempotenceid) : undefined;
    if (prior) return answer(prior);
    if (!OrderEngine.isLive(old)) return fail(SIM_ERRORS.reissueNotIssued(old.status));
    const csr = await checkCsr('csr', b.csr);
    if (!csr.ok) return fail(csr.errorMsg);
    const sm2 = old.role === 'sm2';
    if (sm2 !== (csr.csr.keyType === 'sm2')) return fail(SIM_ERRORS.csrKeyType('csr', sm2 ? 'SM2' : 'RSA or ECDSA', csr.csr.keyDescription));
    let enc: InspectedCsr | undefined;
    if (sm2) {
      // §1.6: "如果重新颁发的是 SM2 证书，则该参数取值不为空" — an SM2 reissue carries the encryption CSR.
      if (!b.csr_encrypt) return fail(SIM_ERRORS.encryptCsrRequired());
      const r = await checkCsr('csR_Encrypt', b.csr_encrypt);
      if (!r.ok) return fail(r.errorMsg);
      if (r.csr.keyType !== 'sm2') return fail(SIM_ERRORS.csrKeyType('csR_Encrypt', 'SM2', r.csr.keyDescription));
      enc = r.csr;
    }
    if (!b.reason) return fail(SIM_ERRORS.reasonRequired());
    const product = findProduct(old.productId)!;
    if (product.reissueNeedsProof && (!b.filetype || !b.filecontent)) return fail(SIM_ERRORS.proofRequiredForProduct());
    if (b.idempotenceid) {
      const raced = this.d.store.byReissueIdempotenceId(b.idempotenceid);
      if (raced) return answer(raced);
    }
    if (!OrderEngine.isLive(old)) return fail(SIM_ERRORS.reissueNotIssued(old.status));

    const created = this.newOrder({
      productId: old.productId,
      role: old.role,
      commonName: old.commonName,
      hosts: old.hosts,
      month: old.month,
      idempotenceId: b.idempotenceid,
      csrPem: csr.csr.pem,
      csrEncryptPem: enc?.pem,
      org: old.org,
      orgId: old.orgId,
      documentsCount: old.documentsCount,
      status: product.dcv ? 'pendingDCV' : 'pendingCAIssued',
      reissuedFrom: old.id,
      reissueReason: b.reason,
    });
    old.reissuedTo.push(created.id);
    this.d.store.touch();
    if (b.idempotenceid) this.d.store.rememberReissue(b.idempotenceid, created.id);
    this.d.counters.ordersReissued++;
    this.d.engine.schedule(created);
    return answer(created);
  }

  email(body: unknown, requestId: string | undefined): OpResult {
    const parsed = parseBody(emailBodySchema, body);
    const notSent = { sentResult: false };
    if (!parsed.ok) return fail(SIM_ERRORS.badBody(parsed.detail), notSent);
    const { orderid, collecturl } = parsed.value;
    if (!orderid) return fail(SIM_ERRORS.orderIdRequired('orderID'), notSent);
    if (!collecturl) return fail(SIM_ERRORS.collectUrlRequired(), notSent);
    let url: URL | undefined;
    try {
      url = new URL(collecturl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return fail(SIM_ERRORS.collectUrlInvalid(collecturl), notSent);
    const o = this.d.store.get(orderid);
    if (!o) return fail(SIM_ERRORS.orderNotFound(orderid), notSent);
    if (!o.cert) return fail(SIM_ERRORS.emailNotIssued(o.status), notSent);
    const at = Date.now();
    this.d.store.addEmail({ orderId: o.id, collectUrl: collecturl, at, time: toCstIso(at), requestId });
    this.d.counters.emailsSent++;
    return { ok: true, successMsg: '', data: { sentResult: true } };
  }
}
