import { X509Certificate, createPublicKey } from 'node:crypto';
import { inspect } from 'node:util';
import pino from 'pino';
import { type CallContext, type CreateOrderRequest } from '../../src/ca/issuer';
import { createWotrusClient, type WotrusClient } from '../../src/ca/wotrus/client';
import {
  CaAuthError,
  CaBusinessError,
  CaCertificateNotReadyError,
  CaErrorType,
  CaProtocolError,
  CaRateLimitError,
  CaUnavailableError,
  NON_RETRYABLE_CA_ERRORS,
  isCaError,
  type CaError,
} from '../../src/ca/errors';
import {
  CANCEL_REASONS,
  SIM_ERRORS,
  SIM_PRODUCT_IDS,
  generateCsr,
  generateSm2Csr,
  startSimulator,
  type DriveAction,
  type RunningSimulator,
} from '../../tools/simulators/wotrus';

/**
 * Contract tests: the real WoTrus client (src/ca/wotrus) against the real simulator
 * (tools/simulators/wotrus) over real HTTP on 127.0.0.1, in-process. wotrus-client.test.ts pins the
 * client against scripted answers; simulator-api.test.ts pins the simulator with raw
 * requests; this file checks that the two agree on every Issuer operation and every
 * error class, as a workflow activity would see them.
 */

const TOKEN = 'contract-tk_9f8e7d6c5b4a-SECRET';
const WRONG_TOKEN = 'contract-wrong_0a1b2c3d-SECRET';
const TIMEOUT_MS = 500;

interface LogLine {
  msg: string;
  op?: string;
  requestId?: string;
  orderId?: string;
  level: number;
}

let sim: RunningSimulator;
let client: WotrusClient;
/** Every line the simulator logged, parsed: the CA side of the RequestID correlation. */
const simLog: LogLine[] = [];
const simLogText: string[] = [];
/** Every error a test saw, checked for the token at the end. */
const errorsSeen: unknown[] = [];

beforeAll(async () => {
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        simLogText.push(line);
        simLog.push(JSON.parse(line) as LogLine);
      },
    },
  );
  sim = await startSimulator({ token: TOKEN, manual: true, logger });
  client = createWotrusClient({ baseUrl: sim.url, token: TOKEN, timeoutMs: TIMEOUT_MS, connectTimeoutMs: 1000, connections: 4 });
});

afterAll(async () => {
  // close() releases hung requests first, so the pool's close() does not wait on them.
  await sim.close();
  await client.close();
});

afterEach(() => {
  sim.state.clearFaults();
});

// ---------------------------------------------------------------- helpers

let seq = 0;
/** A RequestID in the activities' format: `<workflowId>/<activityType>/<attempt>`. */
const ctx = (activity = 'caCall', attempt = 1): CallContext => ({ requestId: `contract-${++seq}/${activity}/${attempt}` });

async function csrFor(commonName: string, sans: string[] = []): Promise<{ csrPem: string; publicKeyPem: string }> {
  const { csrPem, publicKeyPem } = await generateCsr({ commonName, sans, keyType: 'ec' });
  return { csrPem, publicKeyPem };
}

let orderNo = 0;
async function dvRequest(extra: Partial<CreateOrderRequest> = {}): Promise<CreateOrderRequest & { publicKeyPem: string }> {
  const n = ++orderNo;
  const commonName = `c${n}.contract.example.com`;
  const { csrPem, publicKeyPem } = await csrFor(commonName);
  return { productId: SIM_PRODUCT_IDS.rsaDv, commonName, csr: csrPem, month: 12, idempotenceId: `contract-order-${n}`, publicKeyPem, ...extra };
}

/**
 * An SM2 order with its bound RSA order, created with the V1.02 spellings (`Csr_Sign`,
 * `csr_Encrypt`, `BindRSAProductID`, `csR_RSA`) straight over HTTP: this file's subject is
 * what the client makes of the orders, not the create request.
 */
type Keyed = { csrPem: string; publicKeyPem: string };
async function sm2Order(): Promise<{ caOrderId: string; caOrderIdRsa: string; commonName: string; sign: Keyed; enc: Keyed; rsa: Keyed }> {
  const commonName = `sm2-${++orderNo}.contract.example.com`;
  const [sign, enc, rsa] = await Promise.all([generateSm2Csr({ commonName }), generateSm2Csr({ commonName }), csrFor(commonName)]);
  const res = await fetch(`${sim.url}/v1/Order/Create`, {
    method: 'POST',
    headers: { WoTrusToken: TOKEN, 'content-type': 'application/json' },
    body: JSON.stringify({
      orderinfoPost: { productID: SIM_PRODUCT_IDS.sm2, commonName, Csr_Sign: sign.csrPem, csr_Encrypt: enc.csrPem, BindRSAProductID: SIM_PRODUCT_IDS.rsaDv, csR_RSA: rsa.csrPem, month: 12 },
    }),
  });
  const body = (await res.json()) as { errorMsg: string; data: { orderId: string; orderId_RSA: string } };
  if (body.errorMsg) throw new Error(`SM2 create refused: ${body.errorMsg}`);
  return { caOrderId: body.data.orderId, caOrderIdRsa: body.data.orderId_RSA, commonName, sign, enc, rsa };
}

async function drive(id: string, action: DriveAction): Promise<void> {
  const r = await sim.state.drive(id, action);
  if (!r.ok) throw new Error(`drive ${action} ${id}: ${r.error}`);
}

/** A DV order created through the client and issued through the admin state. */
async function issuedDvOrder(): Promise<{ id: string; req: CreateOrderRequest & { publicKeyPem: string } }> {
  const req = await dvRequest();
  const { caOrderId } = await client.createOrder(req, ctx('createCaOrder'));
  await drive(caOrderId, 'issue');
  return { id: caOrderId, req };
}

async function failure(p: Promise<unknown>): Promise<CaError> {
  try {
    await p;
  } catch (e) {
    errorsSeen.push(e);
    if (!isCaError(e)) throw e;
    return e;
  }
  throw new Error('expected the call to fail');
}

/** The token must not leak through any way an error is printed or shipped. */
function expectNoSecret(e: unknown, ...secrets: string[]): void {
  const err = e as Error;
  const texts = [err.message, err.stack ?? '', String(err), JSON.stringify(err), inspect(err, { depth: 6 })];
  for (const secret of [TOKEN, ...secrets]) for (const text of texts) expect(text).not.toContain(secret);
}

const pemBody = (pem: string): string => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
const samePem = (a: string | undefined, b: string): void => expect(pemBody(a ?? '')).toBe(pemBody(b));
const spki = (pem: string): string => createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');

// ---------------------------------------------------------------- success paths

describe('createOrder', () => {
  test('DV order: one id, no RSA id, the order exists in the simulator as sent', async () => {
    const req = await dvRequest({ hosts: ['alt.contract.example.com'] });
    const res = await client.createOrder(req, ctx('createCaOrder'));
    expect(res).toEqual({ caOrderId: expect.stringMatching(/^[0-9A-F-]{36}$/) });
    expect(res.caOrderIdRsa).toBeUndefined();
    const o = sim.state.order(res.caOrderId);
    expect(o).toMatchObject({
      productId: SIM_PRODUCT_IDS.rsaDv,
      role: 'single',
      commonName: req.commonName,
      hosts: [req.commonName, 'alt.contract.example.com'],
      month: 12,
      idempotenceId: req.idempotenceId,
      status: 'pendingSubmitOrderToCA',
    });
  });

  test('OV order with organization: the organisation reaches the CA', async () => {
    const req = await dvRequest({
      productId: SIM_PRODUCT_IDS.rsaOv,
      organization: { orgName: 'Contract Test Ltd', countryCode: 'CN', businessCategory: 'Private Organization', state: 'Guangdong', city: 'Shenzhen' },
    });
    const { caOrderId, caOrderIdRsa } = await client.createOrder(req, ctx('createCaOrder'));
    expect(caOrderIdRsa).toBeUndefined();
    expect(sim.state.order(caOrderId)?.org).toMatchObject({
      orgName: 'Contract Test Ltd',
      countryCode: 'CN',
      businessCategory: 'Private Organization',
      state: 'Guangdong',
      city: 'Shenzhen',
    });
  });

  test('SM2 product with one SM2 CSR: an SM2 order without a bound RSA order', async () => {
    const commonName = 'sm2-only.contract.example.com';
    const req = await dvRequest({ productId: SIM_PRODUCT_IDS.sm2, commonName, csr: (await generateSm2Csr({ commonName })).csrPem });
    const { caOrderId, caOrderIdRsa } = await client.createOrder(req, ctx('createCaOrder'));
    expect(caOrderIdRsa).toBeUndefined();
    expect(sim.state.order(caOrderId)).toMatchObject({ role: 'sm2' });
    expect(sim.state.order(caOrderId)?.bundleId).toBeUndefined();
  });

  test('an SM2 order and its bound RSA order: two CA orders, each with its own status', async () => {
    const { caOrderId, caOrderIdRsa } = await sm2Order();
    expect(caOrderIdRsa).not.toBe(caOrderId);
    await drive(caOrderId, 'issue');
    await expect(client.getStatus(caOrderId, ctx('getCaOrderStatus'))).resolves.toMatchObject({ caOrderId, status: 'issued', productId: SIM_PRODUCT_IDS.sm2 });
    await expect(client.getStatus(caOrderIdRsa, ctx('getCaOrderStatus'))).resolves.toMatchObject({ caOrderId: caOrderIdRsa, status: 'pendingSubmitOrderToCA', productId: SIM_PRODUCT_IDS.rsaDv });
  });

  test('the same idempotenceId returns the same order; the CA holds one', async () => {
    const req = await dvRequest();
    const first = await client.createOrder(req, ctx('createCaOrder', 1));
    const again = await client.createOrder(req, ctx('createCaOrder', 2));
    expect(again).toEqual(first);
    const c = sim.state.counters();
    expect(c.createsByIdempotenceId[req.idempotenceId]).toBe(2);
    expect(c.ordersByIdempotenceId[req.idempotenceId]).toBe(1);
    expect(sim.state.orders().filter((o) => o.idempotenceId === req.idempotenceId)).toHaveLength(1);
  });
});

describe('getStatus through the state machine (manual mode)', () => {
  test('DV: pendingSubmitOrderToCA → pendingDCV → pendingCAIssued → issued', async () => {
    const req = await dvRequest();
    const { caOrderId } = await client.createOrder(req, ctx('createCaOrder'));
    const seen: string[] = [];
    const read = async (): Promise<void> => {
      const s = await client.getStatus(caOrderId, ctx('getCaOrderStatus'));
      expect(s).toMatchObject({
        caOrderId,
        payment: 'paid',
        productId: SIM_PRODUCT_IDS.rsaDv,
        commonName: req.commonName,
        pendingLink: `${sim.url}/pending/${caOrderId}`,
      });
      seen.push(`${s.status}:${s.phase}`);
    };
    await read();
    await drive(caOrderId, 'pass-review');
    await read();
    await drive(caOrderId, 'pass-dcv');
    await read();
    await drive(caOrderId, 'issue');
    await read();
    expect(seen).toEqual(['pendingSubmitOrderToCA:review', 'pendingDCV:validation', 'pendingCAIssued:issuance', 'issued:issued']);
  });

  test('OV: the legal review holds the order until it is passed', async () => {
    const req = await dvRequest({ productId: SIM_PRODUCT_IDS.rsaOv, organization: { orgName: 'Review Co', countryCode: 'CN' } });
    const { caOrderId } = await client.createOrder(req, ctx('createCaOrder'));
    expect((await client.getStatus(caOrderId, ctx('getCaOrderStatus'))).status).toBe('pendingSubmitOrderToCA');
    await drive(caOrderId, 'pass-review');
    expect((await client.getStatus(caOrderId, ctx('getCaOrderStatus'))).status).toBe('pendingDCV');
    await drive(caOrderId, 'pass-dcv');
    expect((await client.getStatus(caOrderId, ctx('getCaOrderStatus'))).status).toBe('pendingCAIssued');
    await drive(caOrderId, 'issue');
    expect((await client.getStatus(caOrderId, ctx('getCaOrderStatus'))).status).toBe('issued');
  });

  test('an id with stray whitespace is trimmed (the documents carry such ids)', async () => {
    const { caOrderId } = await client.createOrder(await dvRequest(), ctx('createCaOrder'));
    await expect(client.getStatus(` ${caOrderId} `, ctx('getCaOrderStatus'))).resolves.toMatchObject({ caOrderId, status: 'pendingSubmitOrderToCA' });
  });
});

describe('retrieveCertificate', () => {
  test('DV: leaf parses, carries the CSR key and names; chain is root first, intermediate last', async () => {
    const { id, req } = await issuedDvOrder();
    const cert = await client.retrieveCertificate(id, ctx('retrieveCertificate'));
    expect(cert.encryptionCertificatePem).toBeUndefined();
    expect(cert.chainPems).toHaveLength(2);
    samePem(cert.chainPems[0], sim.state.ca.rsa.rootPem);
    samePem(cert.chainPems[1], sim.state.ca.rsa.intermediatePem);

    const leaf = new X509Certificate(cert.certificatePem);
    const root = new X509Certificate(cert.chainPems[0] ?? '');
    const inter = new X509Certificate(cert.chainPems[1] ?? '');
    expect(leaf.subject).toContain(`CN=${req.commonName}`);
    expect(leaf.subjectAltName).toContain(`DNS:${req.commonName}`);
    expect(spki(leaf.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(spki(req.publicKeyPem));
    expect(leaf.checkIssued(inter)).toBe(true);
    expect(leaf.verify(inter.publicKey)).toBe(true);
    expect(inter.checkIssued(root)).toBe(true);
    expect(inter.verify(root.publicKey)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(new Date(leaf.validTo).getTime()).toBeGreaterThan(Date.now());
    expect(sim.state.order(id)?.cert?.serialNumber.toUpperCase().replace(/^0+/, '')).toBe(leaf.serialNumber.toUpperCase().replace(/^0+/, ''));
  });

  test('SM2: the signing certificate is the leaf, the encryption one beside it, each on the SM2 chain; the bound RSA certificate is kept, never the leaf', async () => {
    const { caOrderId, caOrderIdRsa, sign, enc, rsa } = await sm2Order();
    await drive(caOrderId, 'issue');
    const sm2Root = sim.state.ca.sm2.rootPem;
    const sm2Inter = sim.state.ca.sm2.intermediatePem;

    const sm2Only = await client.retrieveCertificate(caOrderId, ctx('retrieveCertificate'));
    samePem(sm2Only.certificatePem, sim.state.order(caOrderId)?.cert?.pem ?? 'missing');
    samePem(sm2Only.encryptionCertificatePem, sim.state.order(caOrderId)?.cert?.encryptPem ?? 'missing');
    expect(sm2Only.chainPems).toHaveLength(2);
    samePem(sm2Only.chainPems[0], sm2Root);
    samePem(sm2Only.chainPems[1], sm2Inter);
    expect(sm2Only.encryptionChainPems).toHaveLength(2);
    samePem(sm2Only.encryptionChainPems?.[0], sm2Root);
    samePem(sm2Only.encryptionChainPems?.[1], sm2Inter);
    expect(sm2Only.rsaCertificatePem).toBeUndefined();
    const inter = new X509Certificate(sm2Inter);
    expect(new X509Certificate(sm2Only.certificatePem).verify(inter.publicKey)).toBe(true);
    expect(new X509Certificate(sm2Only.encryptionCertificatePem ?? '').verify(inter.publicKey)).toBe(true);
    expect(spki(new X509Certificate(sm2Only.certificatePem).publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(spki(sign.publicKeyPem));
    expect(spki(new X509Certificate(sm2Only.encryptionCertificatePem ?? '').publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(spki(enc.publicKeyPem));
    await expect(client.retrieveCertificate(caOrderIdRsa, ctx('retrieveCertificate'))).rejects.toBeInstanceOf(CaCertificateNotReadyError);

    // Once the bound RSA order is issued the SM2 order's answer carries all three (as the document's example).
    await drive(caOrderIdRsa, 'issue');
    const all = await client.retrieveCertificate(caOrderId, ctx('retrieveCertificate'));
    samePem(all.certificatePem, sm2Only.certificatePem);
    samePem(all.encryptionCertificatePem, sm2Only.encryptionCertificatePem ?? 'missing');
    samePem(all.rsaCertificatePem, sim.state.order(caOrderIdRsa)?.cert?.pem ?? 'missing');
    samePem(all.rsaChainPems?.[0], sim.state.ca.rsa.rootPem);
    samePem(all.rsaChainPems?.[1], sim.state.ca.rsa.intermediatePem);
    // The RSA order's own id answers its certificate as the leaf.
    const own = await client.retrieveCertificate(caOrderIdRsa, ctx('retrieveCertificate'));
    samePem(all.rsaCertificatePem, own.certificatePem);
    expect(own.encryptionCertificatePem).toBeUndefined();
    expect(spki(new X509Certificate(own.certificatePem).publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(spki(rsa.publicKeyPem));
  });

  test("issuedOn 'retrieve' (the literal reading of §1.3): retrieve succeeds on pendingCAIssued and moves the order to issued", async () => {
    sim.state.updateSettings({ issuedOn: 'retrieve' });
    try {
      const { caOrderId } = await client.createOrder(await dvRequest(), ctx('createCaOrder'));
      await drive(caOrderId, 'issue');
      expect((await client.getStatus(caOrderId, ctx('getCaOrderStatus'))).status).toBe('pendingCAIssued');
      const cert = await client.retrieveCertificate(caOrderId, ctx('retrieveCertificate'));
      expect(cert.certificatePem).toContain('BEGIN CERTIFICATE');
      expect((await client.getStatus(caOrderId, ctx('getCaOrderStatus'))).status).toBe('issued');
    } finally {
      sim.state.updateSettings({ issuedOn: 'issue' });
    }
  });
});

describe('cancelOrder', () => {
  test('before issuance: cancelled, the order is closed; a repeat is still cancelled', async () => {
    const { caOrderId } = await client.createOrder(await dvRequest(), ctx('createCaOrder'));
    await drive(caOrderId, 'pass-review');
    await expect(client.cancelOrder(caOrderId, 'customer withdrew', ctx('cancelCaOrder'))).resolves.toEqual({ cancelled: true });
    expect(sim.state.order(caOrderId)).toMatchObject({ status: 'closed', cancelReason: 'customer withdrew' });
    expect((await client.getStatus(caOrderId, ctx('getCaOrderStatus'))).status).toBe('closed');
    await expect(client.cancelOrder(caOrderId, 'retry', ctx('cancelCaOrder', 2))).resolves.toEqual({ cancelled: true });
  });

  test('SM2: cancelling the SM2 order also closes its bundled RSA order', async () => {
    const { caOrderId, caOrderIdRsa } = await sm2Order();
    await expect(client.cancelOrder(caOrderId, 'wrong product', ctx('cancelCaOrder'))).resolves.toEqual({ cancelled: true });
    expect((await client.getStatus(caOrderIdRsa ?? '', ctx('getCaOrderStatus'))).status).toBe('closed');
  });

  test('after issuance: refused with the CA failedReason, the order stays issued', async () => {
    const { id } = await issuedDvOrder();
    await expect(client.cancelOrder(id, 'too late', ctx('cancelCaOrder'))).resolves.toEqual({ cancelled: false, failedReason: CANCEL_REASONS.issued });
    expect(sim.state.order(id)?.status).toBe('issued');
  });
});

describe('requestRevoke', () => {
  test('pendingAudit, then revoked once the CA completes it; a revoked certificate is still retrievable', async () => {
    const { id } = await issuedDvOrder();
    const proof = { fileType: '.pdf' as const, fileContent: Buffer.from('%PDF-1.4 revocation letter').toString('base64') };
    await expect(client.requestRevoke({ caOrderId: id, reason: 'key compromise', proof }, ctx('requestRevoke'))).resolves.toEqual({ revokeStatus: 'pendingAudit', revoked: false });
    expect((await client.getStatus(id, ctx('getCaOrderStatus'))).status).toBe('pendingRevoke');
    // A retried request answers the same.
    await expect(client.requestRevoke({ caOrderId: id, reason: 'key compromise', proof }, ctx('requestRevoke', 2))).resolves.toEqual({ revokeStatus: 'pendingAudit', revoked: false });
    await expect(client.cancelOrder(id, 'x', ctx('cancelCaOrder'))).resolves.toEqual({ cancelled: false, failedReason: CANCEL_REASONS.revoking });

    await drive(id, 'revoke');
    expect((await client.getStatus(id, ctx('getCaOrderStatus'))).status).toBe('revoked');
    await expect(client.requestRevoke({ caOrderId: id, reason: 'key compromise', proof }, ctx('requestRevoke', 3))).resolves.toEqual({ revokeStatus: 'revoked', revoked: true });
    await expect(client.cancelOrder(id, 'x', ctx('cancelCaOrder'))).resolves.toEqual({ cancelled: false, failedReason: CANCEL_REASONS.revoked });
    await expect(client.retrieveCertificate(id, ctx('retrieveCertificate'))).resolves.toMatchObject({ certificatePem: expect.stringContaining('BEGIN CERTIFICATE') });
    expect(sim.state.order(id)?.revokeReason).toBe('key compromise');
  });
});

describe('requestReissue', () => {
  test('a new order id on the reissue flow; idempotent on idempotenceId; the new cert carries the new key', async () => {
    const { id, req } = await issuedDvOrder();
    const fresh = await csrFor(req.commonName);
    const reissue = { caOrderId: id, csr: fresh.csrPem, reason: 'key rotation', idempotenceId: `${req.idempotenceId}-r1` };
    const first = await client.requestReissue(reissue, ctx('requestReissue'));
    expect(first.newCaOrderId).toEqual(expect.any(String));
    expect(first.newCaOrderId).not.toBe(id);
    await expect(client.requestReissue(reissue, ctx('requestReissue', 2))).resolves.toEqual(first);
    expect(sim.state.order(id)?.reissuedTo).toEqual([first.newCaOrderId]);
    expect(sim.state.order(first.newCaOrderId)).toMatchObject({ reissuedFrom: id, reissueReason: 'key rotation' });

    // The reissue skips review; the old (non-SM2, non-Sectigo) certificate stays valid.
    expect((await client.getStatus(first.newCaOrderId, ctx('getCaOrderStatus'))).status).toBe('pendingDCV');
    await drive(first.newCaOrderId, 'issue');
    const cert = await client.retrieveCertificate(first.newCaOrderId, ctx('retrieveCertificate'));
    expect(spki(new X509Certificate(cert.certificatePem).publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(spki(fresh.publicKeyPem));
    expect((await client.getStatus(id, ctx('getCaOrderStatus'))).status).toBe('issued');

    // Idempotent even after the old order was revoked (the lookup precedes the status check).
    await drive(id, 'revoke');
    await expect(client.requestReissue(reissue, ctx('requestReissue', 3))).resolves.toEqual(first);
  });

  test('SM2: without the revocation proof refused; without csrEncrypt refused; with both, the new pair carries the new keys', async () => {
    const { caOrderId, commonName } = await sm2Order();
    await drive(caOrderId, 'issue');
    const [sign, enc] = await Promise.all([generateSm2Csr({ commonName }), generateSm2Csr({ commonName })]);
    const base = { caOrderId, csr: sign.csrPem, csrEncrypt: enc.csrPem, reason: 'rekey', idempotenceId: `sm2-${caOrderId}` };
    const proof = { fileType: '.pdf' as const, fileContent: 'JVBERi0xLjQ=' };
    const noProof = await failure(client.requestReissue(base, ctx('requestReissue')));
    expect(noProof).toBeInstanceOf(CaBusinessError);
    expect(noProof.caMessage).toBe(SIM_ERRORS.proofRequiredForProduct());
    const noEnc = await failure(client.requestReissue({ ...base, csrEncrypt: undefined, proof }, ctx('requestReissue', 2)));
    expect(noEnc.caMessage).toBe(SIM_ERRORS.encryptCsrRequired());
    const ok = await client.requestReissue({ ...base, proof }, ctx('requestReissue', 3));
    expect(sim.state.order(ok.newCaOrderId)?.reissuedFrom).toBe(caOrderId);
    await drive(ok.newCaOrderId, 'issue');
    const cert = await client.retrieveCertificate(ok.newCaOrderId, ctx('retrieveCertificate'));
    expect(spki(new X509Certificate(cert.certificatePem).publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(spki(sign.publicKeyPem));
    expect(spki(new X509Certificate(cert.encryptionCertificatePem ?? '').publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(spki(enc.publicKeyPem));
  });
});

describe('sendIssuedEmail', () => {
  test('sent, and recorded by the CA with the collectUrl and our RequestID', async () => {
    const { id } = await issuedDvOrder();
    const collectUrl = `https://certflow.example.com/collect/${id}?t=abc`;
    const c = ctx('sendIssuedEmail');
    await expect(client.sendIssuedEmail(id, collectUrl, c)).resolves.toEqual({ sent: true });
    const recorded = sim.state.emails().filter((m) => m.orderId === id);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ orderId: id, collectUrl, requestId: c.requestId });
  });
});

// ---------------------------------------------------------------- error classes

describe('errors', () => {
  test('401: a wrong token → CaAuthError, not retryable, neither token in the error', async () => {
    const wrong = createWotrusClient({ baseUrl: sim.url, token: WRONG_TOKEN, timeoutMs: TIMEOUT_MS, connectTimeoutMs: 1000, connections: 1 });
    try {
      const before = sim.state.counters().unauthorized;
      const c = ctx('getCaOrderStatus');
      const e = await failure(wrong.getStatus('00000000-0000-0000-0000-000000000000', c));
      expect(e).toBeInstanceOf(CaAuthError);
      expect(e.name).toBe(CaErrorType.Auth);
      expect(e.retryable).toBe(false);
      expect(NON_RETRYABLE_CA_ERRORS).toContain(e.name);
      expect(e.httpStatus).toBe(401);
      expect(e.operation).toBe('getStatus');
      expect(e.requestId).toBe(c.requestId);
      expect(e.caMessage).toBeUndefined(); // WoTrus answers a bare 401
      expectNoSecret(e, WRONG_TOKEN);
      // A create with a wrong token creates nothing.
      const created = sim.state.counters().ordersCreated;
      const e2 = await failure(wrong.createOrder(await dvRequest(), ctx('createCaOrder')));
      expect(e2).toBeInstanceOf(CaAuthError);
      expect(e2.operation).toBe('createOrder');
      expectNoSecret(e2, WRONG_TOKEN);
      expect(sim.state.counters().ordersCreated).toBe(created);
      expect(sim.state.counters().unauthorized).toBe(before + 2);
    } finally {
      await wrong.close();
    }
  });

  test('401 with the right token (authFailure: a revoked token) → CaAuthError', async () => {
    sim.state.setFaults({ authFailure: true });
    const e = await failure(client.getStatus('00000000-0000-0000-0000-000000000000', ctx()));
    expect(e).toBeInstanceOf(CaAuthError);
    expect(e.retryable).toBe(false);
    expectNoSecret(e);
  });

  test.each([
    ['unknown productID', { productId: '11111111-2222-3333-4444-555555555555' }, SIM_ERRORS.unknownProduct('11111111-2222-3333-4444-555555555555')],
    ['month 11', { month: 11 as unknown as 12 }, SIM_ERRORS.monthInvalid(11)],
    ['a CSR that is not PEM', { csr: 'not a certificate request' }, SIM_ERRORS.csr('csR_RSA', { kind: 'not-pem' })],
    ['an invalid common name', { commonName: 'not a host!' }, SIM_ERRORS.commonNameInvalid('not a host!')],
    ['OV without organization', { productId: SIM_PRODUCT_IDS.rsaOv }, SIM_ERRORS.orgRequired()],
  ])('business refusal (%s) → CaBusinessError carrying the errorMsg; no order created', async (_case, patch, errorMsg) => {
    const before = sim.state.counters().ordersCreated;
    const c = ctx('createCaOrder');
    const e = await failure(client.createOrder(await dvRequest(patch), c));
    expect(e).toBeInstanceOf(CaBusinessError);
    expect(e.name).toBe(CaErrorType.Business);
    expect(e.retryable).toBe(false);
    expect(NON_RETRYABLE_CA_ERRORS).toContain(e.name);
    expect(e.httpStatus).toBe(200);
    expect(e.caMessage).toBe(errorMsg);
    expect(e.message).toContain(errorMsg);
    expect(e.requestId).toBe(c.requestId);
    expectNoSecret(e);
    expect(sim.state.counters().ordersCreated).toBe(before);
  });

  test('a CSR with a bad self-signature → CaBusinessError', async () => {
    const { csrPem } = await csrFor('sig.contract.example.com');
    // Flip one base64 character near the end (inside the signature).
    const lines = csrPem.trim().split('\n');
    const last = lines.length - 2;
    const line = lines[last] ?? '';
    const i = Math.max(0, line.length - 6);
    lines[last] = `${line.slice(0, i)}${line[i] === 'A' ? 'B' : 'A'}${line.slice(i + 1)}`;
    const e = await failure(client.createOrder(await dvRequest({ csr: lines.join('\n') }), ctx('createCaOrder')));
    expect(e).toBeInstanceOf(CaBusinessError);
    expect(e.caMessage).toBe(SIM_ERRORS.csr('csR_RSA', { kind: 'bad-signature' }));
  });

  test('refusals of the other operations carry the errorMsg too', async () => {
    const unknown = 'ABCDEF00-0000-0000-0000-000000000000';
    const q = await failure(client.getStatus(unknown, ctx('getCaOrderStatus')));
    expect(q).toBeInstanceOf(CaBusinessError);
    expect(q.caMessage).toBe(SIM_ERRORS.orderNotFound(unknown));
    const cancel = await failure(client.cancelOrder(unknown, 'r', ctx('cancelCaOrder')));
    expect(cancel.caMessage).toBe(SIM_ERRORS.orderNotFound(unknown));

    const { caOrderId } = await client.createOrder(await dvRequest(), ctx('createCaOrder'));
    const proof = { fileType: '.pdf' as const, fileContent: 'JVBERi0=' };
    const revoke = await failure(client.requestRevoke({ caOrderId, reason: 'r', proof }, ctx('requestRevoke')));
    expect(revoke).toBeInstanceOf(CaBusinessError);
    expect(revoke.caMessage).toBe(SIM_ERRORS.revokeNotIssued('pendingSubmitOrderToCA'));
    const reissue = await failure(client.requestReissue({ caOrderId, csr: (await csrFor('x.example.com')).csrPem, reason: 'r', idempotenceId: `${caOrderId}-r` }, ctx('requestReissue')));
    expect(reissue.caMessage).toBe(SIM_ERRORS.reissueNotIssued('pendingSubmitOrderToCA'));
    const email = await failure(client.sendIssuedEmail(caOrderId, 'https://c.example.com/1', ctx('sendIssuedEmail')));
    expect(email).toBeInstanceOf(CaBusinessError);
    expect(email.caMessage).toBe(SIM_ERRORS.emailNotIssued('pendingSubmitOrderToCA'));
    const badUrl = await failure(client.sendIssuedEmail(caOrderId, 'ftp://c.example.com/1', ctx('sendIssuedEmail')));
    expect(badUrl.caMessage).toBe(SIM_ERRORS.collectUrlInvalid('ftp://c.example.com/1'));
    for (const e of [q, cancel, revoke, reissue, email, badUrl]) {
      expect(e.retryable).toBe(false);
      expectNoSecret(e);
    }
  });

  test('retrieve before issuance → CaCertificateNotReadyError (retryable), with the CA message', async () => {
    const { caOrderId } = await client.createOrder(await dvRequest(), ctx('createCaOrder'));
    await drive(caOrderId, 'pass-review');
    await drive(caOrderId, 'pass-dcv');
    const c = ctx('retrieveCertificate');
    const e = await failure(client.retrieveCertificate(caOrderId, c));
    expect(e).toBeInstanceOf(CaCertificateNotReadyError);
    expect(e.name).toBe(CaErrorType.NotReady);
    expect(e.retryable).toBe(true);
    expect(e.operation).toBe('retrieveCertificate');
    expect(e.requestId).toBe(c.requestId);
    expect(e.caMessage).toBe(SIM_ERRORS.notIssuedYet('pendingCAIssued'));
    expectNoSecret(e);
    // ...and once issued, the same call succeeds.
    await drive(caOrderId, 'issue');
    await expect(client.retrieveCertificate(caOrderId, ctx('retrieveCertificate', 2))).resolves.toMatchObject({ certificatePem: expect.stringContaining('BEGIN CERTIFICATE') });
  });

  test('retrieve of an unknown order: on the wire it looks like "not issued" (data.result:false), so NotReady, carrying the CA message', async () => {
    // The simulator answers RetrievePem for an unknown order as it does before issuance
    // (isSuccess:false, data.result:false); only errorMsg tells them apart, and the client does
    // not parse messages. Pinned so a change on either side is noticed.
    const unknown = 'ABCDEF00-0000-0000-0000-0000000000FF';
    const e = await failure(client.retrieveCertificate(unknown, ctx('retrieveCertificate')));
    expect(e).toBeInstanceOf(CaCertificateNotReadyError);
    expect(e.caMessage).toBe(SIM_ERRORS.orderNotFound(unknown));
  });

  test('429 + Retry-After → CaRateLimitError with retryAfterMs; nothing processed', async () => {
    sim.state.setFaults({ rateLimitRate: 1, retryAfterSeconds: 7 });
    const before = sim.state.counters();
    const e = await failure(client.createOrder(await dvRequest(), ctx('createCaOrder')));
    expect(e).toBeInstanceOf(CaRateLimitError);
    expect(e.name).toBe(CaErrorType.RateLimit);
    expect((e as CaRateLimitError).retryAfterMs).toBe(7000);
    expect(e.retryable).toBe(true);
    expect(e.httpStatus).toBe(429);
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({ name: 'CaRateLimitError', retryAfterMs: 7000, httpStatus: 429, retryable: true });
    expectNoSecret(e);
    const after = sim.state.counters();
    expect(after.rateLimited).toBe(before.rateLimited + 1);
    expect(after.ordersCreated).toBe(before.ordersCreated);
  });

  test.each([[500], [502], [503]] as const)('HTTP %i (errorRate 1) → CaUnavailableError, retryable; not processed', async (status) => {
    sim.state.setFaults({ errorRate: 1, errorStatus: status });
    const before = sim.state.counters().ordersCreated;
    const e = await failure(client.createOrder(await dvRequest(), ctx('createCaOrder')));
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(e.name).toBe(CaErrorType.Unavailable);
    expect(e.retryable).toBe(true);
    expect(NON_RETRYABLE_CA_ERRORS).not.toContain(e.name);
    expect(e.httpStatus).toBe(status);
    expect(e.caMessage).toContain(String(status));
    expectNoSecret(e);
    expect(sim.state.counters().ordersCreated).toBe(before);
  });

  test('errorRate 1 with a random status → CaUnavailableError on every operation', async () => {
    sim.state.setFaults({ errorRate: 1 });
    const id = 'ABCDEF00-0000-0000-0000-000000000001';
    const proof = { fileType: '.pdf' as const, fileContent: 'JVBERi0=' };
    const calls: [string, Promise<unknown>][] = [
      ['getStatus', client.getStatus(id, ctx())],
      ['retrieveCertificate', client.retrieveCertificate(id, ctx())],
      ['cancelOrder', client.cancelOrder(id, 'r', ctx())],
      ['requestRevoke', client.requestRevoke({ caOrderId: id, reason: 'r', proof }, ctx())],
      ['requestReissue', client.requestReissue({ caOrderId: id, csr: 'x', reason: 'r', idempotenceId: 'i' }, ctx())],
      ['sendIssuedEmail', client.sendIssuedEmail(id, 'https://c.example.com/', ctx())],
    ];
    for (const [op, p] of calls) {
      const e = await failure(p);
      expect(e).toBeInstanceOf(CaUnavailableError);
      expect(e.operation).toBe(op);
      expect([500, 502, 503]).toContain(e.httpStatus);
    }
  });

  test('a hang past the client timeout → CaUnavailableError with a timeout code; the processed create is found again by idempotenceId', async () => {
    sim.state.setFaults({ hangRate: 1, hangMs: 4000, ops: ['create'] });
    const req = await dvRequest();
    const started = Date.now();
    const c = ctx('createCaOrder', 1);
    const e = await failure(client.createOrder(req, c));
    const elapsed = Date.now() - started;
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect((e as CaUnavailableError).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(e.retryable).toBe(true);
    expect(e.requestId).toBe(c.requestId);
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(3000); // the client's timeout fired, not the simulator's hang
    expectNoSecret(e);

    // The CA processed the call before hanging: the retry must find that order, not open a second.
    sim.state.clearFaults();
    const retried = await client.createOrder(req, ctx('createCaOrder', 2));
    expect(sim.state.order(retried.caOrderId)?.idempotenceId).toBe(req.idempotenceId);
    expect(sim.state.counters().ordersByIdempotenceId[req.idempotenceId]).toBe(1);
  });

  test('a hang before processing on a read → CaUnavailableError (timeout)', async () => {
    sim.state.setFaults({ hangRate: 1, hangMs: 4000, hangBeforeProcessing: true, ops: ['query'] });
    const e = await failure(client.getStatus('ABCDEF00-0000-0000-0000-000000000002', ctx('getCaOrderStatus')));
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect((e as CaUnavailableError).code).toMatch(/TIMEOUT/);
  });

  test.each([
    ['truncated', /not JSON/],
    ['html', /not JSON.*502 Bad Gateway/],
  ] as const)('malformed body (%s) → CaProtocolError saying not JSON', async (kind, pattern) => {
    const { caOrderId } = await client.createOrder(await dvRequest(), ctx('createCaOrder'));
    sim.state.setFaults({ malformedRate: 1, malformedKind: kind });
    const e = await failure(client.getStatus(caOrderId, ctx('getCaOrderStatus')));
    expect(e).toBeInstanceOf(CaProtocolError);
    expect(e.name).toBe(CaErrorType.Protocol);
    expect(e.retryable).toBe(true);
    expect((e as CaProtocolError).maxAttempts).toBeGreaterThan(0);
    expect(e.httpStatus).toBe(200);
    expect(e.message).toMatch(pattern);
    expect((e as CaProtocolError).issues).toEqual([{ path: '', message: expect.stringMatching(/not JSON/) }]);
    expectNoSecret(e);
  });

  test('malformed body (schema) → CaProtocolError naming the failing path', async () => {
    sim.state.setFaults({ malformedRate: 1, malformedKind: 'schema' });
    const e = await failure(client.createOrder(await dvRequest(), ctx('createCaOrder')));
    expect(e).toBeInstanceOf(CaProtocolError);
    expect((e as CaProtocolError).issues.map((i) => i.path)).toContain('isSuccess');
    expect(e.message).toContain('isSuccess');
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({ name: 'CaProtocolError', issues: expect.arrayContaining([expect.objectContaining({ path: 'isSuccess' })]) });
    expectNoSecret(e);
  });

  test('an outage window → CaUnavailableError (503, Retry-After) until it ends', async () => {
    sim.state.setFaults({ outage: { durationMs: 800 } });
    const e = await failure(client.getStatus('ABCDEF00-0000-0000-0000-000000000003', ctx('getCaOrderStatus')));
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(e.httpStatus).toBe(503);
    expect((e as CaUnavailableError).retryAfterMs).toBe(1000);
    expect(e.retryable).toBe(true);
    expectNoSecret(e);
    // (SimulatorState.faults() is typed as Faults, without the outageRemainingMs it returns.)
    await new Promise((resolve) => setTimeout(resolve, 850));
    // The fault set stays, but the window has passed: the CA answers again.
    const { caOrderId } = await client.createOrder(await dvRequest(), ctx('createCaOrder'));
    expect(sim.state.order(caOrderId)).toBeDefined();
  });

  test('faults limited by ops hit only those operations', async () => {
    const { caOrderId } = await client.createOrder(await dvRequest(), ctx('createCaOrder'));
    sim.state.setFaults({ errorRate: 1, errorStatus: 503, ops: ['retrieve'] });
    await expect(client.getStatus(caOrderId, ctx('getCaOrderStatus'))).resolves.toMatchObject({ status: 'pendingSubmitOrderToCA' });
    expect(await failure(client.retrieveCertificate(caOrderId, ctx('retrieveCertificate')))).toBeInstanceOf(CaUnavailableError);
  });
});

// ---------------------------------------------------------------- correlation

describe('RequestID', () => {
  test('the RequestID the client sends is the one the simulator logs, for every operation and for faults', async () => {
    const ids: Record<string, string> = {};
    const track = (op: string, activity: string): CallContext => {
      const c = ctx(activity);
      ids[op] = c.requestId;
      return c;
    };
    const req = await dvRequest();
    const { caOrderId } = await client.createOrder(req, track('create', 'createCaOrder'));
    await client.getStatus(caOrderId, track('query', 'getCaOrderStatus'));
    await client.cancelOrder(caOrderId, 'r', track('cancel', 'cancelCaOrder'));
    const { id } = await issuedDvOrder();
    await client.retrieveCertificate(id, track('retrieve', 'retrieveCertificate'));
    await client.sendIssuedEmail(id, 'https://c.example.com/x', track('email', 'sendIssuedEmail'));
    await client.requestReissue({ caOrderId: id, csr: (await csrFor(req.commonName)).csrPem, reason: 'r', idempotenceId: `${id}-rid` }, track('reissue', 'requestReissue'));
    await client.requestRevoke({ caOrderId: id, reason: 'r', proof: { fileType: '.pdf', fileContent: 'JVBERi0=' } }, track('revoke', 'requestRevoke'));

    for (const [op, requestId] of Object.entries(ids)) {
      const lines = simLog.filter((l) => l.requestId === requestId);
      expect(lines.map((l) => [l.op, l.msg])).toEqual([[op, 'wotrus api']]);
    }
    expect(simLog.find((l) => l.requestId === ids.create)?.orderId).toBe(caOrderId);
    expect(sim.state.emails().find((m) => m.orderId === id)?.requestId).toBe(ids.email);

    // A call the CA refused before processing is logged with the RequestID as well.
    sim.state.setFaults({ rateLimitRate: 1 });
    const limited = ctx('getCaOrderStatus', 4);
    await failure(client.getStatus(caOrderId, limited));
    expect(simLog.filter((l) => l.requestId === limited.requestId).map((l) => l.msg)).toEqual(['wotrus api: fault injected']);
  });

  test('a RequestID outside printable ASCII arrives percent-encoded, as the client documents', async () => {
    const c: CallContext = { requestId: 'order-é\r\n/getCaOrderStatus/1' };
    const e = await failure(client.getStatus('ABCDEF00-0000-0000-0000-000000000004', c));
    expect(e.requestId).toBe(c.requestId);
    expect(simLog.filter((l) => l.requestId === 'order-%C3%A9%0D%0A/getCaOrderStatus/1')).toHaveLength(1);
  });
});

describe('secrets', () => {
  test('no error any test saw, and no simulator log line, contains a token', () => {
    expect(errorsSeen.length).toBeGreaterThan(20);
    for (const e of errorsSeen) expectNoSecret(e, WRONG_TOKEN);
    for (const line of simLogText) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain(WRONG_TOKEN);
    }
  });
});
