import { inspect } from 'node:util';
import { verifyCertificate } from '../../src/activities/certificates';
import { createAcmapiClient, type AcmapiClient } from '../../src/ca/acmapi';
import { CaAuthError, CaBusinessError, CaCertificateNotReadyError, CaValidationError, caMayHaveActed, type CaError } from '../../src/ca/errors';
import { type CallContext, type CreateOrderRequest } from '../../src/ca/issuer';
import { startAcmapiSimulator, type RunningAcmapiSimulator } from '../../tools/simulators/acmapi';
import { startWebHost, type RunningWebHost } from '../../tools/simulators/webhost';
import { testCsr } from '../support/csr';

/**
 * Contract tests: the real ACMAPI client (src/ca/acmapi) against the real simulator
 * (tools/simulators/acmapi), which validates every domain by fetching its signfile from the
 * local web host (tools/simulators/webhost), over real HTTP on 127.0.0.1. acmapi-client.test.ts
 * pins the client against scripted answers; this file checks that the two agree, as the
 * activities would see them.
 */

const CUSTOMER = 'customer_contract_01';
const TOKEN = 'acm-contract_7f6e5d4c3b2a-SECRET';
const SIGNFILE = 'wosign-signfile-5f2c9a1e7b\n';
const CN = 'shop.acmapi-contract.example';
const HOSTS = [`www.${CN}`];

let web: RunningWebHost;
let sim: RunningAcmapiSimulator;
let client: AcmapiClient;
const errorsSeen: unknown[] = [];

const clientWith = (over: { customerId?: string; authToken?: string } = {}): AcmapiClient =>
  createAcmapiClient({
    url: sim.url,
    customerId: over.customerId ?? CUSTOMER,
    authToken: over.authToken ?? TOKEN,
    signfile: SIGNFILE,
    chainPems: sim.chainPems,
    timeoutMs: 10_000,
    connectTimeoutMs: 1000,
    connections: 2,
  });

beforeAll(async () => {
  web = await startWebHost();
  sim = await startAcmapiSimulator({
    customerId: CUSTOMER,
    authToken: TOKEN,
    signfile: SIGNFILE,
    connectTo: { http: web.httpAddress, https: web.httpsAddress },
    fetchTimeoutMs: 2000,
  });
  client = clientWith();
});

afterAll(async () => {
  await client.close();
  await sim.close();
  await web.close();
  // Whatever failed, the token never showed in an error.
  for (const e of errorsSeen) {
    const err = e as Error;
    for (const text of [err.message, String(err), JSON.stringify(err), inspect(err, { depth: 5 })]) expect(text).not.toContain(TOKEN);
  }
});

beforeEach(async () => {
  await sim.admin.reset();
});

/** Every domain of the order serves the file the client says the CA fetches. */
function publish(domains: readonly string[]): void {
  const file = client.domainFile();
  for (const d of domains) web.put(d, file.path, file.content);
}

let seq = 0;
const ctx = (): CallContext => ({ requestId: `order-C${++seq}/createCaOrder/1` });
const order = (over: Partial<CreateOrderRequest> = {}): CreateOrderRequest => ({
  productId: 'ACA91000-0002-4D5A-9C00-000000000002',
  commonName: CN,
  hosts: HOSTS,
  csr: testCsr({ commonName: CN }),
  month: 12,
  idempotenceId: `B-${seq}`,
  ...over,
});

async function failure(p: Promise<unknown>): Promise<CaError> {
  try {
    await p;
  } catch (e) {
    errorsSeen.push(e);
    return e as CaError;
  }
  throw new Error('expected the call to fail');
}

describe('issuance', () => {
  test('success at once: the certificate with the configured chain verifies against the order', async () => {
    publish([CN, ...HOSTS]);
    const req = order();
    const r = await client.createOrder(req, ctx());
    expect(r.caOrderId).toEqual(expect.any(String));
    expect(r.certificate).toBeDefined();
    const verified = await verifyCertificate({
      caOrderId: r.caOrderId,
      retrieved: r.certificate!,
      csrPem: req.csr,
      commonName: CN,
      hosts: HOSTS,
      expectDnsNames: true,
    });
    expect(verified.ok ? [] : verified.problems).toEqual([]);
    expect((await sim.admin.counters()).certificatesIssued).toBe(1);

    // Asking by the handle_id afterwards answers the same certificate (never a second one).
    const status = await client.getStatus(r.caOrderId, ctx());
    expect(status).toMatchObject({ caOrderId: r.caOrderId, phase: 'issued', status: 'success' });
    expect(status.certificate?.certificatePem).toBe(r.certificate?.certificatePem);
    expect((await sim.admin.counters()).certificatesIssued).toBe(1);
  });

  test('base64 DER answers (the table\'s form) arrive as the same PEM', async () => {
    await sim.admin.updateSettings({ certificateFormat: 'base64der' });
    publish([CN, ...HOSTS]);
    const r = await client.createOrder(order(), ctx());
    expect(r.certificate?.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    const issued = await sim.admin.application(r.caOrderId);
    const body = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
    expect(body(issued.certificate?.pem ?? '')).not.toBe('');
    expect(body(r.certificate?.certificatePem ?? '')).toBe(body(issued.certificate?.pem ?? ''));
  });

  test('pending, asked again by handle_id, then success', async () => {
    await sim.admin.updateSettings({ mode: 'pending', pendingAsks: 2 });
    publish([CN, ...HOSTS]);
    const created = await client.createOrder(order(), ctx());
    expect(created.certificate).toBeUndefined();
    const handleId = created.caOrderId;

    await expect(client.getStatus(handleId, ctx())).resolves.toEqual({ caOrderId: handleId, phase: 'manualReview', status: 'pending' });
    const cert = await client.retrieveCertificate(handleId, ctx());
    expect(cert.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(cert.chainPems).toEqual(sim.chainPems);
    await expect(client.getStatus(handleId, ctx())).resolves.toMatchObject({ phase: 'issued', status: 'success', certificate: { certificatePem: cert.certificatePem } });
  });

  test('pending until a person at the CA issues it: retrieve is not ready before', async () => {
    await sim.admin.updateSettings({ mode: 'pending', pendingAsks: 0 });
    publish([CN, ...HOSTS]);
    const { caOrderId } = await client.createOrder(order(), ctx());
    const e = await failure(client.retrieveCertificate(caOrderId, ctx()));
    expect(e).toBeInstanceOf(CaCertificateNotReadyError);
    await sim.admin.issue(caOrderId);
    await expect(client.getStatus(caOrderId, ctx())).resolves.toMatchObject({ phase: 'issued' });
  });
});

describe('error codes as the simulator answers them', () => {
  test.each([
    ['101 customer_id', { customerId: 'customer_wrong' }, /^101 /],
    ['102 auth_token', { authToken: 'acm-wrong-token-0000' }, /^102 /],
  ])('%s → CaAuthError', async (_what, over, message) => {
    publish([CN]);
    const wrong = clientWith(over);
    const e = await failure(wrong.createOrder(order(), ctx()));
    await wrong.close();
    expect(e).toBeInstanceOf(CaAuthError);
    expect(e.caMessage).toMatch(message);
  });

  test('110 source IP not permitted → CaAuthError', async () => {
    await sim.admin.updateSettings({ allowedIps: ['192.0.2.1'] });
    const e = await failure(client.createOrder(order(), ctx()));
    expect(e).toBeInstanceOf(CaAuthError);
    expect(e.caMessage).toMatch(/^110 IP is not permitted/);
  });

  test.each([
    ['104 csr', { csr: 'not a CSR' }, /^104 csr/],
    ['105 domain format', { hosts: ['www. example.com'] }, /^105 domain_name/],
    ['106 more than 5 domains', { hosts: ['a', 'b', 'c', 'd', 'e'].map((l) => `${l}.${CN}`) }, /^106 domain_name.*more than 5/],
  ])('%s → CaBusinessError naming the field', async (_what, over, message) => {
    publish([CN]);
    const e = await failure(client.createOrder(order(over), ctx()));
    expect(e).toBeInstanceOf(CaBusinessError);
    expect(e.caMessage).toMatch(message);
    expect(caMayHaveActed(e)).toBe(false);
  });

  test('108 an unknown handle_id → CaBusinessError', async () => {
    const e = await failure(client.getStatus('handle-that-never-was', ctx()));
    expect(e).toBeInstanceOf(CaBusinessError);
    expect(e.caMessage).toMatch(/^108 handle_id/);
  });

  test('107 when the web host does not serve the file on one domain → CaValidationError naming it', async () => {
    const missing = `missing.${CN}`;
    publish([CN]);
    web.remove(missing, client.domainFile().path);
    const e = await failure(client.createOrder(order({ hosts: [missing] }), ctx()));
    expect(e).toBeInstanceOf(CaValidationError);
    expect((e as CaValidationError).domain).toBe(missing);
    expect(web.requests.some((r) => r.host === missing && r.path === client.domainFile().path)).toBe(true);
    expect((await sim.admin.counters()).certificatesIssued).toBe(0);
  });

  test('107 when the file\'s content differs', async () => {
    const stale = `stale.${CN}`;
    publish([CN]);
    web.put(stale, client.domainFile().path, 'an old signfile\n');
    const e = await failure(client.createOrder(order({ hosts: [stale] }), ctx()));
    expect(e).toBeInstanceOf(CaValidationError);
    expect((e as CaValidationError).domain).toBe(stale);
  });
});
