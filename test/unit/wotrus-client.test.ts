import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { type CallContext } from '../../src/ca/issuer';
import { createWotrusClient, createWotrusClientFromConfig, type WotrusClient } from '../../src/ca/wotrus/client';
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
} from '../../src/ca/errors';
import { buildCreateOrderBody } from '../../src/ca/wotrus/schemas';

/**
 * The client over real HTTP against a throwaway node:http server on 127.0.0.1:0, one
 * scripted answer per test. Not the simulator: this pins the client's own behaviour.
 */

const TOKEN = 'tk_super-secret-token-123456';
const TIMEOUT_MS = 300;

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Handler = (seen: Seen, res: ServerResponse) => void;

const fixtureText = (name: string): string =>
  readFileSync(join(__dirname, '../fixtures/wotrus', `${name}.json`), 'utf8');

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => (_seen, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

let server: Server;
let baseUrl: string;
let handler: Handler;
let seen: Seen[];
let client: WotrusClient;

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

beforeEach(() => {
  seen = [];
  handler = json(500, 'no handler set');
  client = createWotrusClient({ baseUrl, token: TOKEN, timeoutMs: TIMEOUT_MS, connectTimeoutMs: 1000, connections: 4 });
});

afterEach(async () => {
  // Sockets left hanging by a test must not keep the pool's close() waiting.
  server.closeAllConnections();
  await client.close();
});

const ctx = (attempt = 1, signal?: AbortSignal): CallContext => ({
  requestId: `order-B42/createCaOrder/${attempt}`,
  signal,
});

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
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

describe('request shape', () => {
  test('every request carries WoTrusToken, RequestID and Accept; POST carries a JSON body', async () => {
    handler = json(200, fixtureText('create-order.response'));
    const req = { productId: 'P-1', commonName: 'a.example.com', csr: 'CSR', month: 12 as const, idempotenceId: 'B42' };
    await expect(client.createOrder(req, ctx())).resolves.toEqual({
      caOrderId: '644A3E60-F1AA-4E25-821A-ACFBC462BC37',
      caOrderIdRsa: '89CB4BF6-3E53-4B49-9AB9-92D578144260',
    });
    const [s] = seen;
    expect(s?.method).toBe('POST');
    expect(s?.url).toBe('/v1/Order/Create');
    expect(s?.headers.wotrustoken).toBe(TOKEN);
    expect(s?.headers.requestid).toBe('order-B42/createCaOrder/1');
    expect(s?.headers['content-type']).toBe('application/json');
    expect(s?.headers.accept).toBe('application/json');
    expect(JSON.parse(s?.body ?? '')).toEqual(buildCreateOrderBody(req));
  });

  test('GET carries no Content-Type; ids are trimmed and URL-encoded', async () => {
    handler = json(200, fixtureText('query-order.response'));
    await client.getStatus(' a/b c ', ctx(2));
    expect(seen[0]?.method).toBe('GET');
    expect(seen[0]?.url).toBe('/v1/Order/a%2Fb%20c');
    expect(seen[0]?.headers['content-type']).toBeUndefined();
    expect(seen[0]?.headers.wotrustoken).toBe(TOKEN);
    expect(seen[0]?.headers.requestid).toBe('order-B42/createCaOrder/2');
  });

  test('a RequestID outside printable ASCII is percent-encoded (no header injection)', async () => {
    handler = json(200, fixtureText('email.response'));
    await client.sendIssuedEmail('O1', 'https://collect/1', { requestId: 'order-é\r\nX-Evil: 1/a/1' });
    expect(seen[0]?.headers.requestid).toBe('order-%C3%A9%0D%0AX-Evil: 1/a/1');
    expect(seen[0]?.headers['x-evil']).toBeUndefined();
  });

  test('a base URL path prefix is kept', async () => {
    const prefixed = createWotrusClient({ baseUrl: `${baseUrl}/wotrus/`, token: TOKEN, timeoutMs: TIMEOUT_MS, connectTimeoutMs: 1000, connections: 1 });
    handler = json(200, fixtureText('email.response'));
    await prefixed.sendIssuedEmail('O1', 'https://collect/1', ctx());
    await prefixed.close();
    expect(seen[0]?.url).toBe('/wotrus/v1/Notification/email');
  });

  test.each([
    ['getStatus', 'GET', '/v1/Order/O-1', 'query-order.response', (c: WotrusClient) => c.getStatus('O-1', ctx())],
    ['retrieveCertificate', 'GET', '/v1/Certificate/RetrievePem?orderID=O-1', 'retrieve-pem.response', (c: WotrusClient) => c.retrieveCertificate('O-1', ctx())],
    ['cancelOrder', 'POST', '/v1/Order/Cancel', 'cancel.response', (c: WotrusClient) => c.cancelOrder('O-1', 'wrong domain', ctx())],
    ['requestRevoke', 'POST', '/v1/Certificate/RevokeRequest', 'revoke.response', (c: WotrusClient) => c.requestRevoke({ caOrderId: 'O-1', reason: 'key compromise', proof: { fileType: '.pdf', fileContent: 'JVBERi0=' } }, ctx())],
    ['requestReissue', 'POST', '/v1/Certificate/ReissueRequest', 'reissue.response', (c: WotrusClient) => c.requestReissue({ caOrderId: 'O-1', csr: 'CSR', reason: 'rekey', idempotenceId: 'B42-r1' }, ctx())],
    ['sendIssuedEmail', 'POST', '/v1/Notification/email', 'email.response', (c: WotrusClient) => c.sendIssuedEmail('O-1', 'https://collect/1', ctx())],
  ])('%s: %s %s answers from the seed example', async (_op, method, url, fixture, call) => {
    handler = json(200, fixtureText(fixture));
    await expect(call(client)).resolves.toBeDefined();
    expect(seen[0]?.method).toBe(method);
    expect(seen[0]?.url).toBe(url);
    expect(seen[0]?.headers.wotrustoken).toBe(TOKEN);
    expect(seen[0]?.headers.requestid).toBe('order-B42/createCaOrder/1');
    if (method === 'POST') expect(seen[0]?.headers['content-type']).toBe('application/json');
  });

  test('POST bodies use the example spelling', async () => {
    handler = json(200, fixtureText('cancel.response'));
    await client.cancelOrder(' O-1 ', 'wrong domain', ctx());
    handler = json(200, fixtureText('revoke.response'));
    await client.requestRevoke({ caOrderId: 'O-1', reason: 'r', proof: { fileType: '.pdf', fileContent: 'x' } }, ctx());
    handler = json(200, fixtureText('reissue.response'));
    await client.requestReissue({ caOrderId: 'O-1', csr: 'C', csrEncrypt: 'E', reason: 'r', idempotenceId: 'i' }, ctx());
    expect(seen.map((s) => JSON.parse(s.body) as unknown)).toEqual([
      { orderID: 'O-1', reason: 'wrong domain' },
      { orderId: 'O-1', reason: 'r', fileType: '.pdf', fileContent: 'x' },
      { orderID: 'O-1', csr: 'C', csR_Encrypt: 'E', reason: 'r', idempotenceID: 'i' },
    ]);
  });
});

describe('error taxonomy', () => {
  test('HTTP 401 → CaAuthError, not retryable, even when the CA echoes the token', async () => {
    handler = json(401, { isSuccess: false, errorMsg: `invalid token ${TOKEN}`, data: null });
    const e = await failure(client.getStatus('O-1', ctx()));
    expect(e).toBeInstanceOf(CaAuthError);
    const err = e as CaAuthError;
    expect(err.name).toBe(CaErrorType.Auth);
    expect(err.retryable).toBe(false);
    expect(err.httpStatus).toBe(401);
    expect(err.operation).toBe('getStatus');
    expect(err.requestId).toBe('order-B42/createCaOrder/1');
    expect(err.caMessage).toBe('invalid token [redacted]');
    expect(NON_RETRYABLE_CA_ERRORS).toContain(err.name);
    expectNoToken(e);
  });

  test('isSuccess:false → CaBusinessError with the errorMsg, not retryable', async () => {
    handler = json(200, { isSuccess: false, errorMsg: '订单不存在', successMsg: null, data: null, page: null });
    const e = await failure(client.cancelOrder('O-1', 'r', ctx()));
    expect(e).toBeInstanceOf(CaBusinessError);
    expect((e as CaBusinessError).caMessage).toBe('订单不存在');
    expect((e as CaBusinessError).message).toContain('订单不存在');
    expect((e as CaBusinessError).retryable).toBe(false);
    expect((e as CaBusinessError).name).toBe('CaBusinessError');
    expectNoToken(e);
  });

  test('another 4xx → CaBusinessError with the body text', async () => {
    handler = (_s, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found');
    };
    const e = await failure(client.getStatus('nope', ctx()));
    expect(e).toBeInstanceOf(CaBusinessError);
    expect((e as CaBusinessError).httpStatus).toBe(404);
    expect((e as CaBusinessError).caMessage).toBe('Not Found');
  });

  test('HTTP 429 with Retry-After seconds → CaRateLimitError.retryAfterMs', async () => {
    handler = json(429, { message: 'slow down' }, { 'retry-after': '7' });
    const e = await failure(client.getStatus('O-1', ctx()));
    expect(e).toBeInstanceOf(CaRateLimitError);
    expect((e as CaRateLimitError).retryAfterMs).toBe(7000);
    expect((e as CaRateLimitError).retryable).toBe(true);
    expect((e as CaRateLimitError).name).toBe(CaErrorType.RateLimit);
    expectNoToken(e);
  });

  test('HTTP 429 with Retry-After as an HTTP date', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    handler = json(429, '', { 'retry-after': at });
    const e = (await failure(client.getStatus('O-1', ctx()))) as CaRateLimitError;
    expect(e).toBeInstanceOf(CaRateLimitError);
    expect(e.retryAfterMs).toBeGreaterThan(25_000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  test('HTTP 503 → CaUnavailableError, retryable', async () => {
    handler = json(503, 'Service Unavailable');
    const e = await failure(client.retrieveCertificate('O-1', ctx()));
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect((e as CaUnavailableError).httpStatus).toBe(503);
    expect((e as CaUnavailableError).retryable).toBe(true);
    expect(NON_RETRYABLE_CA_ERRORS).not.toContain((e as CaUnavailableError).name);
    expectNoToken(e);
  });

  test('no answer within timeoutMs → CaUnavailableError (headers timeout)', async () => {
    handler = () => undefined; // never answers
    const started = Date.now();
    const e = await failure(client.getStatus('O-1', ctx()));
    const elapsed = Date.now() - started;
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect((e as CaUnavailableError).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1500);
    expectNoToken(e);
  });

  test('a body that stalls past timeoutMs → CaUnavailableError (body timeout)', async () => {
    handler = (_s, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"isSuccess": tr'); // ...and nothing more
    };
    const e = await failure(client.getStatus('O-1', ctx()));
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect((e as CaUnavailableError).code).toBe('UND_ERR_BODY_TIMEOUT');
  });

  test('a body that is not JSON → CaProtocolError', async () => {
    handler = (_s, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    };
    const e = await failure(client.getStatus('O-1', ctx()));
    expect(e).toBeInstanceOf(CaProtocolError);
    expect((e as CaProtocolError).message).toMatch(/not JSON.*<html>Bad gateway/);
    expect((e as CaProtocolError).retryable).toBe(true);
    expect((e as CaProtocolError).maxAttempts).toBeGreaterThan(0);
  });

  test('JSON failing the schema → CaProtocolError naming the path', async () => {
    handler = json(200, { isSuccess: true, errorMsg: null, successMsg: null, data: { id: 'O-1', isPay: 1 }, page: null });
    const e = await failure(client.getStatus('O-1', ctx()));
    expect(e).toBeInstanceOf(CaProtocolError);
    expect((e as CaProtocolError).issues.map((i) => i.path)).toEqual(['data.status']);
    expect((e as CaProtocolError).message).toContain('data.status');
    expect((e as CaProtocolError).name).toBe(CaErrorType.Protocol);

    handler = json(200, { isSuccess: 'maybe', data: {} });
    const e2 = await failure(client.getStatus('O-1', ctx()));
    expect((e2 as CaProtocolError).message).toContain('isSuccess');
  });

  test('connection refused → CaUnavailableError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = createWotrusClient({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, timeoutMs: TIMEOUT_MS, connectTimeoutMs: 1000, connections: 1 });
    const e = await failure(refused.getStatus('O-1', ctx()));
    await refused.close();
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect((e as CaUnavailableError).code).toBe('ECONNREFUSED');
    expectNoToken(e);
  });

  test('an aborted call rethrows the abort, not a retryable CA error', async () => {
    const patient = createWotrusClient({ baseUrl, token: TOKEN, timeoutMs: 10_000, connectTimeoutMs: 1000, connections: 1 });
    handler = () => undefined;
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    const e = await failure(patient.getStatus('O-1', ctx(1, controller.signal)));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(e).toBe(reason);
    expect(isCaError(e)).toBe(false);

    const pre = new AbortController();
    pre.abort();
    const e2 = await failure(patient.getStatus('O-1', ctx(1, pre.signal)));
    expect(isCaError(e2)).toBe(false);
    expect((e2 as Error).name).toBe('AbortError');

    server.closeAllConnections();
    await patient.close();
  });

  test('retrieve before issuance → CaCertificateNotReadyError, never a success', async () => {
    handler = json(200, { isSuccess: true, errorMsg: '', successMsg: '', data: { pem_RSA: '', chains_RSA: [], result: false } });
    const e = await failure(client.retrieveCertificate('O-1', ctx()));
    expect(e).toBeInstanceOf(CaCertificateNotReadyError);
    expect((e as CaCertificateNotReadyError).name).toBe(CaErrorType.NotReady);
    expect((e as CaCertificateNotReadyError).retryable).toBe(true);
  });

  test('errors serialise to JSON without secrets and with their fields', async () => {
    handler = json(429, '', { 'retry-after': '2' });
    const e = await failure(client.getStatus('O-1', ctx()));
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({
      name: 'CaRateLimitError',
      operation: 'getStatus',
      requestId: 'order-B42/createCaOrder/1',
      httpStatus: 429,
      retryable: true,
      retryAfterMs: 2000,
    });
  });
});

describe('createWotrusClientFromConfig', () => {
  test('builds a client from the CA_* keys', async () => {
    const c = createWotrusClientFromConfig({
      CA_BASE_URL: baseUrl,
      CA_TOKEN: TOKEN,
      CA_TIMEOUT_MS: 1000,
      CA_CONNECT_TIMEOUT_MS: 500,
      CA_POOL_CONNECTIONS: 2,
    });
    handler = json(200, fixtureText('email.response'));
    await expect(c.sendIssuedEmail('O-1', 'https://c/1', ctx())).resolves.toEqual({ sent: false });
    expect(c.descriptor.id).toBe('wotrus');
    await c.close();
    await c.close(); // idempotent
  });

  test('refuses to build without base URL or token, without echoing the token', () => {
    expect(() =>
      createWotrusClientFromConfig({ CA_BASE_URL: undefined, CA_TOKEN: TOKEN, CA_TIMEOUT_MS: 1, CA_CONNECT_TIMEOUT_MS: 1, CA_POOL_CONNECTIONS: 1 }),
    ).toThrow(/CA_BASE_URL/);
  });
});
