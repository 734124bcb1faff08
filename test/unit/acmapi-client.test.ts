import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ACMAPI, createAcmapiClient, createAcmapiClientFromConfig, readChainFile, type AcmapiClient, type AcmapiClientOptions } from '../../src/ca/acmapi';
import {
  CaAuthError,
  CaBusinessError,
  CaCertificateNotReadyError,
  CaErrorType,
  CaProtocolError,
  CaRateLimitError,
  CaUnavailableError,
  CaValidationError,
  caMayHaveActed,
  isCaError,
  type CaError,
} from '../../src/ca/errors';
import { type CallContext, type CreateOrderRequest } from '../../src/ca/issuer';
import { CaHierarchy } from '../../tools/simulators/wotrus/pki';

/**
 * The ACMAPI client over real HTTP against a throwaway node:http server on 127.0.0.1:0, one
 * scripted answer per test. Not the simulator: this pins the client's own behaviour against
 * the document (seed 002 §3.2.1).
 */

const TOKEN = 'acm_super-secret-token-654321';
const CUSTOMER = 'customer_C01';
const SIGNFILE = 'signfile-content-0123456789\n';
const TIMEOUT_MS = 300;
const PATH = '/acmapi/cert?v=1';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Handler = (seen: Seen, res: ServerResponse) => void;

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => (_seen, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

let server: Server;
let baseUrl: string;
let handler: Handler;
let seen: Seen[];
let client: AcmapiClient;

let rsa: CaHierarchy;
let sm2: CaHierarchy;
let leafPem: string;
let leafSerial: string;
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  [rsa, sm2] = await Promise.all([CaHierarchy.create('rsa'), CaHierarchy.create('sm2')]);
  const spki = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
  const now = Date.now();
  const leaf = await rsa.issue({
    spki,
    keyType: 'ec',
    subject: [{ CN: ['a.example.com'] }],
    sans: [{ type: 'dns', value: 'a.example.com' }],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 90 * 86_400_000),
    profile: 'ssl',
    policyOid: '2.23.140.1.2.1',
  });
  leafPem = leaf.pem;
  leafSerial = leaf.serialNumber;
  dir = mkdtempSync(join(tmpdir(), 'acmapi-client-'));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const options = (over: Partial<AcmapiClientOptions> = {}): AcmapiClientOptions => ({
  url: `${baseUrl}${PATH}`,
  customerId: CUSTOMER,
  authToken: TOKEN,
  signfile: SIGNFILE,
  chainPems: rsa.chainPems(),
  timeoutMs: TIMEOUT_MS,
  connectTimeoutMs: 1000,
  connections: 4,
  ...over,
});

beforeEach(() => {
  seen = [];
  handler = json(500, 'no handler set');
  client = createAcmapiClient(options());
});

afterEach(async () => {
  server.closeAllConnections();
  await client.close();
});

const ctx = (attempt = 1): CallContext => ({ requestId: `order-B42/createCaOrder/${attempt}` });
const ORDER: CreateOrderRequest = {
  productId: 'ACA91000-0002-4D5A-9C00-000000000002',
  commonName: 'a.example.com',
  hosts: ['b.example.com', 'a.example.com', ' c.example.com '],
  csr: '-----BEGIN CERTIFICATE REQUEST-----\nCSR\n-----END CERTIFICATE REQUEST-----',
  month: 12,
  idempotenceId: 'B42',
};

async function failure(p: Promise<unknown>): Promise<CaError> {
  try {
    await p;
  } catch (e) {
    return e as CaError;
  }
  throw new Error('expected the call to fail');
}

/** The token must not leak through any way an error is printed or shipped. */
function expectNoToken(e: unknown): void {
  const err = e as Error;
  for (const text of [err.message, err.stack ?? '', String(err), JSON.stringify(err), inspect(err, { depth: 5 })]) {
    expect(text).not.toContain(TOKEN);
  }
}

const derBase64 = (pem: string): string => pem.replace(/-----[^-]+-----|\s/g, '');
const sentBody = (i = 0): unknown => JSON.parse(seen[i]?.body ?? '') as unknown;

describe('requests', () => {
  test('an apply POSTs the documented body to the URL as configured: common name first, names once, empty handle_id', async () => {
    handler = json(200, { result: 'pending', status: 1, handle_id: 'H-1' });
    await expect(client.createOrder(ORDER, ctx())).resolves.toEqual({ caOrderId: 'H-1' });
    const [s] = seen;
    expect(s?.method).toBe('POST');
    expect(s?.url).toBe(PATH);
    expect(s?.headers['content-type']).toBe('application/json');
    expect(s?.headers.accept).toBe('application/json');
    expect(sentBody()).toEqual({
      customer_id: CUSTOMER,
      auth_token: TOKEN,
      req_type: 'cert_apply',
      handle_id: '',
      domain_name: ['a.example.com', 'b.example.com', 'c.example.com'],
      csr: ORDER.csr,
    });
  });

  test.each([
    ['getStatus', (c: AcmapiClient) => c.getStatus(' H-1 ', ctx())],
    ['retrieveCertificate', (c: AcmapiClient) => c.retrieveCertificate('H-1', ctx())],
  ])('%s asks by handle_id in the documented shape: req_type, empty domain_name and csr', async (_op, call) => {
    handler = json(200, { result: 'success', status: 0, handle_id: 'H-1', certificate: leafPem });
    await call(client);
    expect(seen[0]?.url).toBe(PATH);
    expect(sentBody()).toEqual({ customer_id: CUSTOMER, auth_token: TOKEN, req_type: 'cert_apply', handle_id: 'H-1', domain_name: [], csr: '' });
  });

  test('descriptor, domain file, and no operation the CA lacks', () => {
    expect(client.descriptor).toBe(ACMAPI);
    expect(client.descriptor).toEqual({ id: 'acmapi', displayName: 'WoSign ACMAPI', capabilities: ['inlineCertificate', 'fileValidationAtCreate'], maxDomains: 5, productKinds: ['dv'], idempotentCreate: false });
    expect(Object.isFrozen(ACMAPI)).toBe(true);
    expect(client.domainFile()).toEqual({ path: '/.well-known/pki-validation/signfile', content: SIGNFILE });
    for (const op of ['cancelOrder', 'requestRevoke', 'requestReissue', 'sendIssuedEmail'] as const) expect(client[op]).toBeUndefined();
  });
});

describe('answers', () => {
  test('success at once: the certificate (PEM) with the configured chain attached', async () => {
    handler = json(200, { result: 'success', status: 0, handle_id: 'H-1', certificate: leafPem });
    await expect(client.createOrder(ORDER, ctx())).resolves.toEqual({
      caOrderId: 'H-1',
      certificate: { certificatePem: leafPem.trim(), chainPems: rsa.chainPems() },
    });
  });

  test('a base64 DER certificate (the table\'s "base64 格式") comes back as the same PEM', async () => {
    const der = derBase64(leafPem);
    handler = json(200, { result: 'success', status: '0', handle_id: 'H-1', certificate: der });
    const r = await client.getStatus('H-1', ctx());
    expect(r).toMatchObject({ caOrderId: 'H-1', phase: 'issued', status: 'success' });
    expect(derBase64(r.certificate?.certificatePem ?? '')).toBe(der);
    expect(r.certificate?.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----\n(.{64}\n)+.{1,64}\n-----END CERTIFICATE-----$/);
    expect(r.certificate?.chainPems).toEqual(rsa.chainPems());

    // Wrapped at 76 columns, as base64 encoders often do.
    handler = json(200, { result: 'success', status: 0, handle_id: 'H-1', certificate: der.replace(/.{76}/g, '$&\r\n') });
    const wrapped = await client.retrieveCertificate('H-1', ctx());
    expect(derBase64(wrapped.certificatePem)).toBe(der);
  });

  test('padded keys and values, string or int status, unknown keys: all read as the document means them', async () => {
    handler = json(200, { ' result ': ' SUCCESS ', 'status ': ' 0 ', ' handle_id': ' H-1 ', 'certificate ': ` ${leafPem} `, extra: 'ignored' });
    await expect(client.createOrder(ORDER, ctx())).resolves.toMatchObject({ caOrderId: 'H-1', certificate: { certificatePem: leafPem.trim() } });
    handler = json(200, { 'result': ' pending', 'status': '1', 'handle_id ': 'H-2 ' });
    await expect(client.createOrder(ORDER, ctx())).resolves.toEqual({ caOrderId: 'H-2' });
    handler = json(200, { result: 'pending', status: 1, handle_id: 'H-3', other_msg: null });
    await expect(client.getStatus('H-3', ctx())).resolves.toEqual({ caOrderId: 'H-3', phase: 'manualReview', status: 'pending' });
  });

  test('a success without handle_id keeps its certificate under an id made from the serial', async () => {
    handler = json(200, { result: 'success', status: '0', certificate: leafPem });
    const r = await client.createOrder(ORDER, ctx());
    expect(r.caOrderId).toBe(`cert-${leafSerial.toLowerCase()}`);
    expect(r.certificate?.certificatePem).toBe(leafPem.trim());
  });

  test('a chain sent along with the leaf is kept before the configured one, nothing twice', async () => {
    const [root, intermediate] = rsa.chainPems();
    handler = json(200, { result: 'success', status: 0, handle_id: 'H-1', certificate: `${leafPem}\n${intermediate}` });
    const r = await client.retrieveCertificate('H-1', ctx());
    expect(r.certificatePem).toBe(leafPem.trim());
    expect(r.chainPems).toEqual([intermediate?.trim(), root]);
  });

  test('retrieveCertificate while pending → CaCertificateNotReadyError', async () => {
    handler = json(200, { result: 'pending', status: '1', handle_id: 'H-1' });
    const e = await failure(client.retrieveCertificate('H-1', ctx()));
    expect(e).toBeInstanceOf(CaCertificateNotReadyError);
    expect(e.name).toBe(CaErrorType.NotReady);
    expect(e.caMessage).toContain('pending');
    expect(e.httpStatus).toBe(200);
  });
});

describe('error codes', () => {
  const cases: [number, new (...a: never[]) => CaError, RegExp][] = [
    [101, CaAuthError, /customer_id.*ACMAPI_CUSTOMER_ID/],
    [102, CaAuthError, /auth_token.*ACMAPI_AUTH_TOKEN/],
    [103, CaBusinessError, /req_type/],
    [104, CaBusinessError, /csr/],
    [105, CaBusinessError, /domain_name/],
    [106, CaBusinessError, /domain_name.*more than 5/],
    [107, CaValidationError, /domain verify/],
    [108, CaBusinessError, /handle_id/],
    [109, CaBusinessError, /refused/],
    [110, CaAuthError, /IP is not permitted/],
    [111, CaUnavailableError, /unknown error/],
  ];

  test.each(cases)('%i → %p', async (code, type, message) => {
    handler = json(200, { result: 'error', status: String(code), ...(code === 107 ? { other_msg: ' test.ims.cn ' } : {}) });
    const e = await failure(client.createOrder(ORDER, ctx()));
    expect(e).toBeInstanceOf(type);
    expect(e.caMessage).toMatch(new RegExp(`^${code} `));
    expect(e.caMessage).toMatch(message);
    expect(e.operation).toBe('createOrder');
    expect(e.requestId).toBe('order-B42/createCaOrder/1');
    expect(e.message).toContain('WoSign ACMAPI');
    // The CA answered `error`: it did not issue, whatever the code.
    expect(caMayHaveActed(e)).toBe(false);
    expectNoToken(e);
  });

  test('107 names the domain from other_msg', async () => {
    handler = json(200, { result: 'error', status: 107, other_msg: ' test.ims.cn ' });
    const e = (await failure(client.createOrder(ORDER, ctx()))) as CaValidationError;
    expect(e.domain).toBe('test.ims.cn');
    expect(e.retryable).toBe(false);
  });

  test('111 is retryable and marked not acted on (the CA answered error instead of issuing)', async () => {
    handler = json(200, { result: 'error', status: 111 });
    const e = (await failure(client.createOrder(ORDER, ctx()))) as CaUnavailableError;
    expect(e.retryable).toBe(true);
    expect(e.notActedOn).toBe(true);
  });

  test('an unlisted code → CaBusinessError with the code', async () => {
    handler = json(200, { result: 'error', status: '999', other_msg: 'what' });
    const e = await failure(client.getStatus('H-1', ctx()));
    expect(e).toBeInstanceOf(CaBusinessError);
    expect(e.caMessage).toMatch(/^999 .*other_msg: what/);
  });

  test('the token echoed in other_msg is redacted', async () => {
    handler = json(200, { result: 'error', status: 102, other_msg: `bad token ${TOKEN}` });
    const e = await failure(client.createOrder(ORDER, ctx()));
    expect(e).toBeInstanceOf(CaAuthError);
    expect(e.caMessage).toContain('[redacted]');
    expectNoToken(e);
  });
});

describe('answers we cannot read → CaProtocolError', () => {
  test.each([
    ['not JSON', '<html>Bad gateway</html>', /not JSON.*<html>Bad gateway/],
    ['the document\'s own broken example', '{\n  "result":"error",\n  "status":"107",\n}\n', /not JSON/],
    ['no result', { status: 0 }, /result/],
    ['no status', { result: 'success', certificate: 'x' }, /status/],
    ['an unknown result', { result: 'done', status: 0 }, /result/],
    ['result success, status 107', { result: 'success', status: '107', handle_id: 'H-1' }, /status: is 107, but result "success" goes with 0/],
    ['result pending, status 0', { result: 'pending', status: 0, handle_id: 'H-1' }, /status/],
    ['result error, status 0', { result: 'error', status: 0 }, /status/],
    ['success without certificate', { result: 'success', status: 0, handle_id: 'H-1' }, /certificate: is required/],
    ['pending without handle_id', { result: 'pending', status: 1 }, /handle_id: is required/],
    ['a certificate that is neither PEM nor base64', { result: 'success', status: 0, handle_id: 'H-1', certificate: 'not a cert!' }, /certificate: neither/],
    ['a non-numeric status', { result: 'error', status: 'abc' }, /status/],
  ])('%s', async (_what, body, message) => {
    handler = json(200, body);
    const e = await failure(client.createOrder(ORDER, ctx()));
    expect(e).toBeInstanceOf(CaProtocolError);
    expect(e.message).toMatch(message);
    expect(e.retryable).toBe(true);
    expectNoToken(e);
  });

  test('a non-JSON body echoing the token is previewed redacted', async () => {
    handler = (_s, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`auth_token=${TOKEN} rejected`);
    };
    const e = await failure(client.createOrder(ORDER, ctx()));
    expect(e).toBeInstanceOf(CaProtocolError);
    expect(e.message).toContain('[redacted]');
    expectNoToken(e);
  });
});

describe('HTTP and transport failures (as for WoTrus: the shared http-answer mapping)', () => {
  test('HTTP 401 → CaAuthError, the echoed token redacted', async () => {
    handler = json(401, { message: `invalid ${TOKEN}` });
    const e = await failure(client.createOrder(ORDER, ctx()));
    expect(e).toBeInstanceOf(CaAuthError);
    expect(e.httpStatus).toBe(401);
    expect(e.caMessage).toBe('invalid [redacted]');
    expectNoToken(e);
  });

  test('HTTP 429 → CaRateLimitError with Retry-After', async () => {
    handler = json(429, '', { 'retry-after': '3' });
    const e = (await failure(client.createOrder(ORDER, ctx()))) as CaRateLimitError;
    expect(e).toBeInstanceOf(CaRateLimitError);
    expect(e.retryAfterMs).toBe(3000);
  });

  test.each([
    [500, true],
    [502, true],
    [504, true],
    [503, false],
    [408, false],
  ])('HTTP %i → CaUnavailableError; the CA may have acted: %p', async (status, mayHaveActed) => {
    handler = json(status, 'down');
    const e = await failure(client.createOrder(ORDER, ctx()));
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(e.httpStatus).toBe(status);
    expect(caMayHaveActed(e)).toBe(mayHaveActed);
    expectNoToken(e);
  });

  test('no answer within timeoutMs → CaUnavailableError, ambiguous (the request was sent)', async () => {
    handler = () => undefined;
    const e = (await failure(client.createOrder(ORDER, ctx()))) as CaUnavailableError;
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(e.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(caMayHaveActed(e)).toBe(true);
    expectNoToken(e);
  });

  test('a connection reset after the request → CaUnavailableError, ambiguous', async () => {
    handler = (_s, res) => res.socket?.destroy();
    const e = (await failure(client.createOrder(ORDER, ctx()))) as CaUnavailableError;
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(e.code).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
    expect(caMayHaveActed(e)).toBe(true);
    expectNoToken(e);
  });

  test('connection refused → CaUnavailableError, not acted on', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = createAcmapiClient(options({ url: `http://127.0.0.1:${port}/` }));
    const e = (await failure(refused.createOrder(ORDER, ctx()))) as CaUnavailableError;
    await refused.close();
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(e.code).toBe('ECONNREFUSED');
    expect(e.notActedOn).toBe(true);
    expectNoToken(e);
  });

  test('an aborted call rethrows the abort, not a CA error', async () => {
    handler = () => undefined;
    const patient = createAcmapiClient(options({ timeoutMs: 10_000 }));
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 50);
    const e = await failure(patient.createOrder(ORDER, { requestId: 'r/1', signal: controller.signal }));
    expect(e).toBe(reason);
    expect(isCaError(e)).toBe(false);
    server.closeAllConnections();
    await patient.close();
  });
});

describe('createAcmapiClientFromConfig and ACMAPI_CHAIN_FILE', () => {
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const config = (chainFile: string | undefined) => ({
    ACMAPI_URL: `${baseUrl}${PATH}`,
    ACMAPI_CUSTOMER_ID: CUSTOMER,
    ACMAPI_AUTH_TOKEN: TOKEN,
    ACMAPI_SIGNFILE: SIGNFILE,
    ACMAPI_CHAIN_FILE: chainFile,
    CA_TIMEOUT_MS: 1000,
    CA_CONNECT_TIMEOUT_MS: 500,
    CA_POOL_CONNECTIONS: 2,
  });

  test('builds a client whose certificates carry the file\'s chain, lowest first', async () => {
    const [root, intermediate] = rsa.chainPems();
    const c = createAcmapiClientFromConfig(config(write('good.pem', `# WoSign chain\n${root}\n${intermediate}\n`)));
    handler = json(200, { result: 'success', status: 0, handle_id: 'H-1', certificate: leafPem });
    const r = await c.retrieveCertificate('H-1', ctx());
    expect(r.chainPems).toEqual([intermediate?.trim(), root?.trim()]);
    expect(c.domainFile()).toEqual({ path: '/.well-known/pki-validation/signfile', content: SIGNFILE });
    expect(seen[0]?.url).toBe(PATH);
    await c.close();
    await c.close(); // idempotent
  });

  test('an intermediate alone (root left out) and an SM2 chain are chains too', () => {
    const [, intermediate] = rsa.chainPems();
    expect(readChainFile(write('inter.pem', intermediate ?? ''))).toHaveLength(1);
    expect(readChainFile(write('sm2.pem', sm2.chainPems().join('\n')))).toHaveLength(2);
  });

  test.each([
    ['a missing file', () => join(dir, 'nope.pem'), /^ACMAPI_CHAIN_FILE: cannot read .*nope\.pem/],
    ['no certificate', () => write('empty.pem', 'nothing here\n'), /^ACMAPI_CHAIN_FILE \(.*empty\.pem\): no PEM certificate/],
    ['a block that is not X.509', () => write('junk.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), /^ACMAPI_CHAIN_FILE \(.*\): certificate 1 does not parse as X\.509/],
    ['a private key', () => write('key.pem', `${rsa.chainPems()[1]}\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`), /^ACMAPI_CHAIN_FILE \(.*\): holds a PRIVATE KEY block/],
    ['a leaf', () => write('leaf.pem', `${leafPem}\n${rsa.chainPems().join('\n')}`), /^ACMAPI_CHAIN_FILE \(.*\): certificate 1 \(".*CN=a\.example\.com"\) is not a CA certificate/],
    ['two hierarchies', () => write('mixed.pem', `${rsa.chainPems()[1]}\n${sm2.chainPems()[0]}`), /^ACMAPI_CHAIN_FILE \(.*\): the certificates do not form one chain: certificate 1 .* and certificate 2 .* each issue none of the others/],
    ['a repeated certificate', () => write('twice.pem', `${rsa.chainPems()[1]}\n${rsa.chainPems()[1]}`), /^ACMAPI_CHAIN_FILE \(.*\): certificate 2 .* repeats certificate 1/],
  ])('refuses %s, naming ACMAPI_CHAIN_FILE', (_what, path, message) => {
    expect(() => createAcmapiClientFromConfig(config(path()))).toThrow(message);
  });

  test('refuses to build with a variable missing, naming it and not echoing the token', () => {
    let thrown: unknown;
    try {
      createAcmapiClientFromConfig({ ...config(undefined), ACMAPI_SIGNFILE: undefined });
    } catch (e) {
      thrown = e;
    }
    expect((thrown as Error).message).toBe('ACMAPI_SIGNFILE, ACMAPI_CHAIN_FILE must be configured to create the WoSign ACMAPI client');
    expectNoToken(thrown);
  });
});
