/**
 * The reseller platform as certflow's `Issuer` (src/ca/reseller/issuer.ts) over real HTTP
 * against the platform simulator, which validates on a real local DNS server and web host:
 * create → pending with every name's record → the CNAME published → issued with the
 * certificate inline; one charge per idempotency key; reissues (CSR only, a method switched,
 * a name dropped, which revokes); the documented rules refusing before any call; the
 * configuration that builds it.
 */
import pino from 'pino';
import { CaBusinessError, CaCertificateNotReadyError, type CaError } from '../../src/ca/errors';
import { closeIssuers, createIssuersFromConfig } from '../../src/ca/issuer-from-config';
import type { CallContext, CreateOrderRequest, DomainValidation } from '../../src/ca/issuer';
import { issuerDescriptor } from '../../src/ca/registry';
import {
  RESELLER,
  createResellerIssuer,
  createResellerIssuerFromConfig,
  levelsFromCatalog,
  organizationFieldsOf,
  resellerNotifyUrl,
  uniqueIdFor,
  ResellerRequestRefusedError,
  type ResellerIssuer,
} from '../../src/ca/reseller';
import { parseConfig } from '../../src/config';
import type { Organization } from '../../src/domain/documents';
import { loadProductCatalogFromConfig } from '../../src/products-file';
import { type RunningDnsServer, startDnsServer } from '../../tools/simulators/dns';
import { type RunningResellerSimulator, startResellerSimulator } from '../../tools/simulators/reseller';
import { type RunningWebHost, startWebHost } from '../../tools/simulators/webhost';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import { x509 } from '../../tools/simulators/wotrus/x509';
import { RESELLER_DV_PRODUCT_ID, RESELLER_OV_PRODUCT_ID, startResellerStack } from '../../tools/stack/reseller';
import { testCsr } from '../support/csr';
import { DOCUMENT_ORGANIZATION } from '../support/reseller-fixtures';
import { RESELLER_TEST_ORGANIZATION } from '../support/reseller-fixtures';

const API_KEY = 'reseller-issuer-test-key-0123456789';
const ADMIN = 'reseller-issuer-admin-0123456789';
const NOTIFY_URL = 'http://127.0.0.1:9/v1/issuers/reseller/notify/notify-token-0123456789';

/** The document's example organisation, as certflow's Organization holds it. */
const ORGANIZATION: Organization = RESELLER_TEST_ORGANIZATION;

let web: RunningWebHost;
let dns: RunningDnsServer;
let sim: RunningResellerSimulator;
let issuer: ResellerIssuer;
let seq = 0;
const products = loadProductCatalogFromConfig({ CERTFLOW_ENV: 'test' });

beforeAll(async () => {
  [web, dns] = await Promise.all([startWebHost(), startDnsServer()]);
  sim = await startResellerSimulator({ apiKey: API_KEY, adminToken: ADMIN, connectTo: { http: web.httpAddress, https: web.httpsAddress }, dnsServers: [dns.address], checkTimeoutMs: 500 });
  issuer = createResellerIssuer({ url: sim.url, apiKey: API_KEY, levelOf: levelsFromCatalog(products), notifyUrl: NOTIFY_URL, timeoutMs: 3000, connectTimeoutMs: 1000, connections: 4 });
});
afterAll(async () => {
  await issuer.close();
  await Promise.all([sim.close(), web.close(), dns.close()]);
});
beforeEach(async () => {
  await sim.admin.reset();
});

const ctx = (op = 'createCaOrder'): CallContext => ({ requestId: `order-B/${op}/1` });
const names = (label: string): string => `${label}-${++seq}.example.com`;

async function order(over: Partial<CreateOrderRequest> & { commonName: string }): Promise<CreateOrderRequest> {
  const { csrPem } = await generateCsr({ commonName: over.commonName, keyType: 'ec', sans: over.hosts });
  return { productId: RESELLER_DV_PRODUCT_ID, csr: csrPem, month: 12, idempotenceId: `B-${++seq}`, ...over };
}

async function failure(p: Promise<unknown>): Promise<CaError> {
  try {
    await p;
  } catch (e) {
    return e as CaError;
  }
  throw new Error('expected the call to fail');
}

/** Publishes every pending dns record the platform asked for. */
function publish(domains: readonly DomainValidation[]): void {
  for (const d of domains) if (d.state === 'pending' && d.dns) dns.setCname(d.dns.name, d.dns.value);
}

const sans = (pem: string): string[] => (new x509.X509Certificate(pem).getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? []).map((n) => n.value).sort();
const spki = (pem: string): string => Buffer.from(new x509.X509Certificate(pem).publicKey.rawData).toString('hex');
const csrSpki = (pem: string): string => Buffer.from(new x509.Pkcs10CertificateRequest(pem).publicKey.rawData).toString('hex');
const flat = (pem: string): string => pem.replace(/\s+/g, '');

describe('the descriptor', () => {
  test('is registered, with its capabilities and kinds; no cancel or revoke', () => {
    expect(issuerDescriptor('reseller')).toBe(RESELLER);
    expect(RESELLER).toMatchObject({ id: 'reseller', displayName: 'Reseller platform', capabilities: ['query', 'reissue', 'push', 'inlineCertificate', 'domainValidation'], idempotentCreate: true, productKinds: ['dv', 'ov', 'ev'] });
    expect(issuer.descriptor).toBe(RESELLER);
    expect(issuer.cancelOrder).toBeUndefined();
    expect(issuer.requestRevoke).toBeUndefined();
  });

  test('domainValidationIssues: the documented rules, each naming the name under domainValidation', () => {
    const issues = RESELLER.domainValidationIssues!({ '*.x.com': 'http', 'a.x.com': 'owner@x.com', 'b.x.com': 'dns', 'c.x.com': 'admin@x.com' });
    expect(issues.map((i) => i.path)).toEqual([
      ['domainValidation', '*.x.com'],
      ['domainValidation', 'a.x.com'],
    ]);
    expect(issues[0]!.rule).toMatch(/wildcard takes only dns or an approver e-mail address/);
  });
});

describe('create and status', () => {
  test('create → pending with every name\'s CNAME; status pending; the CNAMEs published → issued with the certificate and the chain inline', async () => {
    const a = names('www');
    const req = await order({ commonName: a, hosts: [`api.${a}`] });
    const created = await issuer.createOrder(req, ctx());
    expect(created.caOrderId).toMatch(/^[A-Za-z0-9]+$/);
    expect(created.cost).toBe(199);
    expect(created.certificate).toBeUndefined();
    expect(created.domains!.map((d) => [d.domain, d.method, d.state])).toEqual([
      [a, 'dns', 'pending'],
      [`api.${a}`, 'dns', 'pending'],
    ]);
    for (const d of created.domains!) expect(d.dns).toMatchObject({ type: 'CNAME', name: expect.stringMatching(new RegExp(`^_[0-9a-f]+\\.${d.domain.replace(/\./g, '\\.')}$`)) });

    const pending = await issuer.getStatus(created.caOrderId, ctx('getCaOrderStatus'));
    expect(pending).toMatchObject({ caOrderId: created.caOrderId, phase: 'validation', status: 'pending' });
    expect(pending.certificate).toBeUndefined();
    const notReady = await failure(issuer.retrieveCertificate(created.caOrderId, ctx('retrieveCertificate')));
    expect(notReady).toBeInstanceOf(CaCertificateNotReadyError);
    expect(notReady.caMessage).toContain(`pending: ${a} (dns), api.${a} (dns)`);

    // One record published: that name valid, the other still pending (and the platform says so).
    dns.setCname(created.domains![0]!.dns!.name, created.domains![0]!.dns!.value);
    const half = await issuer.getStatus(created.caOrderId, ctx('getCaOrderStatus'));
    expect(half.domains!.map((d) => d.state)).toEqual(['valid', 'pending']);
    expect(half.phase).toBe('validation');

    publish(created.domains!);
    const issued = await issuer.getStatus(created.caOrderId, ctx('getCaOrderStatus'));
    expect(issued).toMatchObject({ caOrderId: created.caOrderId, phase: 'issued', status: 'issued' });
    expect(issued.domains!.every((d) => d.state === 'valid')).toBe(true);
    const cert = issued.certificate!;
    expect(sans(cert.certificatePem)).toEqual([a, `api.${a}`].sort());
    expect(spki(cert.certificatePem)).toBe(csrSpki(req.csr));
    // The chain is what the platform returns (ca_pem): no chain file.
    expect(cert.chainPems.map(flat)).toEqual(sim.chainPems.map(flat));
    expect(await issuer.retrieveCertificate(created.caOrderId, ctx('retrieveCertificate'))).toEqual(cert);
    expect((await sim.admin.counters()).validations.dns).toMatchObject({ passed: 2 });
    // The notify_url went with the create: the issuance was called back there.
    expect((await sim.admin.callbacks()).map((c) => [c.url, c.body.status])).toContainEqual([NOTIFY_URL, 'issued']);
  });

  test('the same idempotenceId twice: one service, charged once, under the unique_id derived from it', async () => {
    const req = await order({ commonName: names('twice') });
    const first = await issuer.createOrder(req, ctx());
    const second = await issuer.createOrder(req, { requestId: 'order-B/createCaOrder/2' });
    expect(second.caOrderId).toBe(first.caOrderId);
    expect(second.cost).toBe(first.cost);
    const c = await sim.admin.counters();
    expect(c.creates).toBe(1);
    expect(c.charges).toEqual({ [uniqueIdFor(req.idempotenceId)]: 1 });
    // Another idempotency key is another order.
    const other = await issuer.createOrder({ ...req, idempotenceId: `${req.idempotenceId}-other` }, ctx());
    expect(other.caOrderId).not.toBe(first.caOrderId);
    expect((await sim.admin.counters()).creates).toBe(2);
  });

  test('methods chosen per name: a file over http, an approver address; the choices reach the platform', async () => {
    const a = names('file');
    const req = await order({ commonName: a, hosts: [`mail.${a}`], domainValidation: { [a]: 'http', [`mail.${a}`]: `admin@${a}` }, contactEmail: 'ops@example.com' });
    const created = await issuer.createOrder(req, ctx());
    const [file, mail] = created.domains!;
    expect(file).toMatchObject({ domain: a, method: 'http', state: 'pending', file: { url: expect.stringMatching(new RegExp(`^http://${a.replace(/\./g, '\\.')}/`)) } });
    expect(mail).toMatchObject({ domain: `mail.${a}`, method: 'email', email: { address: `admin@${a}` } });
    web.put(a, file!.file!.path, file!.file!.content, { scheme: 'http' });
    await sim.admin.approveEmail(created.caOrderId, `mail.${a}`);
    const issued = await issuer.getStatus(created.caOrderId, ctx('getCaOrderStatus'));
    expect(issued.phase).toBe('issued');
  });

  test('OV: the organisation is mapped to the document\'s fields and accepted; one missing field is refused before the call', async () => {
    expect(organizationFieldsOf(ORGANIZATION)).toEqual(DOCUMENT_ORGANIZATION);
    const ov = await issuer.createOrder(await order({ commonName: names('ov'), productId: RESELLER_OV_PRODUCT_ID, organization: ORGANIZATION }), ctx());
    expect(ov.cost).toBe(1299);
    const { orgUnit: _dropped, ...partial } = ORGANIZATION;
    const e = await failure(issuer.createOrder(await order({ commonName: names('ov'), productId: RESELLER_OV_PRODUCT_ID, organization: partial }), ctx()));
    expect(e).toBeInstanceOf(ResellerRequestRefusedError);
    expect((e as ResellerRequestRefusedError).issues.map((i) => i.path.join('.'))).toEqual(['organization_unit']);
    // A DV order sends no organisation, and needs none.
    const dv = await issuer.createOrder(await order({ commonName: names('dv'), organization: { orgName: 'X', countryCode: 'CN' } }), ctx());
    expect(dv.caOrderId).toBeTruthy();
    expect((await sim.admin.counters()).creates).toBe(2);
  });

  test('an unknown service → CaBusinessError with the platform\'s message', async () => {
    const e = await failure(issuer.getStatus('nosuch', ctx('getCaOrderStatus')));
    expect(e).toBeInstanceOf(CaBusinessError);
    expect(e.caMessage).toContain('service_id');
    expect(e.operation).toBe('getStatus');
  });
});

describe('reissue', () => {
  /** A DV order issued: created, its CNAMEs published, read once. */
  async function issuedOrder(domains: string[], domainValidation?: Record<string, string>): Promise<{ caOrderId: string; certificatePem: string; req: CreateOrderRequest }> {
    const req = await order({ commonName: domains[0]!, hosts: domains.slice(1), domainValidation });
    const created = await issuer.createOrder(req, ctx());
    publish(created.domains!);
    for (const d of created.domains!) if (d.method === 'email') await sim.admin.approveEmail(created.caOrderId, d.domain);
    const s = await issuer.getStatus(created.caOrderId, ctx('getCaOrderStatus'));
    expect(s.phase).toBe('issued');
    return { caOrderId: created.caOrderId, certificatePem: s.certificate!.certificatePem, req };
  }

  test('CSR only: the same service, nothing to validate again, the new key issued at once, charged nothing', async () => {
    const a = names('rekey');
    const { caOrderId, certificatePem } = await issuedOrder([a]);
    const { csrPem } = await generateCsr({ commonName: a, keyType: 'rsa' });
    const r = await issuer.requestReissue({ caOrderId, csr: csrPem, reason: 'key compromise', idempotenceId: 'B:reissue:rq-1' }, ctx('reissueCaOrder'));
    expect(r).toMatchObject({ newCaOrderId: caOrderId, cost: 0 });
    expect(r.domains!.map((d) => [d.domain, d.state])).toEqual([[a, 'valid']]);
    const s = await issuer.getStatus(caOrderId, ctx('getCaOrderStatus'));
    expect(s.phase).toBe('issued');
    expect(spki(s.certificate!.certificatePem)).toBe(csrSpki(csrPem));
    expect(s.certificate!.certificatePem).not.toBe(certificatePem);
    expect(await sim.admin.revoked()).toEqual([]);
    expect((await sim.admin.counters()).charges[uniqueIdFor('B:reissue:rq-1')]).toBe(1);
  });

  test('switching a name from e-mail to dns: it comes back pending with its CNAME; published → issued', async () => {
    const a = names('switch');
    const { caOrderId } = await issuedOrder([a], { [a]: `admin@${a}` });
    const r = await issuer.requestReissue({ caOrderId, domainValidation: { [a]: 'dns' }, reason: 'switch', idempotenceId: 'B:reissue:rq-switch' }, ctx('reissueCaOrder'));
    expect(r.newCaOrderId).toBe(caOrderId);
    expect(r.domains).toEqual([{ domain: a, method: 'dns', state: 'pending', dns: { name: expect.stringMatching(/^_[0-9a-f]+\./), type: 'CNAME', value: expect.any(String) } }]);
    // The pending reissue holds the certificate back until the name validates again.
    expect((await issuer.getStatus(caOrderId, ctx('getCaOrderStatus'))).phase).toBe('validation');
    publish(r.domains!);
    expect((await issuer.getStatus(caOrderId, ctx('getCaOrderStatus'))).phase).toBe('issued');
    // The same reissue again (a retried activity): the same answer, charged once.
    const again = await issuer.requestReissue({ caOrderId, domainValidation: { [a]: 'dns' }, reason: 'switch', idempotenceId: 'B:reissue:rq-switch' }, ctx('reissueCaOrder'));
    expect(again.newCaOrderId).toBe(caOrderId);
    expect((await sim.admin.counters()).reissues).toBe(1);
  });

  test('a reissue that drops a name revokes the old certificate at the platform', async () => {
    const a = names('drop');
    const b = `www.${a}`;
    const { caOrderId, certificatePem } = await issuedOrder([a, b]);
    const r = await issuer.requestReissue({ caOrderId, domainValidation: { [a]: 'dns' }, reason: 'drop www', idempotenceId: 'B:reissue:rq-drop' }, ctx('reissueCaOrder'));
    expect(r.domains!.map((d) => d.domain)).toEqual([a]);
    const serial = new x509.X509Certificate(certificatePem).serialNumber.toLowerCase();
    expect((await sim.admin.revoked()).map((v) => [v.serialHex.toLowerCase().replace(/^0+/, ''), v.droppedDomains])).toEqual([[serial.replace(/^0+/, ''), [b]]]);
    const s = await issuer.getStatus(caOrderId, ctx('getCaOrderStatus'));
    expect(sans(s.certificate!.certificatePem)).toEqual([a]);
  });

  test('refused before any call, naming the field: a wildcard by http, neither csr nor names, a weak CSR', async () => {
    const a = names('rules');
    const { caOrderId } = await issuedOrder([a]);
    const before = (await sim.admin.counters()).requests;
    const wildcard = await failure(issuer.requestReissue({ caOrderId, domainValidation: { [`*.${a}`]: 'http' }, reason: 'r', idempotenceId: 'B:reissue:w' }, ctx('reissueCaOrder')));
    expect(wildcard).toBeInstanceOf(ResellerRequestRefusedError);
    expect((wildcard as ResellerRequestRefusedError).issues.map((i) => i.path.join('.'))).toEqual([`domain_dcv.*.${a}`]);
    expect(wildcard.notActedOn).toBe(true);
    const neither = await failure(issuer.requestReissue({ caOrderId, reason: 'r', idempotenceId: 'B:reissue:n' }, ctx('reissueCaOrder')));
    expect((neither as ResellerRequestRefusedError).issues.map((i) => i.path.join('.'))).toEqual(['domain_dcv']);
    const weak = testCsr({ commonName: a, keyType: 'ec', curve: 'secp521r1' });
    const csr = await failure(issuer.requestReissue({ caOrderId, csr: weak, reason: 'r', idempotenceId: 'B:reissue:c' }, ctx('reissueCaOrder')));
    expect((csr as ResellerRequestRefusedError).issues.map((i) => i.path.join('.'))).toEqual(['csr']);
    const create = await failure(issuer.createOrder(await order({ commonName: a, domainValidation: { [`*.${a}`]: 'https' } }), ctx()));
    expect((create as ResellerRequestRefusedError).issues.map((i) => i.path.join('.'))).toEqual([`domain_dcv.*.${a}`]);
    expect((await sim.admin.counters()).requests).toBe(before);
  });
});

describe('configuration', () => {
  const base = { RESELLER_URL: 'http://127.0.0.1:1/platform', RESELLER_API_KEY: API_KEY, CA_BASE_URL: 'http://127.0.0.1:2', CA_TOKEN: 'ca-token-123' };

  test('RESELLER_URL configures the issuer, after the others; the notify_url is built from PUBLIC_BASE_URL and the token', async () => {
    const config = parseConfig({ ...base, PUBLIC_BASE_URL: 'https://certflow.example.com/', RESELLER_NOTIFY_TOKEN: 'notify-token-0123456789' });
    expect(config.RESELLER_AUTH_HEADER).toBe('Authorization');
    expect(resellerNotifyUrl(config)).toBe('https://certflow.example.com/v1/issuers/reseller/notify/notify-token-0123456789');
    expect(resellerNotifyUrl(parseConfig(base))).toBeUndefined();
    const issuers = createIssuersFromConfig(config, pino({ level: 'silent' }), products);
    expect(issuers.map((i) => i.descriptor.id)).toEqual(['wotrus', 'reseller']);
    await closeIssuers(issuers);
    const alone = createResellerIssuerFromConfig(config, { products });
    expect(alone.descriptor).toBe(RESELLER);
    await alone.close();
  });

  test('secrets are masked, the token must be a path segment and needs PUBLIC_BASE_URL', () => {
    expect(() => parseConfig({ ...base, RESELLER_NOTIFY_TOKEN: 'notify-token-0123456789' })).toThrow(/RESELLER_NOTIFY_TOKEN: needs PUBLIC_BASE_URL/);
    expect(() => parseConfig({ ...base, PUBLIC_BASE_URL: 'https://c.example', RESELLER_NOTIFY_TOKEN: 'has/a/slash-0123456789' })).toThrow(/RESELLER_NOTIFY_TOKEN: must be letters/);
    const shown = (() => {
      try {
        parseConfig({ ...base, RESELLER_API_KEY: 'short' });
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(shown).toMatch(/RESELLER_API_KEY: must be at least 8 characters \(got \*\*\*\)/);
    expect(() => parseConfig({ ...base, RESELLER_AUTH_HEADER: 'X Api' })).toThrow(/RESELLER_AUTH_HEADER/);
  });
});

describe('the stack (npm start, startFront)', () => {
  test('its env configures a worker\'s issuer; with customerPublishes an order is issued at its first status read', async () => {
    const stack = await startResellerStack({ apiKey: API_KEY, notifyToken: 'notify-token-0123456789', customerPublishes: true, simulator: { checkTimeoutMs: 500 } });
    try {
      expect(Object.keys(stack.env).sort()).toEqual(['DOMAIN_CHECK_DNS_SERVERS', 'DOMAIN_CHECK_HTTPS_ADDRESS', 'DOMAIN_CHECK_HTTP_ADDRESS', 'RESELLER_API_KEY', 'RESELLER_NOTIFY_TOKEN', 'RESELLER_URL']);
      const config = parseConfig({ ...stack.env, PUBLIC_BASE_URL: 'http://127.0.0.1:9' });
      expect(config.DOMAIN_CHECK_DNS_SERVERS).toEqual([stack.dns.address]);
      const [configured] = createIssuersFromConfig(config, pino({ level: 'silent' }), products);
      const a = names('stack');
      const created = await configured!.createOrder(await order({ commonName: a, hosts: [`www.${a}`], domainValidation: { [a]: 'dns', [`www.${a}`]: 'https' } }), ctx());
      const s = await configured!.getStatus(created.caOrderId, ctx('getCaOrderStatus'));
      expect(s.phase).toBe('issued');
      expect((await stack.sim.admin.callbacks())[0]?.url).toBe('http://127.0.0.1:9/v1/issuers/reseller/notify/notify-token-0123456789');
      await configured!.close();
    } finally {
      await stack.close();
    }
  });
});
