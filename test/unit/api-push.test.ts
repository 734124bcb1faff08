import type { FastifyInstance } from 'fastify';
import { createPushDedupe, pushKey } from '../../src/api/push-dedupe';
import { PUSH_SIGNATURE_HEADER, signPushBody } from '../../src/ca/wotrus/push';
import { TemporalUnavailableError } from '../../src/orders/errors';
import { buildTestApi, type FakeOrderService, PUSH_SECRET } from './api-support';

const URL = '/v1/ca/wotrus/push';
let app: FastifyInstance;
let orders: FakeOrderService;

beforeEach(async () => {
  ({ app, orders } = await buildTestApi());
  orders.caOrders.set('CA-1', ['order-B-1']);
});
afterEach(async () => {
  await app.close();
});

const body = (o: Record<string, unknown> = {}) => JSON.stringify({ dataAction: 'order', orderId: 'CA-1', isIssued: true, isRevoked: false, ...o });
const push = (raw: string, headers: Record<string, string> = { [PUSH_SIGNATURE_HEADER]: signPushBody(PUSH_SECRET, raw) }, contentType = 'application/json') =>
  app.inject({ method: 'POST', url: URL, headers: { 'content-type': contentType, ...headers }, payload: raw });

describe('CA push receiver', () => {
  test('a genuine push signals the waiting workflow and answers 200', async () => {
    const res = await push(body());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true, action: 'signalled', workflows: 1 });
    expect(orders.signals).toEqual([
      { workflowId: 'order-B-1', push: { caOrderId: 'CA-1', isIssued: true, isRevoked: false, receivedAt: expect.any(String) } },
    ]);
  });

  test('every running workflow of the CA order is signalled (order and reissue child)', async () => {
    orders.caOrders.set('CA-2', ['order-B-1', 'order-B-1-reissue-r1']);
    const res = await push(body({ orderId: 'CA-2' }));
    expect(res.json()).toMatchObject({ workflows: 2 });
    expect(orders.signals.map((s) => s.workflowId)).toEqual(['order-B-1', 'order-B-1-reissue-r1']);
  });

  test('reads the push tolerantly (orderID, string flags, stray spaces) — after checking the exact bytes', async () => {
    const raw = '{ "dataAction": "Order", "orderID": " CA-1 ", "isIssued": "true" }';
    expect((await push(raw)).statusCode).toBe(200);
    expect(orders.signals[0]?.push).toMatchObject({ caOrderId: 'CA-1', isIssued: true, isRevoked: false });
  });

  test('JSON sent as text/plain is accepted too', async () => {
    expect((await push(body(), undefined, 'text/plain')).statusCode).toBe(200);
  });

  test.each([
    ['a modified body', (raw: string) => ({ raw: raw.replace('"isRevoked":false', '"isRevoked":true'), sig: signPushBody(PUSH_SECRET, raw) })],
    ['a re-serialised body', (raw: string) => ({ raw: JSON.stringify(JSON.parse(raw), null, 1), sig: signPushBody(PUSH_SECRET, raw) })],
    ['the wrong secret', (raw: string) => ({ raw, sig: signPushBody('another-secret-0123456789', raw) })],
    ['a missing signature', (raw: string) => ({ raw, sig: undefined })],
    ['a malformed signature', (raw: string) => ({ raw, sig: 'sha256=zz' })],
  ])('%s is a 401 and signals nothing', async (_name, tamper) => {
    const { raw, sig } = tamper(body());
    const res = await push(raw, sig === undefined ? {} : { [PUSH_SIGNATURE_HEADER]: sig });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(orders.calls).toHaveLength(0);
  });

  test('an unsigned garbage body is a 401, not a 400: nothing is parsed before the signature', async () => {
    expect((await push('{not json', {})).statusCode).toBe(401);
  });

  test('no body at all: 401 unsigned, 400 when the empty body is signed', async () => {
    expect((await app.inject({ method: 'POST', url: URL })).statusCode).toBe(401);
    const signedEmpty = await app.inject({ method: 'POST', url: URL, headers: { [PUSH_SIGNATURE_HEADER]: signPushBody(PUSH_SECRET, '') } });
    expect(signedEmpty.statusCode).toBe(400);
    expect(signedEmpty.json()).toMatchObject({ errors: [{ path: 'body' }] });
  });

  test('a signed but unreadable push is a 400 naming the field', async () => {
    const res = await push(body({ orderId: '' }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ errors: [{ path: 'body.orderId', rule: 'must not be empty' }] });
    expect((await push('[1,2]')).statusCode).toBe(400);
    expect((await push('{oops')).json()).toMatchObject({ status: 400, errors: [{ path: 'body' }] });
    expect(orders.calls).toHaveLength(0);
  });

  test('another dataAction (the organisation push) is acknowledged and ignored', async () => {
    const res = await push(JSON.stringify({ dataAction: 'organization', orgId: 7 }));
    expect(res.json()).toEqual({ received: true, action: 'ignored', workflows: 0 });
    expect(orders.calls).toHaveLength(0);
  });

  test('a push for a CA order no running workflow waits for is a 404', async () => {
    const res = await push(body({ orderId: 'CA-404' }));
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ type: 'urn:certflow:problem:no-waiting-order' });
    // Not remembered: the CA's retry (visibility may just lag) is tried again.
    orders.caOrders.set('CA-404', ['order-B-4']);
    expect((await push(body({ orderId: 'CA-404' }))).json()).toMatchObject({ action: 'signalled' });
  });

  test('a 404 push is delivered by itself once its order becomes searchable, without another push', async () => {
    const res = await push(body({ orderId: 'CA-LATE' }));
    expect(res.statusCode).toBe(404);
    expect(orders.signals).toEqual([]);
    orders.caOrders.set('CA-LATE', ['order-B-5']);
    for (let i = 0; i < 80 && orders.signals.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(orders.signals).toEqual([{ workflowId: 'order-B-5', push: expect.objectContaining({ caOrderId: 'CA-LATE', isIssued: true }) }]);
    // Delivered means claimed: the CA's retry of that event is now a duplicate.
    expect((await push(body({ orderId: 'CA-LATE' }))).json()).toMatchObject({ action: 'duplicate' });
    expect(orders.signals).toHaveLength(1);
  });

  test('the same push 100 times signals once', async () => {
    const raw = body();
    const answers = [];
    for (let i = 0; i < 100; i++) answers.push((await push(raw)).statusCode);
    expect(answers.every((s) => s === 200)).toBe(true);
    expect(orders.signals).toHaveLength(1);
  });

  test('the same push 100 times at once signals once', async () => {
    const raw = body();
    const answers = await Promise.all(Array.from({ length: 100 }, () => push(raw)));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(orders.signals).toHaveLength(1);
  });

  test('a push with other flags is a new event', async () => {
    await push(body({ isIssued: false }));
    await push(body({ isIssued: true }));
    await push(body({ isIssued: true, isRevoked: true }));
    expect(orders.signals).toHaveLength(3);
  });

  test('a failed signal is not remembered, so the CA retry gets through', async () => {
    orders.failWith = new TemporalUnavailableError('Temporal is unavailable; try again shortly.');
    expect((await push(body())).statusCode).toBe(503);
    orders.failWith = undefined;
    expect((await push(body())).statusCode).toBe(200);
    expect(orders.signals).toHaveLength(1);
  });

  test('a wrong content type is a 415, an oversized body a 413', async () => {
    expect((await push(body(), undefined, 'application/xml')).statusCode).toBe(415);
    const big = body({ pad: 'x'.repeat(70 * 1024) });
    expect((await push(big)).statusCode).toBe(413);
  });
});

describe('push dedupe', () => {
  test('forgets after the TTL', () => {
    let now = 0;
    const d = createPushDedupe({ ttlMs: 1000, now: () => now });
    expect(d.claim('k')).toBe(true);
    now = 999;
    expect(d.claim('k')).toBe(false);
    now = 1000;
    expect(d.claim('k')).toBe(true);
  });

  test('stays bounded, dropping the oldest', () => {
    const d = createPushDedupe({ maxEntries: 3, now: () => 0 });
    for (const k of ['a', 'b', 'c', 'd']) expect(d.claim(k)).toBe(true);
    expect(d.size).toBe(3);
    expect(d.claim('a')).toBe(true); // evicted, so new again
    expect(d.claim('d')).toBe(false);
  });

  test('the key is the order id and both flags', () => {
    expect(pushKey({ orderId: 'X', isIssued: true, isRevoked: false })).not.toBe(pushKey({ orderId: 'X', isIssued: false, isRevoked: false }));
  });
});
