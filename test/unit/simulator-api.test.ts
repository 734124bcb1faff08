import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CANCEL_REASONS,
  createSimulatorAdmin,
  generateCsr,
  generateKeyPair,
  generateSm2Csr,
  PUSH_SIGNATURE_HEADER,
  type RunningSimulator,
  SIM_ERRORS,
  SIM_PRODUCT_IDS,
  type SimulatorAdmin,
  type SimulatorOptions,
  startSimulator,
} from '../../tools/simulators/wotrus';
import type { CryptoKeyPair } from '../../tools/simulators/wotrus/x509';

const TOKEN = 'api-test-token-1234';
const ADMIN = 'api-test-admin-token-1234';
const PUSH_SECRET = 'push-secret-0123456789abcdef';

interface Env<T = unknown> {
  isSuccess: boolean;
  errorMsg: string | null;
  successMsg: string | null;
  data: T;
  page: unknown;
}

// ---------------------------------------------------------------- helpers

let rsaKeys: CryptoKeyPair;
let ecKeys: CryptoKeyPair;
beforeAll(async () => {
  [rsaKeys, ecKeys] = await Promise.all([generateKeyPair('rsa'), generateKeyPair('ec')]);
});

const csrFor = async (cn: string, kind: 'rsa' | 'ec' = 'ec'): Promise<string> =>
  (await generateCsr({ commonName: cn, keys: kind === 'rsa' ? rsaKeys : ecKeys })).csrPem;
const sm2CsrFor = async (cn: string): Promise<string> => (await generateSm2Csr({ commonName: cn })).csrPem;

const sims: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function start(opts: Partial<SimulatorOptions> = {}): Promise<{ sim: RunningSimulator; admin: SimulatorAdmin }> {
  const sim = await startSimulator({ token: TOKEN, adminToken: ADMIN, pushSecret: PUSH_SECRET, manual: true, pushRetryDelaysMs: [20, 40], ...opts });
  sims.push(sim);
  return { sim, admin: createSimulatorAdmin(sim.url, ADMIN) };
}

async function http(sim: RunningSimulator, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sim.url}${p}`, {
    method,
    headers: { WoTrusToken: TOKEN, 'content-type': 'application/json', RequestID: 'test/req/1', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function api<T = Record<string, unknown>>(sim: RunningSimulator, method: string, p: string, body?: unknown): Promise<Env<T>> {
  const res = await http(sim, method, p, body);
  expect(res.status).toBe(200);
  return (await res.json()) as Env<T>;
}

async function create(sim: RunningSimulator, info: Record<string, unknown>, org?: Record<string, unknown>): Promise<Env<{ orderId: string; orderId_RSA: string | null }>> {
  return api(sim, 'POST', '/v1/Order/Create', { orderinfoPost: { month: 12, ...info }, organizationPost: org });
}

async function dvOrder(sim: RunningSimulator, cn = 'www.example.com', extra: Record<string, unknown> = {}): Promise<string> {
  const r = await create(sim, { productID: SIM_PRODUCT_IDS.rsaDv, commonName: cn, csR_RSA: await csrFor(cn), ...extra });
  expect(r.errorMsg).toBe('');
  return r.data.orderId;
}

const status = async (sim: RunningSimulator, id: string): Promise<string> => (await api<{ status: string }>(sim, 'GET', `/v1/Order/${id}`)).data.status;

async function until(check: () => Promise<boolean> | boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
}

/** A push receiver answering the statuses in `answers` in turn (the last one repeats). */
async function receiver(answers: number[] = [200]): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = answers[Math.min(received.length - 1, answers.length - 1)]!;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/push`, received, close: () => new Promise((r) => server.close(() => r())) };
}

function signatureValid(r: Received): boolean {
  const header = r.headers[PUSH_SIGNATURE_HEADER];
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', PUSH_SECRET).update(r.raw).digest();
  const got = Buffer.from(header.slice('sha256='.length), 'hex');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

// ---------------------------------------------------------------- auth

describe('authentication', () => {
  it('answers 401 without or with a wrong WoTrusToken, and counts the calls', async () => {
    const { sim, admin } = await start();
    const none = await fetch(`${sim.url}/v1/Order/ABC`);
    expect(none.status).toBe(401);
    const wrong = await http(sim, 'POST', '/v1/Order/Create', {}, { WoTrusToken: 'nope' });
    expect(wrong.status).toBe(401);
    const c = await admin.counters();
    expect(c.unauthorized).toBe(2);
    expect(c.calls.query).toBe(1);
    expect(c.calls.create).toBe(1);
    expect(c.ordersCreated).toBe(0);
  });

  it('protects the admin API with its own bearer token', async () => {
    const { sim } = await start();
    expect((await fetch(`${sim.url}/__admin/counters`)).status).toBe(401);
    expect((await fetch(`${sim.url}/__admin/counters`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(401);
    await expect(createSimulatorAdmin(sim.url, 'wrong').counters()).rejects.toThrow(/401/);
  });
});

// ---------------------------------------------------------------- flows

describe('state machines', () => {
  it('DV: pendingSubmitOrderToCA → pendingDCV → pendingCAIssued → issued with small delays', async () => {
    const { sim, admin } = await start({ manual: false, delays: { submitMs: 5, dcvMs: 10, issueMs: 10 } });
    const id = await dvOrder(sim);
    const q = await api<Record<string, unknown>>(sim, 'GET', `/v1/Order/${id}`);
    expect(q).toMatchObject({ isSuccess: true, errorMsg: null, successMsg: 'success', page: null });
    expect(q.data).toMatchObject({ id, productID: SIM_PRODUCT_IDS.rsaDv, cn: 'www.example.com', duration: 12, isPay: 1 });
    expect(q.data.createTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/);
    expect(q.data.pendingLink).toBe(`${sim.url}/pending/${id}`);
    await until(async () => (await status(sim, id)) === 'issued');
    const o = await admin.order(id);
    expect(o.transitions.map((t) => t.status)).toEqual(['pendingSubmitOrderToCA', 'pendingDCV', 'pendingCAIssued', 'issued']);
    expect(o.issuedAt).toBeGreaterThanOrEqual(o.createdAt);
    const pem = await api<{ pem_RSA: string; chains_RSA: string[]; result: boolean }>(sim, 'GET', `/v1/Certificate/RetrievePem?orderID=${id}`);
    expect(pem.data.result).toBe(true);
    expect(pem.data.pem_RSA).toContain('BEGIN CERTIFICATE');
    expect(pem.data.chains_RSA).toEqual([sim.state.ca.rsa.rootPem, sim.state.ca.rsa.intermediatePem]);
    expect((await fetch(o.pendingLink)).status).toBe(200);
  });

  it('RetrievePem before issuance fails with result:false', async () => {
    const { sim } = await start();
    const id = await dvOrder(sim);
    const r = await api<{ result: boolean; pem_RSA: null }>(sim, 'GET', `/v1/Certificate/RetrievePem?orderID=${id}`);
    expect(r.isSuccess).toBe(false);
    expect(r.errorMsg).toBe(SIM_ERRORS.notIssuedYet('pendingSubmitOrderToCA'));
    expect(r.data).toMatchObject({ result: false, pem_RSA: null });
  });

  it('OV: legal review before DCV, driven by hand', async () => {
    const { sim, admin } = await start();
    const r = await create(sim, { productID: SIM_PRODUCT_IDS.rsaOv, commonName: 'ov.example.com', csR_RSA: await csrFor('ov.example.com') }, { OrgName: 'Example Ltd', countryCode: 'cn' });
    const id = r.data.orderId;
    expect(await status(sim, id)).toBe('pendingSubmitOrderToCA');
    await expect(admin.drive(id, 'pass-dcv')).rejects.toThrow(/409/);
    await admin.drive(id, 'pass-review');
    expect(await status(sim, id)).toBe('pendingDCV');
    await admin.drive(id, 'pass-dcv');
    expect(await status(sim, id)).toBe('pendingCAIssued');
    await admin.drive(id, 'issue');
    expect(await status(sim, id)).toBe('issued');
    const q = await api<{ org: { orgName: string; status: string } }>(sim, 'GET', `/v1/Order/${id}`);
    expect(q.data.org).toMatchObject({ orgName: 'Example Ltd', status: 'approved' });
  });

  it('OV with delays: the review step is timed too', async () => {
    const { sim, admin } = await start({ manual: false, delays: { reviewMs: 40, dcvMs: 5, issueMs: 5 } });
    const r = await create(sim, { productID: SIM_PRODUCT_IDS.rsaEv, commonName: 'ev.example.com', csR_RSA: await csrFor('ev.example.com') }, { OrgName: 'Example Ltd', countryCode: 'CN', businessLicense: '91440300MA5XXXXXXX' });
    await until(async () => (await status(sim, r.data.orderId)) === 'issued');
    const o = await admin.order(r.data.orderId);
    expect(o.reviewPassedAt! - o.createdAt).toBeGreaterThanOrEqual(35);
    expect(o.transitions.map((t) => t.status)).toEqual(['pendingSubmitOrderToCA', 'pendingDCV', 'pendingCAIssued', 'issued']);
  });

  it('issuedOn=retrieve: the order stays pendingCAIssued until RetrievePem', async () => {
    const { sim } = await start({ issuedOn: 'retrieve' });
    const id = await dvOrder(sim);
    await sim.state.drive(id, 'issue');
    expect(await status(sim, id)).toBe('pendingCAIssued');
    const r = await api<{ pem_RSA: string }>(sim, 'GET', `/v1/Certificate/RetrievePem?orderID=${id}`);
    expect(r.data.pem_RSA).toContain('BEGIN CERTIFICATE');
    expect(await status(sim, id)).toBe('issued');
  });

  it('SM2: one create answers orderId and orderId_RSA, both orders issue', async () => {
    const { sim } = await start({ manual: false, delays: { submitMs: 1, dcvMs: 1, issueMs: 1 } });
    const r = await create(sim, { productID: SIM_PRODUCT_IDS.sm2, commonName: 'sm2.example.com', Csr_Sign: await sm2CsrFor('sm2.example.com'), csR_RSA: await csrFor('sm2.example.com', 'rsa') });
    expect(r.data.orderId).toBeTruthy();
    expect(r.data.orderId_RSA).toBeTruthy();
    expect(r.data.orderId_RSA).not.toBe(r.data.orderId);
    await until(async () => (await status(sim, r.data.orderId)) === 'issued' && (await status(sim, r.data.orderId_RSA!)) === 'issued');
    const sm2 = await api<{ pem_Sign: string; pem_Encrypt: string; pem_RSA: string; chains_Sign: string[] }>(sim, 'GET', `/v1/Certificate/RetrievePem?orderID=${r.data.orderId}`);
    expect(sm2.data.pem_Sign).toContain('BEGIN CERTIFICATE');
    expect(sm2.data.pem_Encrypt).toContain('BEGIN CERTIFICATE');
    expect(sm2.data.chains_Sign).toEqual([sim.state.ca.sm2.rootPem, sim.state.ca.sm2.intermediatePem]);
    const rsa = await api<{ pem_RSA: string; pem_Sign: null }>(sim, 'GET', `/v1/Certificate/RetrievePem?orderID=${r.data.orderId_RSA}`);
    expect(rsa.data.pem_RSA).toBe(sm2.data.pem_RSA);
    expect(rsa.data.pem_Sign).toBeNull();
  });
});

// ---------------------------------------------------------------- idempotence

describe('idempotenceID', () => {
  it('a repeated create (also concurrent ones) returns the same order', async () => {
    const { sim, admin } = await start();
    const csr = await csrFor('idem.example.com');
    const body = { productID: SIM_PRODUCT_IDS.rsaDv, commonName: 'idem.example.com', csR_RSA: csr, idempotenceID: 'billing-42' };
    const first = await create(sim, body);
    const again = await Promise.all([1, 2, 3, 4, 5].map(() => create(sim, body)));
    for (const r of again) expect(r.data.orderId).toBe(first.data.orderId);
    const c = await admin.counters();
    expect(c.ordersCreated).toBe(1);
    expect(c.createsByIdempotenceId).toEqual({ 'billing-42': 6 });
    expect(c.ordersByIdempotenceId).toEqual({ 'billing-42': 1 });
    expect(c.calls.create).toBe(6);
    expect((await admin.orders()).total).toBe(1);
  });

  it('concurrent first creates race to one order', async () => {
    const { sim, admin } = await start();
    const csr = await csrFor('race.example.com');
    const body = { productID: SIM_PRODUCT_IDS.rsaDv, commonName: 'race.example.com', csR_RSA: csr, idempotenceID: 'race-1' };
    const all = await Promise.all(Array.from({ length: 8 }, () => create(sim, body)));
    expect(new Set(all.map((r) => r.data.orderId)).size).toBe(1);
    expect((await admin.counters()).ordersByIdempotenceId).toEqual({ 'race-1': 1 });
  });

  it('an empty idempotenceID (the doc example) does not dedupe', async () => {
    const { sim } = await start();
    const a = await dvOrder(sim, 'a.example.com', { idempotenceID: '' });
    const b = await dvOrder(sim, 'a.example.com', { idempotenceID: '' });
    expect(a).not.toBe(b);
  });
});

// ---------------------------------------------------------------- cancel / revoke / reissue / email

describe('cancel', () => {
  it('closes a pending order (ids trimmed), is idempotent, and is refused once issued', async () => {
    const { sim } = await start();
    const id = await dvOrder(sim);
    const ok = await api<{ cancelResult: boolean }>(sim, 'POST', '/v1/Order/Cancel', { orderID: ` ${id.toLowerCase()} `, reason: '域名填写错误' });
    expect(ok.data.cancelResult).toBe(true);
    expect(await status(sim, id)).toBe('closed');
    expect((await api<{ cancelResult: boolean }>(sim, 'POST', '/v1/Order/Cancel', { orderID: id })).data.cancelResult).toBe(true);

    const issued = await dvOrder(sim, 'b.example.com');
    await sim.state.drive(issued, 'issue');
    const refused = await api(sim, 'POST', '/v1/Order/Cancel', { orderID: issued, reason: 'x' });
    expect(refused).toMatchObject({ isSuccess: true, data: { cancelResult: false, cancelFailedReason: CANCEL_REASONS.issued } });
    expect(await status(sim, issued)).toBe('issued');

    const missing = await api(sim, 'POST', '/v1/Order/Cancel', { orderID: 'A30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D ' });
    expect(missing).toMatchObject({ isSuccess: false, errorMsg: SIM_ERRORS.orderNotFound('A30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D') });
  });
});

describe('revoke', () => {
  it('answers pendingAudit, then pendingRevoke → revoked with a revocation push', async () => {
    const rcv = await receiver();
    try {
      const { sim, admin } = await start({ pushUrl: rcv.url });
      const id = await dvOrder(sim);
      await admin.drive(id, 'issue');
      const r = await api(sim, 'POST', '/v1/Certificate/RevokeRequest', { orderId: id, reason: '私钥泄露', fileType: '.jpg', fileContent: 'AZIDFSLDFDDFKKDF' });
      expect(r).toMatchObject({ isSuccess: true, successMsg: '申请吊销成功', data: { revokeStatus: 'pendingAudit', revoked: false } });
      expect(await status(sim, id)).toBe('pendingRevoke');
      await admin.updateSettings({ manual: false, delays: { revokeMs: 10 } });
      await until(async () => (await status(sim, id)) === 'revoked');
      await sim.state.pushesIdle();
      const bodies = rcv.received.map((x) => JSON.parse(x.raw) as { orderId: string; isRevoked: boolean });
      expect(bodies.at(-1)).toEqual({ dataAction: 'order', orderId: id, isIssued: true, isRevoked: true });
      const again = await api(sim, 'POST', '/v1/Certificate/RevokeRequest', { orderId: id, reason: 'x', fileType: '.jpg', fileContent: 'AA==' });
      expect(again.data).toEqual({ revokeStatus: 'revoked', revoked: true });
    } finally {
      await rcv.close();
    }
  });

  it('refuses orders that are not issued and requires every field', async () => {
    const { sim } = await start();
    const id = await dvOrder(sim);
    const r = await api(sim, 'POST', '/v1/Certificate/RevokeRequest', { orderId: id, reason: 'x', fileType: '.jpg', fileContent: 'AA==' });
    expect(r.errorMsg).toBe(SIM_ERRORS.revokeNotIssued('pendingSubmitOrderToCA'));
    const noProof = await api(sim, 'POST', '/v1/Certificate/RevokeRequest', { orderID: id, reason: 'x' });
    expect(noProof.errorMsg).toBe(SIM_ERRORS.fileTypeRequired());
  });
});

describe('reissue', () => {
  async function issuedOrder(sim: RunningSimulator, productID: string, cn: string): Promise<string> {
    const csr = productID === SIM_PRODUCT_IDS.sm2 ? { Csr_Sign: await sm2CsrFor(cn) } : { csR_RSA: await csrFor(cn) };
    const r = await create(sim, { productID, commonName: cn, ...csr });
    await sim.state.drive(r.data.orderId, 'issue');
    return r.data.orderId;
  }
  const reissue = (sim: RunningSimulator, body: Record<string, unknown>) => api<{ newOrderID: string }>(sim, 'POST', '/v1/Certificate/ReissueRequest', body);

  it('WoTrus RSA: new order runs DCV + issue; the old certificate is NOT revoked', async () => {
    const { sim, admin } = await start();
    const old = await issuedOrder(sim, SIM_PRODUCT_IDS.rsaDv, 'r.example.com');
    const r = await reissue(sim, { orderID: old, csr: await csrFor('r.example.com', 'rsa'), reason: '私钥泄露', idempotenceID: 're-1' });
    expect(r).toMatchObject({ isSuccess: true, successMsg: '申请重新颁发成功' });
    const fresh = r.data.newOrderID;
    expect(fresh).not.toBe(old);
    expect(await status(sim, fresh)).toBe('pendingDCV');
    expect((await reissue(sim, { orderID: old, csr: await csrFor('r.example.com'), reason: 'again', idempotenceID: 're-1' })).data.newOrderID).toBe(fresh);
    await admin.drive(fresh, 'issue');
    expect(await status(sim, fresh)).toBe('issued');
    expect(await status(sim, old)).toBe('issued');
    expect((await admin.order(old)).reissuedTo).toEqual([fresh]);
    expect((await admin.order(fresh)).reissuedFrom).toBe(old);
    expect((await admin.counters()).ordersReissued).toBe(1);
  });

  it.each([
    ['Sectigo', SIM_PRODUCT_IDS.sectigoDv],
    ['SM2', SIM_PRODUCT_IDS.sm2],
  ])('%s: proof required; the old certificate is revoked once the new one issues', async (label, productID) => {
    const { sim } = await start();
    const old = await issuedOrder(sim, productID, 's.example.com');
    // §1.6: an SM2 reissue sends the new signing CSR in csr and the encryption CSR in csR_Encrypt.
    const keys = label === 'SM2' ? { csr: await sm2CsrFor('s.example.com'), csR_Encrypt: await sm2CsrFor('s.example.com') } : { csr: await csrFor('s.example.com') };
    const noProof = await reissue(sim, { orderID: old, ...keys, reason: 'key lost' });
    expect(noProof.errorMsg).toBe(SIM_ERRORS.proofRequiredForProduct());
    const r = await reissue(sim, { orderID: old, ...keys, reason: 'key lost', fileType: '.pdf', fileContent: 'JVBERi0=', idempotenceID: 'sx' });
    const fresh = r.data.newOrderID;
    expect(await status(sim, old)).toBe('issued');
    await sim.state.drive(fresh, 'issue');
    expect(await status(sim, fresh)).toBe('issued');
    expect(await status(sim, old)).toBe('revoked');
    // A retry after the old order was revoked still gets the same new id.
    const retry = await reissue(sim, { orderID: old, ...keys, reason: 'key lost', fileType: '.pdf', fileContent: 'JVBERi0=', idempotenceID: 'sx' });
    expect(retry.data.newOrderID).toBe(fresh);
  });

  it('SM2: csR_Encrypt is required and both CSRs must be SM2 keys; an RSA order refuses an SM2 CSR', async () => {
    const { sim } = await start();
    const old = await issuedOrder(sim, SIM_PRODUCT_IDS.sm2, 'e.example.com');
    const proof = { reason: 'rekey', fileType: '.pdf', fileContent: 'JVBERi0=' };
    const sm2 = await sm2CsrFor('e.example.com');
    expect((await reissue(sim, { orderID: old, csr: sm2, ...proof })).errorMsg).toBe(SIM_ERRORS.encryptCsrRequired());
    expect((await reissue(sim, { orderID: old, csr: await csrFor('e.example.com'), csR_Encrypt: sm2, ...proof })).errorMsg).toBe(SIM_ERRORS.csrKeyType('csr', 'SM2', 'ECDSA P-256'));
    expect((await reissue(sim, { orderID: old, csr: sm2, csR_Encrypt: await csrFor('e.example.com'), ...proof })).errorMsg).toBe(SIM_ERRORS.csrKeyType('csR_Encrypt', 'SM2', 'ECDSA P-256'));
    const ok = await reissue(sim, { orderID: old, csr: sm2, csR_Encrypt: await sm2CsrFor('e.example.com'), ...proof });
    expect(ok.errorMsg).toBe('');
    const rsa = await issuedOrder(sim, SIM_PRODUCT_IDS.rsaDv, 'r.example.com');
    expect((await reissue(sim, { orderID: rsa, csr: sm2, reason: 'rekey' })).errorMsg).toBe(SIM_ERRORS.csrKeyType('csr', 'RSA or ECDSA', 'SM2'));
  });

  it('refuses an order that is not issued', async () => {
    const { sim } = await start();
    const id = await dvOrder(sim);
    const r = await reissue(sim, { orderID: id, csr: await csrFor('www.example.com'), reason: 'x' });
    expect(r.errorMsg).toBe(SIM_ERRORS.reissueNotIssued('pendingSubmitOrderToCA'));
  });
});

describe('e-mail notification', () => {
  it('records issued orders and refuses others', async () => {
    const { sim, admin } = await start();
    const id = await dvOrder(sim);
    const early = await api(sim, 'POST', '/v1/Notification/email', { orderID: id, collectUrl: 'https://console.example.com/ssl/order/1' });
    expect(early).toMatchObject({ isSuccess: false, errorMsg: SIM_ERRORS.emailNotIssued('pendingSubmitOrderToCA'), data: { sentResult: false } });
    await admin.drive(id, 'issue');
    const r = await api(sim, 'POST', '/v1/Notification/email', { orderID: `${id} `, collectUrl: 'https://console.example.com/ssl/order/1' });
    expect(r).toMatchObject({ isSuccess: true, data: { sentResult: true } });
    const emails = await admin.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ orderId: id, collectUrl: 'https://console.example.com/ssl/order/1', requestId: 'test/req/1' });
    expect(emails[0]!.time).toMatch(/\+08:00$/);
    expect((await admin.counters()).emailsSent).toBe(1);
  });
});

// ---------------------------------------------------------------- bad input

describe('bad input creates nothing', () => {
  let sim: RunningSimulator;
  let admin: SimulatorAdmin;
  let goodCsr: string;
  beforeAll(async () => {
    sim = await startSimulator({ token: TOKEN, adminToken: ADMIN, manual: true });
    admin = createSimulatorAdmin(sim.url, ADMIN);
    goodCsr = (await generateCsr({ commonName: 'bad.example.com', keyType: 'ec' })).csrPem;
  });
  afterAll(() => sim.close());

  const base = (): Record<string, unknown> => ({ productID: SIM_PRODUCT_IDS.rsaDv, commonName: 'bad.example.com', csR_RSA: goodCsr, month: 12 });

  const cases: [string, () => Promise<{ info: Record<string, unknown>; org?: Record<string, unknown> }>, () => string][] = [
    ['a CSR that is not PEM', async () => ({ info: { ...base(), csR_RSA: 'not a csr' } }), () => SIM_ERRORS.csr('csR_RSA', { kind: 'not-pem' })],
    [
      'a CSR with a bad self-signature',
      async () => {
        const der = Buffer.from(goodCsr.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
        der[der.length - 5] = der[der.length - 5]! ^ 0xff;
        return { info: { ...base(), csR_RSA: `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n` } };
      },
      () => SIM_ERRORS.csr('csR_RSA', { kind: 'bad-signature' }),
    ],
    ['an RSA-1024 CSR', async () => ({ info: { ...base(), csR_RSA: (await generateCsr({ commonName: 'bad.example.com', rsaBits: 1024 })).csrPem } }), () => SIM_ERRORS.csr('csR_RSA', { kind: 'rsa-too-small', bits: 1024 })],
    ['a missing CSR', async () => ({ info: { ...base(), csR_RSA: '' } }), () => SIM_ERRORS.csr('csR_RSA', { kind: 'missing' })],
    ['an unknown productID', async () => ({ info: { ...base(), productID: '00000000-0000-0000-0000-000000000000' } }), () => SIM_ERRORS.unknownProduct('00000000-0000-0000-0000-000000000000')],
    ['month 6', async () => ({ info: { ...base(), month: 6 } }), () => SIM_ERRORS.monthInvalid(6)],
    ['a missing month', async () => ({ info: { ...base(), month: undefined } }), () => SIM_ERRORS.monthInvalid(undefined)],
    ['a missing commonName', async () => ({ info: { ...base(), commonName: ' ' } }), () => SIM_ERRORS.commonNameRequired()],
    ['an invalid host name', async () => ({ info: { ...base(), commonName: 'not a host' } }), () => SIM_ERRORS.commonNameInvalid('not a host')],
    ['OV without organizationPost', async () => ({ info: { ...base(), productID: SIM_PRODUCT_IDS.rsaOv } }), () => SIM_ERRORS.orgRequired()],
    ['OV without OrgName', async () => ({ info: { ...base(), productID: SIM_PRODUCT_IDS.rsaOv }, org: { OrgName: '', countryCode: 'CN', OrgPhone: '1' } }), () => SIM_ERRORS.orgNameRequired()],
    ['an organizationPost without OrgName (DV)', async () => ({ info: base(), org: { orgPhone: '123', countryCode: 'CN' } }), () => SIM_ERRORS.orgNameRequired()],
    ['PDF without countryCode', async () => ({ info: { ...base(), productID: SIM_PRODUCT_IDS.docSignOrg, commonName: 'Example Ltd' }, org: { OrgName: 'Example Ltd' } }), () => SIM_ERRORS.countryCodeRequired()],
    ['a three-letter countryCode', async () => ({ info: base(), org: { OrgName: 'X', countryCode: 'CHN' } }), () => SIM_ERRORS.countryCodeInvalid('CHN')],
  ];

  it.each(cases)('refuses %s with a precise errorMsg', async (_label, make, message) => {
    await admin.resetCounters();
    const { info, org } = await make();
    const r = await create(sim, info, org);
    expect(r).toMatchObject({ isSuccess: false, errorMsg: message(), data: null });
    const c = await admin.counters();
    expect(c.calls.create).toBe(1);
    expect(c.ordersCreated).toBe(0);
    expect((await admin.orders()).total).toBe(0);
  });

  it('answers 400 with an envelope when the body is not JSON', async () => {
    const res = await http(sim, 'POST', '/v1/Order/Create', '{"orderinfoPost": ');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ isSuccess: false, errorMsg: SIM_ERRORS.invalidJson() });
    expect((await admin.orders()).total).toBe(0);
  });

  it('accepts any key casing and string months (ASP.NET model binding)', async () => {
    const res = await http(sim, 'POST', '/v1/order/create', { OrderInfoPost: { ProductID: SIM_PRODUCT_IDS.rsaDv.toLowerCase(), CommonName: 'case.example.com', CSR_RSA: goodCsr, Month: '24' } });
    const body = (await res.json()) as Env<{ orderId: string }>;
    expect(body.isSuccess).toBe(true);
    const q = await api<{ duration: number }>(sim, 'GET', `/v1/order/${body.data.orderId.toLowerCase()}`);
    expect(q.data.duration).toBe(24);
    const pem = await api(sim, 'GET', `/v1/Certificate/RetrievePem?orderId=${body.data.orderId}`);
    expect(pem.errorMsg).toBe(SIM_ERRORS.notIssuedYet('pendingSubmitOrderToCA'));
    const r = await admin.drive(body.data.orderId, 'close');
    expect(r.status).toBe('closed');
  });
});

// ---------------------------------------------------------------- faults

describe('fault injection', () => {
  it('errorRate 1 answers 5xx and processes nothing', async () => {
    const { sim, admin } = await start();
    await admin.setFaults({ errorRate: 1, errorStatus: 502 });
    const res = await http(sim, 'POST', '/v1/Order/Create', { orderinfoPost: { productID: SIM_PRODUCT_IDS.rsaDv, commonName: 'f.example.com', csR_RSA: await csrFor('f.example.com'), month: 12 } });
    expect(res.status).toBe(502);
    await admin.setFaults({ errorRate: 1 });
    for (let i = 0; i < 5; i++) expect([500, 502, 503]).toContain((await http(sim, 'GET', '/v1/Order/X')).status);
    const c = await admin.counters();
    expect(c.ordersCreated).toBe(0);
    expect(c.faultsInjected).toBe(6);
  });

  it('rateLimitRate 1 answers 429 with Retry-After', async () => {
    const { sim, admin } = await start();
    await admin.setFaults({ rateLimitRate: 1, retryAfterSeconds: 7 });
    const res = await http(sim, 'GET', '/v1/Order/X');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect((await admin.counters()).rateLimited).toBe(1);
  });

  it('malformedRate 1 answers HTTP 200 with an unparseable or schema-breaking body (after processing)', async () => {
    const { sim, admin } = await start();
    await admin.setFaults({ malformedRate: 1, malformedKind: 'truncated' });
    const res = await http(sim, 'POST', '/v1/Order/Create', { orderinfoPost: { productID: SIM_PRODUCT_IDS.rsaDv, commonName: 'm.example.com', csR_RSA: await csrFor('m.example.com'), month: 12 } });
    expect(res.status).toBe(200);
    await expect(res.clone().json()).rejects.toThrow();
    expect((await admin.counters()).ordersCreated).toBe(1);
    await admin.setFaults({ malformedRate: 1, malformedKind: 'schema' });
    const schema = (await (await http(sim, 'GET', '/v1/Order/X')).json()) as Record<string, unknown>;
    expect(typeof schema.isSuccess).not.toBe('boolean');
  });

  it('an outage answers 503 to everything for its duration', async () => {
    const { sim, admin } = await start();
    await admin.setFaults({ outage: { durationMs: 150 } });
    expect((await http(sim, 'GET', '/v1/Order/X')).status).toBe(503);
    expect((await http(sim, 'POST', '/v1/Order/Cancel', { orderID: 'X' })).status).toBe(503);
    await new Promise((r) => setTimeout(r, 200));
    expect((await http(sim, 'GET', '/v1/Order/X')).status).toBe(200);
  });

  it('authFailure answers 401 even with the right token', async () => {
    const { sim, admin } = await start();
    await admin.setFaults({ authFailure: true });
    expect((await http(sim, 'GET', '/v1/Order/X')).status).toBe(401);
    await admin.clearFaults();
    expect((await http(sim, 'GET', '/v1/Order/X')).status).toBe(200);
  });

  it('hangRate 1 holds the answer past the client timeout, yet the order exists', async () => {
    const { sim, admin } = await start();
    await admin.setFaults({ hangRate: 1, hangMs: 2_000, ops: ['create'] });
    const body = { orderinfoPost: { productID: SIM_PRODUCT_IDS.rsaDv, commonName: 'h.example.com', csR_RSA: await csrFor('h.example.com'), month: 12, idempotenceID: 'hang-1' } };
    await expect(
      fetch(`${sim.url}/v1/Order/Create`, { method: 'POST', headers: { WoTrusToken: TOKEN, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    expect((await admin.counters()).ordersCreated).toBe(1);
    expect((await http(sim, 'GET', '/v1/Order/X')).status).toBe(200); // `ops` limits the fault to create
    await admin.clearFaults();
    const retry = await create(sim, body.orderinfoPost);
    expect((await admin.counters()).ordersByIdempotenceId).toEqual({ 'hang-1': 1 });
    expect(retry.isSuccess).toBe(true);
  });

  it('rejects an invalid faults body', async () => {
    const { admin } = await start();
    await expect(admin.setFaults({ errorRate: 2 })).rejects.toThrow(/400/);
  });
});

// ---------------------------------------------------------------- pushes

describe('pushes', () => {
  it('are signed with HMAC-SHA256 over the raw body, one per status change', async () => {
    const rcv = await receiver();
    try {
      const { sim, admin } = await start({ pushUrl: rcv.url });
      const id = await dvOrder(sim);
      await admin.drive(id, 'issue');
      await sim.state.pushesIdle();
      expect(rcv.received).toHaveLength(3); // pendingDCV, pendingCAIssued, issued
      for (const r of rcv.received) expect(signatureValid(r)).toBe(true);
      expect(rcv.received.map((r) => r.raw)).toEqual([
        `{"dataAction":"order","orderId":"${id}","isIssued":false,"isRevoked":false}`,
        `{"dataAction":"order","orderId":"${id}","isIssued":false,"isRevoked":false}`,
        `{"dataAction":"order","orderId":"${id}","isIssued":true,"isRevoked":false}`,
      ]);
      expect((await admin.counters()).pushes).toEqual({ sent: 3, acknowledged: 3, failed: 0, dropped: 0 });
    } finally {
      await rcv.close();
    }
  });

  it('retries up to 3 attempts while the receiver answers 500, then gives up', async () => {
    const rcv = await receiver([500]);
    try {
      const { sim, admin } = await start({ pushUrl: rcv.url });
      const id = await dvOrder(sim);
      await admin.drive(id, 'pass-review');
      await sim.state.pushesIdle();
      expect(rcv.received).toHaveLength(3);
      expect(new Set(rcv.received.map((r) => r.headers['x-wotrus-delivery'])).size).toBe(1);
      expect((await admin.counters()).pushes).toEqual({ sent: 3, acknowledged: 0, failed: 3, dropped: 1 });
    } finally {
      await rcv.close();
    }
  });

  it('stops retrying after a 200', async () => {
    const rcv = await receiver([500, 200]);
    try {
      const { sim, admin } = await start({ pushUrl: rcv.url });
      const id = await dvOrder(sim);
      await admin.drive(id, 'pass-review');
      await sim.state.pushesIdle();
      await new Promise((r) => setTimeout(r, 100));
      expect(rcv.received).toHaveLength(2);
      expect((await admin.counters()).pushes).toEqual({ sent: 2, acknowledged: 1, failed: 1, dropped: 0 });
    } finally {
      await rcv.close();
    }
  });

  it('dropPushRate 1 sends nothing and counts the drop', async () => {
    const rcv = await receiver();
    try {
      const { sim, admin } = await start({ pushUrl: rcv.url });
      await admin.setFaults({ dropPushRate: 1 });
      const id = await dvOrder(sim);
      await admin.drive(id, 'pass-review');
      await sim.state.pushesIdle();
      expect(rcv.received).toHaveLength(0);
      expect((await admin.counters()).pushes.dropped).toBe(1);
    } finally {
      await rcv.close();
    }
  });
});

// ---------------------------------------------------------------- admin & persistence

describe('admin API', () => {
  it('lists orders by status, forces statuses, reads and changes settings', async () => {
    const { sim, admin } = await start();
    const a = await dvOrder(sim, 'a.example.com');
    const b = await dvOrder(sim, 'b.example.com');
    await admin.drive(b, 'reject', 'domain blacklisted');
    expect((await admin.orders('rejected')).orders.map((o) => o.id)).toEqual([b]);
    expect((await admin.orders('pendingSubmitOrderToCA')).orders.map((o) => o.id)).toEqual([a]);
    await admin.forceStatus(a, 'unknown');
    expect(await status(sim, a)).toBe('unknown');
    expect((await admin.settings()).manual).toBe(true);
    const s = await admin.updateSettings({ delays: { dcvMs: 7 } });
    expect(s.delays.dcvMs).toBe(7);
    await expect(admin.updateSettings({ delays: { dcvMs: -1 } })).rejects.toThrow(/400/);
  });
});

describe('metrics', () => {
  it('GET /metrics counts the calls the CA saw, its orders by status, refusals and pushes', async () => {
    const { sim, admin } = await start();
    const a = await dvOrder(sim, 'a.example.com');
    await dvOrder(sim, 'b.example.com');
    await status(sim, a);
    expect((await http(sim, 'GET', `/v1/Order/${a}`, undefined, { WoTrusToken: 'nope' })).status).toBe(401);
    await admin.drive(a, 'pass-review');
    const res = await fetch(`${sim.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const value = (series: string): number => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1) ?? NaN);
    expect(value('certflow_simulator_calls_total{operation="create"}')).toBe(2);
    expect(value('certflow_simulator_calls_total{operation="query"}')).toBe(2);
    expect(value('certflow_simulator_refusals_total{reason="unauthorized"}')).toBe(1);
    expect(value('certflow_simulator_orders{status="pendingSubmitOrderToCA"}')).toBe(1);
    expect(value('certflow_simulator_orders{status="pendingDCV"}')).toBe(1);
    expect(value('certflow_simulator_orders{status="issued"}')).toBe(0);
    expect(value('certflow_simulator_pushes_total{outcome="sent"}')).toBe(0);
  });
});

describe('persistence', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'sim-state-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a version 1 CA file (ECDSA stand-in SM2 hierarchy) gets a real SM2 hierarchy, the RSA one kept, and is saved as version 2', async () => {
    const first = await startSimulator({ token: TOKEN, adminToken: ADMIN, manual: true, dataDir });
    const rsaRoot = first.state.ca.rsa.rootPem;
    const oldSm2Root = first.state.ca.sm2.rootPem;
    await first.close();
    const file = path.join(dataDir, 'simulator', 'ca.json');
    const saved = JSON.parse(await readFile(file, 'utf8')) as { version: number };
    expect(saved.version).toBe(2);
    await writeFile(file, JSON.stringify({ ...saved, version: 1 }));

    const second = await startSimulator({ token: TOKEN, adminToken: ADMIN, manual: true, dataDir });
    sims.push(second);
    expect(second.state.ca.rsa.rootPem).toBe(rsaRoot);
    expect(second.state.ca.sm2.rootPem).not.toBe(oldSm2Root);
    const rewritten = JSON.parse(await readFile(file, 'utf8')) as { version: number; sm2: { rootPem: string } };
    expect(rewritten).toMatchObject({ version: 2, sm2: { rootPem: second.state.ca.sm2.rootPem } });
  });

  it('keeps orders, idempotence, certificates and CA keys across a restart', async () => {
    const first = await startSimulator({ token: TOKEN, adminToken: ADMIN, manual: true, dataDir });
    const csr = await csrFor('p.example.com');
    const body = { productID: SIM_PRODUCT_IDS.rsaDv, commonName: 'p.example.com', csR_RSA: csr, idempotenceID: 'persist-1' };
    const id = (await create(first, body)).data.orderId;
    await first.state.drive(id, 'issue');
    const pending = (await create(first, { ...body, idempotenceID: 'persist-2' })).data.orderId;
    const pem = (await api<{ pem_RSA: string }>(first, 'GET', `/v1/Certificate/RetrievePem?orderID=${id}`)).data.pem_RSA;
    const root = first.state.ca.rsa.rootPem;
    await first.close();

    const second = await startSimulator({ token: TOKEN, adminToken: ADMIN, dataDir, delays: { submitMs: 1, dcvMs: 1, issueMs: 1 } });
    sims.push(second);
    expect(second.state.ca.rsa.rootPem).toBe(root);
    expect(await status(second, id)).toBe('issued');
    expect((await api<{ pem_RSA: string }>(second, 'GET', `/v1/Certificate/RetrievePem?orderID=${id}`)).data.pem_RSA).toBe(pem);
    expect((await create(second, body)).data.orderId).toBe(id);
    // The pending order resumes its timers in the new process.
    await until(async () => (await status(second, pending)) === 'issued');
  });
});
