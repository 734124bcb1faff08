/**
 * Which failed WoTrus calls prove the CA did not act (src/ca/wotrus/client.ts → `notActedOn`,
 * read by `caMayHaveActed`): the customer e-mail has no idempotency key, so only these may be
 * repeated. Over real HTTP against a throwaway node:http server, one scripted answer per test.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createWotrusClient, type WotrusClient } from '../../src/ca/wotrus/client';
import {
  CaAuthError,
  CaBusinessError,
  CaCertificateNotReadyError,
  CaProtocolError,
  CaRateLimitError,
  CaUnavailableError,
  caMayHaveActed,
  isCaError,
  type CaError,
} from '../../src/ca/errors';

const TOKEN = 'tk_email-ambiguity-token';
const TIMEOUT_MS = 300;
const ctx = { requestId: 'order-B1/sendCaEmail/1' };

let server: Server;
let baseUrl: string;
let answer: (res: ServerResponse) => void;
let received: number;
let client: WotrusClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      answer(res);
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
  received = 0;
  client = createWotrusClient({ baseUrl, token: TOKEN, timeoutMs: TIMEOUT_MS, connectTimeoutMs: 1000, connections: 2 });
});
afterEach(async () => {
  server.closeAllConnections();
  await client.close();
});

const status = (code: number) => (res: ServerResponse) => {
  res.writeHead(code, { 'content-type': 'text/html' });
  res.end(`<html>${code}</html>`);
};

async function emailFailure(c: WotrusClient = client): Promise<CaError> {
  try {
    await c.sendIssuedEmail('O-1', 'https://collect.example.com/1', ctx);
  } catch (e) {
    if (isCaError(e)) return e;
    throw e;
  }
  throw new Error('expected the e-mail call to fail');
}

describe('did the CA act on a failed e-mail call?', () => {
  test('connection refused: the request never left, so it may be repeated', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = createWotrusClient({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, timeoutMs: TIMEOUT_MS, connectTimeoutMs: 1000, connections: 1 });
    const e = await emailFailure(refused);
    await refused.close();
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(e.notActedOn).toBe(true);
    expect(caMayHaveActed(e)).toBe(false);
  });

  test('no answer in time after the CA read the request (headers timeout): it may have acted', async () => {
    answer = () => undefined; // read, never answered
    const e = await emailFailure();
    expect(received).toBe(1);
    expect((e as CaUnavailableError).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(caMayHaveActed(e)).toBe(true);
  });

  test('connection dropped after the request was read: it may have acted', async () => {
    answer = (res) => res.socket?.destroy();
    const e = await emailFailure();
    expect(received).toBe(1);
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(caMayHaveActed(e)).toBe(true);
  });

  test.each([408, 503])('HTTP %i says the request was not handled', async (code) => {
    answer = status(code);
    const e = await emailFailure();
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(caMayHaveActed(e)).toBe(false);
  });

  test.each([500, 502, 504])('HTTP %i may come after the CA acted', async (code) => {
    answer = status(code);
    const e = await emailFailure();
    expect(e).toBeInstanceOf(CaUnavailableError);
    expect(caMayHaveActed(e)).toBe(true);
  });

  test('a garbled 200 is an answer to a processed call; a redirect is not', async () => {
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"isSuccess":true,"data":{"sentRes');
    };
    const garbled = await emailFailure();
    expect(garbled).toBeInstanceOf(CaProtocolError);
    expect(caMayHaveActed(garbled)).toBe(true);

    answer = (res) => {
      res.writeHead(301, { location: 'https://elsewhere.example.com/' });
      res.end();
    };
    const redirected = await emailFailure();
    expect(redirected).toBeInstanceOf(CaProtocolError);
    expect(caMayHaveActed(redirected)).toBe(false);
  });

  test('refusals are answers that nothing was done', () => {
    const at = { operation: 'sendIssuedEmail' as const, requestId: 'r' };
    expect(caMayHaveActed(new CaAuthError(at))).toBe(false);
    expect(caMayHaveActed(new CaBusinessError(at))).toBe(false);
    expect(caMayHaveActed(new CaRateLimitError({ ...at, retryAfterMs: 1000 }))).toBe(false);
    expect(caMayHaveActed(new CaCertificateNotReadyError(at))).toBe(false);
    expect(caMayHaveActed(new CaUnavailableError({ ...at, code: 'ECONNRESET' }))).toBe(true);
  });
});
