import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BillingEvent } from '../../src/activities/delivery';
import {
  BILLING_SIGNATURE_HEADER,
  BILLING_TIMESTAMP_HEADER,
  BillingWebhookErrorType,
  BillingWebhookRejectedError,
  BillingWebhookRetryableError,
  createBillingWebhookSender,
  IDEMPOTENCY_KEY_HEADER,
  NON_RETRYABLE_BILLING_WEBHOOK_ERRORS,
} from '../../src/delivery/billing-webhook';

const SECRET = 'billing-secret-0123456789abcdef';

interface Received {
  headers: IncomingMessage['headers'];
  raw: Buffer;
}

let server: Server;
let url: string;
let received: Received[];
let answer: (res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks) });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/certflow`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  received = [];
  answer = (res) => res.writeHead(204).end();
});

const event: BillingEvent = {
  type: 'order.issued',
  billingOrderId: 'B-1',
  occurredAt: '2025-01-01T00:00:00.000Z',
  data: { serialNumber: '01AB', notAfter: '2026-01-01T00:00:00.000Z' },
};

/** What billing does: HMAC the raw bytes and compare in constant time. */
function verifies(r: Received, secret = SECRET): boolean {
  const header = String(r.headers[BILLING_SIGNATURE_HEADER] ?? '');
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(r.raw).digest('hex')}`);
  return header.length === expected.length && timingSafeEqual(Buffer.from(header), expected);
}

describe('billing webhook sender', () => {
  test('POSTs the event as JSON with a verifiable signature, a timestamp and the idempotency key', async () => {
    const sender = createBillingWebhookSender({ url, secret: SECRET });
    await sender.send(event, 'B-1:order.issued:01AB');
    await sender.close();
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(JSON.parse(r!.raw.toString())).toEqual(event);
    expect(r!.headers['content-type']).toBe('application/json');
    expect(verifies(r!)).toBe(true);
    expect(verifies(r!, 'another-secret-0123456789')).toBe(false);
    expect(r!.headers[IDEMPOTENCY_KEY_HEADER]).toBe('B-1:order.issued:01AB');
    expect(Math.abs(Number(r!.headers[BILLING_TIMESTAMP_HEADER]) - Date.now() / 1000)).toBeLessThan(60);
  });

  test('a retry sends the same idempotency key', async () => {
    const sender = createBillingWebhookSender({ url, secret: SECRET });
    answer = (res) => res.writeHead(500).end('busy');
    await expect(sender.send(event, 'key-1')).rejects.toThrow(BillingWebhookRetryableError);
    answer = (res) => res.writeHead(200).end();
    await sender.send(event, 'key-1');
    await sender.close();
    expect(received.map((r) => r.headers[IDEMPOTENCY_KEY_HEADER])).toEqual(['key-1', 'key-1']);
  });

  test.each([500, 502, 503, 408, 429, 302])('HTTP %i is retryable', async (status) => {
    answer = (res) => res.writeHead(status, { location: '/elsewhere' }).end('try later');
    const sender = createBillingWebhookSender({ url, secret: SECRET });
    const err = await sender.send(event, 'k').catch((e: unknown) => e);
    await sender.close();
    expect(err).toBeInstanceOf(BillingWebhookRetryableError);
    expect(err).toMatchObject({ name: BillingWebhookErrorType.Retryable, status, retryable: true });
    expect((err as Error).message).toContain(`HTTP ${status}`);
  });

  test.each([400, 401, 404, 422])('HTTP %i is not retryable (Temporal will not retry it)', async (status) => {
    answer = (res) => res.writeHead(status, { 'content-type': 'application/json' }).end('{"error":"unknown billing order"}');
    const sender = createBillingWebhookSender({ url, secret: SECRET });
    const err = await sender.send(event, 'k').catch((e: unknown) => e);
    await sender.close();
    expect(err).toBeInstanceOf(BillingWebhookRejectedError);
    expect(err).toMatchObject({ name: 'BillingWebhookRejectedError', status, retryable: false });
    expect((err as Error).message).toContain('unknown billing order');
    expect(NON_RETRYABLE_BILLING_WEBHOOK_ERRORS).toContain((err as Error).name);
  });

  test('the error name matches what the workflow lists as non-retryable', () => {
    expect(BillingWebhookErrorType.Rejected).toBe('BillingWebhookRejectedError');
  });

  test('a slow billing endpoint times out as a retryable error', async () => {
    answer = (res) => setTimeout(() => res.writeHead(200).end(), 2_000).unref();
    const sender = createBillingWebhookSender({ url, secret: SECRET, timeoutMs: 150 });
    const err = await sender.send(event, 'k').catch((e: unknown) => e);
    await sender.close().catch(() => undefined);
    expect(err).toBeInstanceOf(BillingWebhookRetryableError);
    expect((err as Error).message).toMatch(/timed out|timeout/i);
  });

  test('a refused connection is retryable', async () => {
    const sender = createBillingWebhookSender({ url: 'http://127.0.0.1:1/hook', secret: SECRET });
    await expect(sender.send(event, 'k')).rejects.toThrow(BillingWebhookRetryableError);
    await sender.close();
  });

  test("the activity's cancellation is passed through, not turned into a delivery error", async () => {
    answer = (res) => setTimeout(() => res.writeHead(200).end(), 2_000).unref();
    const sender = createBillingWebhookSender({ url, secret: SECRET });
    const controller = new AbortController();
    const pending = sender.send(event, 'k', controller.signal).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 50);
    const err = await pending;
    await sender.close().catch(() => undefined);
    expect(err).not.toBeInstanceOf(BillingWebhookRetryableError);
    expect(err).not.toBeInstanceOf(BillingWebhookRejectedError);
  });

  test('refuses an empty secret', () => {
    expect(() => createBillingWebhookSender({ url, secret: '' })).toThrow('secret');
  });
});
