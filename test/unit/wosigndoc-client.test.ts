/**
 * The WoSignDoc client over real mutual TLS against a throwaway node:https server on
 * 127.0.0.1:0 that asks for a client certificate and refuses any not from its client CA
 * (requestCert + rejectUnauthorized). Not the simulator: this pins the client's own behaviour
 * — the pinned CA, the client certificate, the answers of the document (seed 003 §3.1).
 */
import fs from 'node:fs';
import https from 'node:https';
import { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type TLSSocket } from 'node:tls';
import { Pool } from 'undici';
import { CaAuthError, CaBusinessError, CaInsufficientBalanceError, CaProtocolError, CaUnavailableError, caMayHaveActed, type CaError } from '../../src/ca/errors';
import { caConnection, requestJson, type AnswerContext } from '../../src/ca/http-answer';
import {
  clientCertificateExpiry,
  createWosignDocClient,
  createWosignDocClientFromConfig,
  expiryWarning,
  pinnedTlsOptions,
  tlsAlertRecorder,
  tlsFailure,
  WosignDocRequestRefusedError,
  type SignOrderInput,
  type WosignDocClient,
  type WosignDocClientOptions,
} from '../../src/signing/wosigndoc';
import { createTestCa, type TestCa, type TestLeaf } from '../support/tls-pki';

const TOKENID = 'wsd-tokenid-secret-0123456789';
const PASSWORD = 'pdf-password-42';
const ID_NUMBER = '212125668686868888';
const PICTURE = Buffer.from('an ID card picture');
const DOCUMENT = Buffer.from('%PDF-1.7 a contract');
const DAY = 86_400_000;

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  clientCn: string | undefined;
}
type Handler = (seen: Seen, res: ServerResponse) => void;
const answer = (body: unknown, status = 200, type = 'application/json'): Handler => (_seen, res) => {
  res.writeHead(status, { 'content-type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

let platformCa: TestCa; // signs the platform's server certificate: pinned by the client
let clientCa: TestCa; // signs the client certificates the platform accepts
let otherCa: TestCa; // a valid CA nobody here pins or trusts for this platform
let clientLeaf: TestLeaf;
let server: https.Server;
let url: string;
let handler: Handler;
let seen: Seen[];
let tlsRefusals: string[];
let client: WosignDocClient;

function mtlsServer(leaf: TestLeaf): https.Server {
  const s = https.createServer({ cert: leaf.certPem, key: leaf.keyPem, ca: [clientCa.certPem], requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      const one: Seen = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), clientCn: peer?.subject?.CN as string | undefined };
      seen.push(one);
      handler(one, res);
    });
  });
  s.on('tlsClientError', (err: NodeJS.ErrnoException) => tlsRefusals.push(err.code ?? err.message));
  return s;
}

async function listen(s: https.Server): Promise<string> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

async function stop(s: https.Server): Promise<void> {
  s.closeAllConnections();
  await new Promise((resolve) => s.close(resolve));
}

function options(more: Partial<WosignDocClientOptions> = {}): WosignDocClientOptions {
  return {
    url: `${url}/docapi?v=1`,
    tokenid: TOKENID,
    clientCertPem: clientLeaf.certPem,
    clientKeyPem: clientLeaf.keyPem,
    caPem: platformCa.certPem,
    timeoutMs: 1_500,
    connectTimeoutMs: 1_500,
    connections: 2,
    ...more,
  };
}

const ctx = (n = 1) => ({ requestId: `sign-B-1001/createSignOrder/${n}` });

const order: SignOrderInput = {
  orderNumber: 'sign-B-1001',
  subject: '合同',
  password: PASSWORD,
  document: { content: DOCUMENT, format: 'pdf' },
  signers: [{ type: 'person', name: '张三', idNumber: ID_NUMBER, idPicture: PICTURE, otherPicture: PICTURE, positions: [{ page: 1, position: '0.65, 0.47, 0.82, 0.59' }] }],
};

async function failure(p: Promise<unknown>): Promise<CaError> {
  try {
    await p;
  } catch (e) {
    return e as CaError;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  [platformCa, clientCa, otherCa] = await Promise.all([createTestCa('WoSignDoc Test Platform CA'), createTestCa('WoSignDoc Test Client CA'), createTestCa('Some Other Valid CA')]);
  clientLeaf = await clientCa.issue({ commonName: 'certflow client', usage: 'client' });
  server = mtlsServer(await platformCa.issue({ commonName: 'docapi.test', usage: 'server' }));
  url = await listen(server);
  client = createWosignDocClient(options());
});

afterAll(async () => {
  await client.close();
  await stop(server);
});

beforeEach(() => {
  seen = [];
  tlsRefusals = [];
  handler = answer({ status: 1, errorcode: 0, signid: '837e0f97-f742-4162-97da-6cfdf4d23c82', ordernumber: 'sign-B-1001' });
});

describe('(a) mutual TLS with the pinned CA and our client certificate', () => {
  test('creates the signing order: the body as the document writes it, our certificate seen by the server', async () => {
    await expect(client.createSignOrder(order, ctx())).resolves.toEqual({ kind: 'created', signId: '837e0f97-f742-4162-97da-6cfdf4d23c82', orderNumber: 'sign-B-1001' });
    expect(seen).toHaveLength(1);
    const [one] = seen;
    expect(one!.clientCn).toBe('certflow client');
    expect(one!.url).toBe('/docapi?v=1');
    expect(one!.headers['content-type']).toBe('application/json; charset=utf-8');
    // No request id header: the document defines none.
    expect(JSON.stringify(one!.headers)).not.toContain('sign-B-1001/createSignOrder');
    expect(JSON.parse(one!.body)).toEqual({
      tokenid: TOKENID,
      actiontype: 'CreateSignOrder',
      subject: '合同',
      password: PASSWORD,
      filebase: DOCUMENT.toString('base64'),
      fileformat: 'pdf',
      orderNumber: 'sign-B-1001',
      signerlist: [{ signType: 2, userName: '张三', userNo: ID_NUMBER, pic: PICTURE.toString('base64'), otherpic: PICTURE.toString('base64'), signlist: [{ pagenumber: 1, position: '0.65,0.47,0.82,0.59' }] }],
    });
  });

  test('-47 on a repeated create: the previous attempt got through, no failure', async () => {
    handler = answer({ status: 0, errorcode: -47, signid: '', orderNumber: 'sign-B-1001' });
    await expect(client.createSignOrder(order, ctx(2))).resolves.toMatchObject({ kind: 'alreadyAccepted', code: -47, state: 'signing' });
    handler = answer({ status: '0', errorcode: '-46' });
    await expect(client.createSignOrder(order, ctx(3))).resolves.toMatchObject({ kind: 'alreadyAccepted', code: -46, state: 'signed' });
  });

  test('-68: the balance error, -80: our certificate refused, -51: the field named', async () => {
    handler = answer({ status: 0, errorcode: -68 });
    expect(await failure(client.createSignOrder(order, ctx()))).toBeInstanceOf(CaInsufficientBalanceError);
    handler = answer({ status: 0, errorcode: -80 });
    const cert = await failure(client.createSignOrder(order, ctx()));
    expect(cert).toBeInstanceOf(CaAuthError);
    expect(cert.message).toContain('refused our client certificate');
    handler = answer({ status: 0, errorcode: '-51' });
    const field = await failure(client.createSignOrder(order, ctx()));
    expect(field).toBeInstanceOf(CaBusinessError);
    expect(field.message).toContain('signerlist[].orgName; certflow: signers[].name');
  });

  test('an order breaking the document\'s rules is refused before any call, naming certflow\'s field', async () => {
    const e = await failure(client.createSignOrder({ ...order, signers: [{ ...order.signers[0]!, otherPicture: '' }] }, ctx()));
    expect(e).toBeInstanceOf(WosignDocRequestRefusedError);
    expect((e as WosignDocRequestRefusedError).issues).toEqual([{ path: ['signers', 0, 'otherPicture'], rule: 'must be base64 (and not empty)' }]);
    expect(e.notActedOn).toBe(true);
    expect(seen).toHaveLength(0);
  });

  test('the tokenid, the document password and ID numbers never reach an error, whatever the platform echoes', async () => {
    const echo: Handler = (s, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error while handling ${s.body.slice(0, 4000)}`);
    };
    handler = echo;
    const e = await failure(client.createSignOrder(order, ctx()));
    expect(e).toBeInstanceOf(CaUnavailableError);
    handler = answer(`<html>bad gateway ${TOKENID} ${PASSWORD} ${ID_NUMBER}</html>`, 200, 'text/html');
    const p = await failure(client.createSignOrder(order, ctx()));
    expect(p).toBeInstanceOf(CaProtocolError);
    for (const err of [e, p]) {
      const text = `${err.message} ${JSON.stringify(err)}`;
      expect(text).toContain('[redacted]');
      for (const secret of [TOKENID, PASSWORD, ID_NUMBER]) expect(text).not.toContain(secret);
    }
    expect(JSON.stringify(client)).not.toContain(TOKENID);
  });

  test('answers we cannot act on: unreadable, a failure without code, another order\'s number', async () => {
    handler = answer({ status: 0 });
    expect(await failure(client.createSignOrder(order, ctx()))).toBeInstanceOf(CaProtocolError);
    handler = answer({ status: 1, errorcode: 0, signid: 'S', orderNumber: 'sign-B-9999' });
    const e = await failure(client.createSignOrder(order, ctx()));
    expect(e).toBeInstanceOf(CaProtocolError);
    expect(e.message).toContain('orderNumber: is "sign-B-9999", but we sent "sign-B-1001"');
  });

  test('a signid missing from a success is tolerated (the push names the order by orderNumber too)', async () => {
    handler = answer({ status: 1, errorcode: 0 });
    await expect(client.createSignOrder(order, ctx())).resolves.toEqual({ kind: 'created', signId: undefined, orderNumber: 'sign-B-1001' });
  });

  test('per-request timeout and the activity\'s cancellation', async () => {
    handler = () => undefined; // never answers
    const slow = await failure(client.createSignOrder(order, ctx()));
    expect(slow).toBeInstanceOf(CaUnavailableError);
    expect((slow as CaUnavailableError).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 100);
    await expect(client.createSignOrder(order, { ...ctx(), signal: controller.signal })).rejects.toBe(reason);
  }, 10_000);

  test('a TLS proxy\'s "400 No required SSL certificate was sent" page is our certificate refused', async () => {
    handler = answer('<html><head><title>400 No required SSL certificate was sent</title></head><body>nginx</body></html>', 400, 'text/html');
    const e = await failure(client.createSignOrder(order, ctx()));
    expect(e).toBeInstanceOf(CaAuthError);
    expect(e.message).toMatch(/refused our client certificate \(HTTP 400\): HTTP 400 ".*No required SSL certificate was sent/);
    expect(caMayHaveActed(e)).toBe(false);
  });
});

describe('(b) the platform refuses a client without an acceptable certificate', () => {
  test('a connection without any client certificate is refused by the server (requestCert + rejectUnauthorized)', async () => {
    const pool = new Pool(url, { connect: { ca: [platformCa.certPem], timeout: 1_500 } });
    try {
      await expect(pool.request({ path: '/docapi', method: 'POST', body: '{}' })).rejects.toThrow();
    } finally {
      await pool.close();
    }
    expect(seen).toHaveLength(0);
    expect(tlsRefusals).toContain('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
  });

  test('the server\'s TLS alert on such a connection becomes CaAuthError naming the client certificate', async () => {
    const alerts = tlsAlertRecorder();
    const ctx: AnswerContext = { issuer: 'WoSignDoc', operation: 'createSignOrder', requestId: 'r-1' };
    const { cert: _cert, key: _key, ...withoutClientCertificate } = pinnedTlsOptions({ clientCertPem: clientLeaf.certPem, clientKeyPem: clientLeaf.keyPem, caPem: platformCa.certPem });
    const conn = caConnection(url, { connections: 1, connectTimeoutMs: 1_500, timeoutMs: 1_500, maxResponseBytes: 65_536, tls: withoutClientCertificate, onConnection: alerts.onConnection });
    let e: unknown;
    try {
      await requestJson(conn.dispatcher, { origin: url, path: '/docapi', method: 'POST', body: '{}' }, ctx, undefined, { timeoutMs: 1_500, maxResponseBytes: 65_536 });
    } catch (err) {
      e = tlsFailure(err instanceof CaUnavailableError ? err.cause : err, ctx, alerts.alertFor);
    } finally {
      await conn.close();
    }
    expect(e).toBeInstanceOf(CaAuthError);
    expect((e as CaError).message).toMatch(/^WoSignDoc createSignOrder refused our client certificate: TLS alert ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: .*WOSIGNDOC_CLIENT_CERT_FILE/);
    expect((e as CaError).notActedOn).toBe(true);
  });

  test('our client with a certificate from a CA the platform does not accept: refused, a transport or auth error that names the certificate', async () => {
    const stranger = await otherCa.issue({ commonName: 'stranger', usage: 'client' });
    const c = createWosignDocClient(options({ clientCertPem: stranger.certPem, clientKeyPem: stranger.keyPem }));
    try {
      const e = await failure(c.createSignOrder(order, ctx()));
      expect([CaAuthError, CaUnavailableError].some((t) => e instanceof t)).toBe(true);
      expect(e.message).toContain('client certificate (WOSIGNDOC_CLIENT_CERT_FILE)');
      expect(e.message).not.toContain(TOKENID);
    } finally {
      await c.close();
    }
    expect(seen).toHaveLength(0);
    expect(tlsRefusals.length).toBeGreaterThan(0);
  });
});

describe('(c) the client refuses a server certificate from a CA it does not pin', () => {
  let rogue: https.Server;
  let rogueUrl: string;
  beforeAll(async () => {
    rogue = mtlsServer(await otherCa.issue({ commonName: 'docapi.test', usage: 'server' }));
    rogueUrl = await listen(rogue);
  });
  afterAll(() => stop(rogue));

  test('the other CA is otherwise valid: a client that trusts it talks to that server', async () => {
    const pool = new Pool(rogueUrl, { connect: { ca: [otherCa.certPem], cert: clientLeaf.certPem, key: clientLeaf.keyPem, timeout: 1_500 } });
    try {
      const res = await pool.request({ path: '/', method: 'POST', body: '{}' });
      expect(res.statusCode).toBe(200);
      await res.body.text();
    } finally {
      await pool.close();
    }
    expect(seen).toHaveLength(1);
  });

  test('ours, pinned to the platform\'s CA, refuses it before sending anything: CaAuthError naming WOSIGNDOC_CA_FILE', async () => {
    const c = createWosignDocClient(options({ url: rogueUrl }));
    try {
      const e = await failure(c.createSignOrder(order, ctx()));
      expect(e).toBeInstanceOf(CaAuthError);
      expect(e.message).toMatch(/^WoSignDoc createSignOrder presented a server certificate we do not trust: (UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE): .*WOSIGNDOC_CA_FILE/);
      expect(e.notActedOn).toBe(true);
      expect(e.message).not.toContain(TOKENID);
    } finally {
      await c.close();
    }
    expect(seen).toHaveLength(0);
  });

  test('the TLS options: only the pinned certificates as `ca` (which replaces Node\'s root store), verification on', () => {
    const tls = pinnedTlsOptions({ clientCertPem: clientLeaf.certPem, clientKeyPem: clientLeaf.keyPem, caPem: `# the platform's CA\n${platformCa.certPem}` });
    expect(tls).toMatchObject({ rejectUnauthorized: true, cert: clientLeaf.certPem, key: clientLeaf.keyPem });
    expect(tls.ca).toEqual([platformCa.certPem.trim() + '\n']);
  });
});

describe('construction and configuration', () => {
  test('https only; a key that is not the certificate\'s, or files without PEM, fail at once, naming the variable', async () => {
    expect(() => createWosignDocClient(options({ url: 'http://127.0.0.1:1/' }))).toThrow(/must be https/);
    const other = await clientCa.issue({ commonName: 'other', usage: 'client' });
    expect(() => createWosignDocClient(options({ clientKeyPem: other.keyPem }))).toThrow(/WOSIGNDOC_CLIENT_KEY_FILE does not hold the key of the certificate in WOSIGNDOC_CLIENT_CERT_FILE/);
    expect(() => createWosignDocClient(options({ clientCertPem: 'nothing' }))).toThrow(/WOSIGNDOC_CLIENT_CERT_FILE holds no PEM certificate/);
    expect(() => createWosignDocClient(options({ caPem: '' }))).toThrow(/WOSIGNDOC_CA_FILE holds no PEM certificate/);
    expect(() => createWosignDocClient(options({ tokenid: '' }))).toThrow(/tokenid must not be empty/);
  });

  test('from configuration: reads the three files; names what is missing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wosigndoc-'));
    try {
      const files = { cert: path.join(dir, 'client.pem'), key: path.join(dir, 'client.key'), ca: path.join(dir, 'ca.pem') };
      fs.writeFileSync(files.cert, clientLeaf.certPem);
      fs.writeFileSync(files.key, clientLeaf.keyPem);
      fs.writeFileSync(files.ca, platformCa.certPem);
      const config = {
        WOSIGNDOC_URL: url,
        WOSIGNDOC_TOKENID: TOKENID,
        WOSIGNDOC_CLIENT_CERT_FILE: files.cert,
        WOSIGNDOC_CLIENT_KEY_FILE: files.key,
        WOSIGNDOC_CA_FILE: files.ca,
        CA_TIMEOUT_MS: 1_500,
        CA_CONNECT_TIMEOUT_MS: 1_500,
        CA_POOL_CONNECTIONS: 1,
      };
      const c = createWosignDocClientFromConfig(config);
      try {
        await expect(c.createSignOrder(order, ctx())).resolves.toMatchObject({ kind: 'created' });
        expect(c.clientCertificate().subject).toBe('CN=certflow client');
      } finally {
        await c.close();
      }
      expect(() => createWosignDocClientFromConfig({ ...config, WOSIGNDOC_TOKENID: undefined, WOSIGNDOC_CA_FILE: undefined })).toThrow('WOSIGNDOC_TOKENID, WOSIGNDOC_CA_FILE must be configured to create the WoSignDoc client');
      expect(() => createWosignDocClientFromConfig({ ...config, WOSIGNDOC_CA_FILE: path.join(dir, 'missing.pem') })).toThrow(/^WOSIGNDOC_CA_FILE: cannot read/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the client certificate\'s expiry, told ahead of time', () => {
  let pem: string;
  const notAfter = new Date('2027-03-01T00:00:00Z');
  beforeAll(async () => {
    pem = (await clientCa.issue({ commonName: 'expiring', usage: 'client', notBefore: new Date('2026-03-01T00:00:00Z'), notAfter })).certPem;
  });

  test('notAfter and the days left', () => {
    const e = clientCertificateExpiry(pem, new Date(notAfter.getTime() - 10.5 * DAY));
    expect(e).toMatchObject({ subject: 'CN=expiring', issuer: 'CN=WoSignDoc Test Client CA', notAfter, daysLeft: 10, expired: false, notYetValid: false });
  });

  test('no warning outside the window; a warning within it, once expired, and before it is valid', () => {
    expect(expiryWarning(pem, new Date(notAfter.getTime() - 31 * DAY), 30)).toBeUndefined();
    expect(expiryWarning(pem, new Date(notAfter.getTime() - 29.5 * DAY), 30)).toMatch(/^The WoSignDoc client certificate \(CN=expiring, serial [0-9a-f]+; WOSIGNDOC_CLIENT_CERT_FILE\) expires on 2027-03-01T00:00:00.000Z, in 29 days: apply for a new one at buy.wosign.com/);
    expect(expiryWarning(pem, new Date(notAfter.getTime() - 0.5 * DAY), 30)).toMatch(/in 0 days/);
    expect(expiryWarning(pem, new Date(notAfter.getTime() + DAY), 30)).toMatch(/expired on 2027-03-01T00:00:00.000Z: the platform refuses every request/);
    expect(expiryWarning(pem, new Date('2026-01-01T00:00:00Z'), 30)).toMatch(/is not valid before 2026-03-01T00:00:00.000Z/);
  });

  test('the default window is 30 days', () => {
    expect(expiryWarning(pem, new Date(notAfter.getTime() - 20 * DAY))).toMatch(/in 20 days/);
  });
});
