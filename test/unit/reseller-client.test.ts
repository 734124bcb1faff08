import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  CaAuthError,
  CaBusinessError,
  CaErrorType,
  CaProtocolError,
  CaRateLimitError,
  CaUnavailableError,
  NON_RETRYABLE_CA_ERRORS,
  caMayHaveActed,
  isCaError,
  type CaError,
} from '../../src/ca/errors';
import { type CallContext } from '../../src/ca/issuer';
import {
  RESELLER_PATHS,
  RESELLER_UNIQUE_ID_PATTERN,
  ResellerRequestRefusedError,
  createResellerClient,
  inferredCreateBodySchema,
  reissueBodySchema,
  uniqueIdFor,
  type OrganizationFields,
  type ResellerClient,
  type ResellerClientOptions,
  type ResellerReissueRequest,
} from '../../src/ca/reseller';
import { testCsr } from '../support/csr';
import { DOCUMENT_ORGANIZATION } from '../support/reseller-fixtures';

/**
 * The reseller client over real HTTP against a throwaway node:http server on 127.0.0.1:0, one
 * scripted answer per test: the request exactly as the document writes it (seed 004), its
 * answers, the rules refusing before any call, and the shared transport mapping.
 */

const API_KEY = 'rsl_live_super-secret-key-987654';
const NOTIFY_SECRET = 'cb-secret-5f1e2d3c';
const NOTIFY_URL = `https://certflow.example.net/v1/callbacks/reseller/${NOTIFY_SECRET}`;
const TIMEOUT_MS = 300;
const PREFIX = '/reseller';

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

const EXAMPLE_ANSWER = JSON.parse(readFileSync(join(__dirname, '../fixtures/reseller/reissue.response.json'), 'utf8')) as { data: Record<string, unknown> };

let server: Server;
let baseUrl: string;
let handler: Handler;
let seen: Seen[];
let client: ResellerClient;

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
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const options = (over: Partial<ResellerClientOptions> = {}): ResellerClientOptions => ({
  url: `${baseUrl}${PREFIX}/`,
  apiKey: API_KEY,
  timeoutMs: TIMEOUT_MS,
  connectTimeoutMs: 1000,
  connections: 4,
  ...over,
});

beforeEach(() => {
  seen = [];
  handler = json(500, 'no handler set');
  client = createResellerClient(options());
});

afterEach(async () => {
  server.closeAllConnections();
  await client.close();
});

const ctx = (attempt = 1): CallContext => ({ requestId: `order-B42/reissueCaOrder/${attempt}` });

const CSR = testCsr({ commonName: 'www.example.com', dnsNames: ['www.example.com', 'example.com'] });
const ORG: OrganizationFields = DOCUMENT_ORGANIZATION;
const REQUEST: ResellerReissueRequest = {
  uniqueId: uniqueIdFor('B42:reissue:rq-1'),
  serviceId: 'o91bZ',
  csr: CSR,
  domainDcv: { '*.example.com': 'dns', 'example2.com': 'http', 'example3.com': 'https', 'sub.example4.com': 'admin@example4.com' },
  contactEmail: 'subscriber@company.email',
  renew: false,
  organization: ORG,
  notifyUrl: NOTIFY_URL,
  check: { validation: 'OV' },
};

async function failure(p: Promise<unknown>): Promise<CaError> {
  try {
    await p;
  } catch (e) {
    return e as CaError;
  }
  throw new Error('expected the call to fail');
}

/** No secret may leak through any way an error is printed or shipped. */
function expectNoSecret(e: unknown): void {
  const err = e as Error;
  for (const text of [err.message, err.stack ?? '', String(err), JSON.stringify(err), inspect(err, { depth: 5 })]) {
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(NOTIFY_SECRET);
  }
}

const sentBody = (i = 0): Record<string, unknown> => JSON.parse(seen[i]?.body ?? '') as Record<string, unknown>;

describe('the request, exactly as documented', () => {
  test('POSTs JSON to the (inferred) reissue path under the base URL, with the documented fields only', async () => {
    handler = json(200, EXAMPLE_ANSWER);
    await client.reissue(REQUEST, ctx());
    expect(seen).toHaveLength(1);
    const [s] = seen;
    expect(s?.method).toBe('POST');
    expect(s?.url).toBe(`${PREFIX}${RESELLER_PATHS.reissue}`);
    expect(s?.headers['content-type']).toBe('application/json');
    expect(s?.headers.accept).toBe('application/json');
    expect(s?.headers.authorization).toBe(API_KEY);
    expect(sentBody()).toEqual({
      unique_id: REQUEST.uniqueId,
      service_id: 'o91bZ',
      domain_dcv: { '*.example.com': 'dns', 'example2.com': 'http', 'example3.com': 'https', 'sub.example4.com': 'admin@example4.com' },
      csr: CSR.trim(),
      contact_email: 'subscriber@company.email',
      renew: 0,
      ...ORG,
      notify_url: NOTIFY_URL,
    });
    expect(reissueBodySchema.safeParse(sentBody()).success).toBe(true);
    expect(Object.keys(sentBody()).slice(0, 6)).toEqual(['unique_id', 'service_id', 'domain_dcv', 'csr', 'contact_email', 'renew']);
  });

  test('a methods-only DV reissue sends no csr and no organisation fields; renew 1 when renewing', async () => {
    handler = json(200, EXAMPLE_ANSWER);
    await client.reissue({ uniqueId: 'u1', serviceId: ' o91bZ ', domainDcv: { ' sub.example4.com ': ' DNS ', 'example4.com': ' Admin@Example4.com ' }, renew: true, check: { validation: 'DV' } }, ctx());
    // Method words in the document's spelling; an approver address as given, trimmed.
    expect(sentBody()).toEqual({ unique_id: 'u1', service_id: 'o91bZ', domain_dcv: { 'sub.example4.com': 'dns', 'example4.com': 'Admin@Example4.com' }, renew: 1 });
    // The document defines no correlation header: none is sent (the request id stays in our errors).
    expect(Object.keys(seen[0]?.headers ?? {}).filter((h) => /request-?id/i.test(h))).toEqual([]);
  });

  test('the same idempotency key gives the same unique_id every time; another key another', async () => {
    const a = uniqueIdFor('B42:reissue:rq-1');
    expect(a).toMatch(RESELLER_UNIQUE_ID_PATTERN);
    expect(uniqueIdFor('B42:reissue:rq-1')).toBe(a);
    expect(uniqueIdFor('B42:reissue:rq-2')).not.toBe(a);
    expect(uniqueIdFor('B42')).not.toBe(a);
    expect(uniqueIdFor('B42')).toMatch(RESELLER_UNIQUE_ID_PATTERN);
    // Versioned and domain-separated: not the bare SHA-256 of the key.
    const { createHash } = await import('node:crypto');
    expect(a).not.toBe(createHash('sha256').update('B42:reissue:rq-1').digest('hex').slice(0, 32));
    expect(() => uniqueIdFor('')).toThrow(/must not be empty/);

    handler = json(200, EXAMPLE_ANSWER);
    await client.reissue({ ...REQUEST, uniqueId: uniqueIdFor('B42:reissue:rq-1') }, ctx(1));
    await client.reissue({ ...REQUEST, uniqueId: uniqueIdFor('B42:reissue:rq-1') }, ctx(2));
    expect(sentBody(0).unique_id).toBe(a);
    expect(sentBody(1).unique_id).toBe(a);
  });

  test('INFERRED auth: a configured header carries the key; without a key none is sent; paths are configurable', async () => {
    handler = json(200, EXAMPLE_ANSWER);
    const custom = createResellerClient(options({ authHeader: 'X-Api-Key', paths: { reissue: '/v2/cert/reissue' } }));
    await custom.reissue(REQUEST, ctx());
    await custom.close();
    expect(seen[0]?.headers['x-api-key']).toBe(API_KEY);
    expect(seen[0]?.headers.authorization).toBeUndefined();
    expect(seen[0]?.url).toBe(`${PREFIX}/v2/cert/reissue`);

    const anonymous = createResellerClient(options({ apiKey: undefined }));
    await anonymous.reissue(REQUEST, ctx());
    await anonymous.close();
    expect(seen[1]?.headers.authorization).toBeUndefined();
  });

  test.each([
    ['an ftp URL', { url: 'ftp://x.example/' }, /must be http\(s\)/],
    ['a header name with a space', { authHeader: 'X Api' }, /auth header/],
    ['Content-Type as the auth header', { authHeader: 'content-type' }, /auth header/],
    ['an empty key', { apiKey: '' }, /API key/],
    ['a key with a line break', { apiKey: 'a\r\nX-Evil: 1' }, /API key/],
  ])('refuses to build with %s', (_what, over, message) => {
    expect(() => createResellerClient(options(over))).toThrow(message);
  });
});

/** A PEM block the answer reader takes as a certificate (it parses no DER). */
const testCertificatePem = (label: string): string => `-----BEGIN CERTIFICATE-----\n${Buffer.from(label).toString('base64')}\n-----END CERTIFICATE-----`;

describe('the inferred create and status read', () => {
  const CREATE = {
    uniqueId: uniqueIdFor('B42'),
    productId: 'ACA91000-0004-4D5A-9C00-000000000002',
    period: 12,
    csr: CSR,
    domainDcv: { 'www.example.com': 'DNS', 'example.com': 'admin@example.com' },
    contactEmail: 'subscriber@company.email',
    organization: ORG,
    notifyUrl: NOTIFY_URL,
    check: { validation: 'OV' as const },
  };

  test('create POSTs the inferred body to RESELLER_PATHS.create and reads the reissue\'s answer', async () => {
    handler = json(200, EXAMPLE_ANSWER);
    const r = await client.create(CREATE, ctx());
    expect(seen[0]?.url).toBe(`${PREFIX}${RESELLER_PATHS.create}`);
    expect(seen[0]?.headers.authorization).toBe(API_KEY);
    expect(sentBody()).toEqual({
      unique_id: CREATE.uniqueId,
      product_id: CREATE.productId,
      period: 12,
      domain_dcv: { 'www.example.com': 'dns', 'example.com': 'admin@example.com' },
      csr: CSR.trim(),
      contact_email: 'subscriber@company.email',
      ...ORG,
      notify_url: NOTIFY_URL,
    });
    expect(inferredCreateBodySchema.safeParse(sentBody()).success).toBe(true);
    expect(r).toMatchObject({ serviceId: 'o91bZ', caOrderId: '358174513', cost: 4208.01, phase: 'validation' });
  });

  test('create: the documented rules of the same fields refuse before any call, naming them', async () => {
    handler = json(200, EXAMPLE_ANSWER);
    const e = await failure(client.create({ ...CREATE, domainDcv: { '*.example.com': 'http' }, organization: { ...ORG, city: undefined } }, ctx()));
    expect(e).toBeInstanceOf(ResellerRequestRefusedError);
    expect((e as ResellerRequestRefusedError).issues.map((i) => i.path.join('.'))).toEqual(['domain_dcv.*.example.com', 'city']);
    expect(e.operation).toBe('createOrder');
    const none = await failure(client.create({ ...CREATE, domainDcv: {} }, ctx()));
    expect((none as ResellerRequestRefusedError).issues.map((i) => i.path.join('.'))).toEqual(['domain_dcv']);
    expect(seen).toHaveLength(0);
    expectNoSecret(e);
  });

  test('status POSTs { service_id } to RESELLER_PATHS.status; an issued answer carries the certificate and ca_pem as the chain', async () => {
    const leaf = testCertificatePem('leaf');
    const chain = [testCertificatePem('intermediate'), testCertificatePem('root')];
    handler = json(200, { success: true, message: 'OK', data: { ...EXAMPLE_ANSWER.data, status: 'issued', cert_pem: leaf, ca_pem: chain.join('\n') } });
    const r = await client.status(' o91bZ ', ctx(), 'retrieveCertificate');
    expect(seen[0]?.url).toBe(`${PREFIX}${RESELLER_PATHS.status}`);
    expect(sentBody()).toEqual({ service_id: 'o91bZ' });
    expect(r.phase).toBe('issued');
    expect(r.certificate).toEqual({ certificatePem: leaf, chainPems: chain });

    handler = json(200, { success: false, message: '证书不存在', data: null });
    const e = await failure(client.status('nope', ctx()));
    expect(e).toBeInstanceOf(CaBusinessError);
    expect(e.operation).toBe('getStatus');
  });
});

describe('answers', () => {
  test('the document\'s answer: caid, cost, status and every domain\'s validation', async () => {
    handler = json(200, EXAMPLE_ANSWER);
    const r = await client.reissue(REQUEST, ctx());
    expect(r).toMatchObject({ caOrderId: '358174513', serviceId: 'o91bZ', cost: 4208.01, status: 'pending', phase: 'validation' });
    expect(r.domains.map((d) => [d.domain, d.method, d.state])).toEqual([
      ['*.example.com', 'dns', 'valid'],
      ['example2.com', 'http', 'pending'],
      ['example3.com', 'https', 'pending'],
      ['sub.example4.com', 'email', 'pending'],
      ['*.example5.com', 'dns', 'valid'],
    ]);
  });

  test('success false → CaBusinessError with the platform\'s message, the key and notify secret redacted, not retried', async () => {
    handler = json(200, { success: false, message: `服务不存在 (key ${API_KEY}, notify ${NOTIFY_URL})`, data: null });
    const e = await failure(client.reissue(REQUEST, ctx()));
    expect(e).toBeInstanceOf(CaBusinessError);
    expect(e.name).toBe(CaErrorType.Business);
    expect(NON_RETRYABLE_CA_ERRORS).toContain(e.name);
    expect(e.caMessage).toBe('服务不存在 (key [redacted], notify [redacted])');
    expect(e.operation).toBe('requestReissue');
    expect(e.requestId).toBe('order-B42/reissueCaOrder/1');
    expect(e.message).toContain('Reseller platform requestReissue');
    expect(caMayHaveActed(e)).toBe(false);
    expectNoSecret(e);
  });

  test('success false without a message still says so', async () => {
    handler = json(200, { success: 'false' });
    const e = await failure(client.reissue(REQUEST, ctx()));
    expect(e).toBeInstanceOf(CaBusinessError);
    expect(e.caMessage).toBe('success is false (no message)');
  });

  test.each([
    ['not JSON', '<html>Bad gateway</html>', /not JSON.*<html>Bad gateway/],
    ['no success', { message: 'OK', data: EXAMPLE_ANSWER.data }, /success/],
    ['success without data', { success: true, message: 'OK', data: null }, /data/],
    ['no caid', { success: true, data: { ...EXAMPLE_ANSWER.data, caid: '' } }, /data\.caid/],
    ['a cost that is not a number', { success: true, data: { ...EXAMPLE_ANSWER.data, cost: 'free' } }, /data\.cost/],
    ['a file served by another host', { success: true, data: { ...EXAMPLE_ANSWER.data, dcv: { 'a.example.com': { type: 'http', status: 'pending', http: { filecontent: 'x', filefullpath: 'f.txt', url: 'http://example.com/f.txt' } } } } }, /must be on a\.example\.com itself/],
  ])('%s → CaProtocolError, retryable', async (_what, body, message) => {
    handler = json(200, body);
    const e = await failure(client.reissue(REQUEST, ctx()));
    expect(e).toBeInstanceOf(CaProtocolError);
    expect(e.message).toMatch(message);
    expect(e.retryable).toBe(true);
    expectNoSecret(e);
  });

  test('a non-JSON body echoing the key is previewed redacted', async () => {
    handler = (_s, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`key=${API_KEY} unknown`);
    };
    const e = await failure(client.reissue(REQUEST, ctx()));
    expect(e).toBeInstanceOf(CaProtocolError);
    expect(e.message).toContain('[redacted]');
    expectNoSecret(e);
  });
});

describe('refused before any call: the document\'s rules', () => {
  test.each([
    ['neither csr nor domain_dcv', { csr: undefined, domainDcv: undefined }, ['domain_dcv']],
    ['a wildcard with http', { domainDcv: { '*.example.com': 'http' } }, ['domain_dcv.*.example.com']],
    ['a WHOIS approver', { domainDcv: { 'sub.example4.com': 'owner@example4.com' } }, ['domain_dcv.sub.example4.com']],
    ['an RSA 3072 CSR', { csr: testCsr({ commonName: 'a.example.com', keyType: 'rsa', rsaBits: 3072 }) }, ['csr']],
    ['a forged CSR', { csr: testCsr({ commonName: 'a.example.com', badSignature: true }) }, ['csr']],
    ['OV without its organisation', { organization: { ...ORG, serial_no: undefined, contact_name: ' ' } }, ['serial_no', 'contact_name']],
    ['a contact_email that is no address', { contactEmail: 'not-an-address' }, ['contact_email']],
  ] as [string, Partial<ResellerReissueRequest>, string[]][])('%s → ResellerRequestRefusedError naming the field, nothing sent', async (_what, over, fields) => {
    handler = json(200, EXAMPLE_ANSWER);
    const e = await failure(client.reissue({ ...REQUEST, ...over }, ctx()));
    expect(e).toBeInstanceOf(ResellerRequestRefusedError);
    expect(e).toBeInstanceOf(CaBusinessError);
    expect(e.name).toBe(CaErrorType.Business);
    expect(e.notActedOn).toBe(true);
    expect(caMayHaveActed(e)).toBe(false);
    const refused = e as ResellerRequestRefusedError;
    expect(refused.issues.map((i) => i.path.join('.'))).toEqual(fields);
    for (const f of fields) expect(e.message).toContain(f);
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({ name: 'CaBusinessError', issues: refused.issues.map((i) => ({ path: i.path, rule: i.rule })) });
    expect(seen).toHaveLength(0);
    expectNoSecret(e);
  });

  test('a private key in csr is refused and never echoed, never sent', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const e = await failure(client.reissue({ ...REQUEST, csr: pem }, ctx()));
    expect(e).toBeInstanceOf(ResellerRequestRefusedError);
    expect(e.message).toMatch(/csr must be a CSR, not a private key/);
    const body = pem.split('\n')[1] ?? '';
    for (const text of [e.message, JSON.stringify(e), inspect(e, { depth: 5 })]) expect(text).not.toContain(body);
    expect(seen).toHaveLength(0);
  });

  test('once the OV certificate was issued, a changed organisation is refused', async () => {
    const e = await failure(client.reissue({ ...REQUEST, organization: { ...ORG, organization: 'New Co' }, check: { validation: 'OV', issuedOrganization: ORG } }, ctx()));
    expect((e as ResellerRequestRefusedError).issues).toEqual([{ path: ['organization'], rule: 'cannot change once the OV certificate has been issued: send the issued value' }]);
    expect(seen).toHaveLength(0);
  });
});

describe('HTTP and transport failures (the shared http-answer mapping)', () => {
  test('HTTP 401 → CaAuthError, the echoed key redacted', async () => {
    handler = json(401, { message: `invalid key ${API_KEY}` });
    const e = await failure(client.reissue(REQUEST, ctx()));
    expect(e).toBeInstanceOf(CaAuthError);
    expect(e.httpStatus).toBe(401);
    expect(e.caMessage).toBe('invalid key [redacted]');
    expectNoSecret(e);
  });

  test('HTTP 429 → CaRateLimitError with Retry-After', async () => {
    handler = json(429, '', { 'retry-after': '7' });
    const e = (await failure(client.reissue(REQUEST, ctx()))) as CaRateLimitError;
    expect(e).toBeInstanceOf(CaRateLimitError);
    expect(e.retryAfterMs).toBe(7000);
  });

  test.each([
    [500, true],
    [502, true],
    [503, false],
  ])('HTTP %i → CaUnavailableError; the platform may have acted: %p', async (status, mayHaveActed) => {
    handler = json(status, `down ${NOTIFY_URL}`);
    const e = await failure(client.reissue(REQUEST, ctx()));
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(e.httpStatus).toBe(status);
    expect(caMayHaveActed(e)).toBe(mayHaveActed);
    expectNoSecret(e);
  });

  test('HTTP 400 → CaBusinessError with the platform\'s message', async () => {
    handler = json(400, { success: false, message: 'unique_id 重复' });
    const e = await failure(client.reissue(REQUEST, ctx()));
    expect(e).toBeInstanceOf(CaBusinessError);
    expect(e.caMessage).toBe('unique_id 重复');
  });

  test('a redirect → CaProtocolError, not acted on', async () => {
    handler = json(301, '', { location: `https://elsewhere.example/?k=${API_KEY}` });
    const e = await failure(client.reissue(REQUEST, ctx()));
    expect(e).toBeInstanceOf(CaProtocolError);
    expect(e.notActedOn).toBe(true);
    expectNoSecret(e);
  });

  test('no answer within timeoutMs → CaUnavailableError, ambiguous (unique_id makes the retry safe)', async () => {
    handler = () => undefined;
    const e = (await failure(client.reissue(REQUEST, ctx()))) as CaUnavailableError;
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(e.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(caMayHaveActed(e)).toBe(true);
    expectNoSecret(e);
  });

  test('a connection reset after the request → CaUnavailableError, ambiguous', async () => {
    handler = (_s, res) => res.socket?.destroy();
    const e = (await failure(client.reissue(REQUEST, ctx()))) as CaUnavailableError;
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(e.code).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
    expectNoSecret(e);
  });

  test('connection refused → CaUnavailableError, not acted on', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = createResellerClient(options({ url: `http://127.0.0.1:${port}/` }));
    const e = (await failure(refused.reissue(REQUEST, ctx()))) as CaUnavailableError;
    await refused.close();
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(e.code).toBe('ECONNREFUSED');
    expect(e.notActedOn).toBe(true);
    expectNoSecret(e);
  });

  test('an aborted call rethrows the abort, not a CA error', async () => {
    handler = () => undefined;
    const patient = createResellerClient(options({ timeoutMs: 10_000 }));
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 50);
    const e = await failure(patient.reissue(REQUEST, { requestId: 'r/1', signal: controller.signal }));
    expect(e).toBe(reason);
    expect(isCaError(e)).toBe(false);
    server.closeAllConnections();
    await patient.close();
    await patient.close(); // idempotent
  });
});
