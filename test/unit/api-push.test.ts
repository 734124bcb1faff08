/**
 * The push receiver through HTTP (fastify inject) around a fake order service: verification
 * modes, the source allow-list, refusals counted and logged without the body, the per-order
 * window and the global budget as the CA sees them, and the stats route.
 */
import type { FastifyInstance } from 'fastify';
import { PUSH_SIGNATURE_HEADER, signPushBody } from '../../src/ca/wotrus/push';
import type { PushStats } from '../../src/api/schemas';
import { TemporalUnavailableError } from '../../src/orders/errors';
import { AUTH, buildTestApi, captureLogs, FakeOrderService, PUSH_SECRET } from './api-support';

const URL = '/v1/ca/wotrus/push';
let app: FastifyInstance | undefined;
let orders: FakeOrderService;

async function start(o: Parameters<typeof buildTestApi>[0] = {}): Promise<void> {
  orders = o.orders ?? new FakeOrderService();
  orders.caOrders.set('CA-1', ['order-B-1']);
  ({ app } = await buildTestApi({ ...o, orders, push: { followUpDelaysMs: [20, 300, 1_000], ...o.push } }));
}
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const body = (o: Record<string, unknown> = {}) => JSON.stringify({ dataAction: 'order', orderId: 'CA-1', isIssued: true, isRevoked: false, ...o });
const signed = (raw: string) => ({ [PUSH_SIGNATURE_HEADER]: signPushBody(PUSH_SECRET, raw) });
const push = (raw: string, headers: Record<string, string> = signed(raw), contentType = 'application/json', remoteAddress?: string) =>
  app!.inject({ method: 'POST', url: URL, headers: { 'content-type': contentType, ...headers }, payload: raw, ...(remoteAddress ? { remoteAddress } : {}) });
const stats = async (): Promise<PushStats> => (await app!.inject({ method: 'GET', url: `${URL}/stats`, headers: AUTH })).json();
const until = async (what: string, ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ok()) throw new Error(`never: ${what}`);
};

describe('CA push receiver, CA_PUSH_VERIFY=hmac', () => {
  beforeEach(() => start());

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
  ])('%s is a 401, signals nothing and is counted', async (_name, tamper) => {
    const { raw, sig } = tamper(body());
    const res = await push(raw, sig === undefined ? {} : { [PUSH_SIGNATURE_HEADER]: sig });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(orders.calls).toHaveLength(0);
    expect((await stats()).refused).toMatchObject({ signature: 1 });
  });

  test('an unsigned garbage body is a 401, not a 400: nothing is parsed before the signature', async () => {
    expect((await push('{not json', {})).statusCode).toBe(401);
  });

  test('no body at all: 401 unsigned, 400 when the empty body is signed', async () => {
    expect((await app!.inject({ method: 'POST', url: URL })).statusCode).toBe(401);
    const signedEmpty = await app!.inject({ method: 'POST', url: URL, headers: signed('') });
    expect(signedEmpty.statusCode).toBe(400);
    expect(signedEmpty.json()).toMatchObject({ errors: [{ path: 'body' }] });
  });

  test('a signed but unreadable push is a 400 naming the field, counted as unreadable', async () => {
    const res = await push(body({ orderId: '' }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ errors: [{ path: 'body.orderId', rule: 'must not be empty' }] });
    expect((await push('[1,2]')).statusCode).toBe(400);
    expect((await push('{oops')).json()).toMatchObject({ status: 400, errors: [{ path: 'body' }] });
    expect((await push(body({ orderId: 'X'.repeat(129) }))).json()).toMatchObject({ errors: [{ path: 'body.orderId', rule: 'must be at most 128 characters' }] });
    expect(orders.calls).toHaveLength(0);
    expect((await stats()).refused).toMatchObject({ unreadable: 4 });
  });

  test('another dataAction (the organisation push) is acknowledged and ignored', async () => {
    const res = await push(JSON.stringify({ dataAction: 'organization', orgId: 7 }));
    expect(res.json()).toEqual({ received: true, action: 'ignored', workflows: 0 });
    expect(orders.calls).toHaveLength(0);
    expect((await stats()).ignored).toBe(1);
  });

  test('a failed signal frees the window, so the CA retry gets through', async () => {
    orders.failWith = new TemporalUnavailableError('Temporal is unavailable; try again shortly.');
    expect((await push(body())).statusCode).toBe(503);
    orders.failWith = undefined;
    expect((await push(body())).json()).toMatchObject({ action: 'signalled' });
    expect(orders.signals).toHaveLength(1);
    expect((await stats()).failed).toBe(1);
  });

  test('a wrong content type is a 415, an oversized body a 413', async () => {
    expect((await push(body(), undefined, 'application/xml')).statusCode).toBe(415);
    const big = body({ pad: 'x'.repeat(70 * 1024) });
    expect((await push(big)).statusCode).toBe(413);
  });

  test('the stats route needs the API key', async () => {
    expect((await app!.inject({ method: 'GET', url: `${URL}/stats` })).statusCode).toBe(401);
    expect(await stats()).toMatchObject({ settings: { verify: 'hmac', allowFrom: 0, windowMs: 5_000, ratePerSec: 20, burst: 40 }, received: 0 });
  });
});

describe('CA push receiver, CA_PUSH_VERIFY=none (the document\'s unsigned push)', () => {
  test('the document\'s example body, unsigned, signals the order; a stray signature header changes nothing', async () => {
    await start({ pushEnv: {} });
    // §8.1 of the WoTrus document, verbatim but for the id.
    const raw = '{\n  "dataAction": "order",\n  "orderId": "CA-1",\n  "isIssued": true,\n  "isRevoked": false\n}';
    expect((await push(raw, {})).json()).toEqual({ received: true, action: 'signalled', workflows: 1 });
    orders.caOrders.set('CA-3', ['order-B-3']);
    expect((await push(body({ orderId: 'CA-3' }), { [PUSH_SIGNATURE_HEADER]: 'sha256=nonsense' })).json()).toMatchObject({ action: 'signalled' });
    expect((await stats()).refused.signature).toBe(0);
  });

  test('the OCR copy\'s spelling orderID is read too', async () => {
    await start({ pushEnv: {} });
    expect((await push('{"dataAction":"order","orderID":"CA-1","isIssued":true,"isRevoked":false}', {})).json()).toMatchObject({ action: 'signalled' });
  });
});

describe('per-order window and global budget at the route', () => {
  test('the same push 100 times at once: one signal now, 99 deferred, exactly one trailing signal at the window\'s end', async () => {
    await start({ pushEnv: { CA_PUSH_WINDOW_MS: '100' } });
    const answers = await Promise.all(Array.from({ length: 100 }, () => push(body(), {})));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(answers.filter((a) => a.json().action === 'signalled')).toHaveLength(1);
    expect(answers.filter((a) => a.json().action === 'deferred')).toHaveLength(99);
    expect(orders.signals).toHaveLength(1);
    await until('trailing delivery', () => orders.signals.length === 2);
    expect(await stats()).toMatchObject({ received: 100, signalled: 1, deferred: 99, trailingDelivered: 1 });
    // The trailing delivery carried the latest push, and no more came.
    expect(orders.signals[1]?.push).toMatchObject({ caOrderId: 'CA-1', isIssued: true });
  });

  test('over the budget a push is acknowledged, not acted on, and counted', async () => {
    await start({ pushEnv: { CA_PUSH_RATE_PER_SEC: '0.1', CA_PUSH_BURST: '2' } });
    for (const id of ['K1', 'K2', 'K3']) orders.caOrders.set(id, [`order-${id}`]);
    const actions = [];
    for (const id of ['K1', 'K2', 'K3']) actions.push((await push(body({ orderId: id }), {})).json().action);
    expect(actions).toEqual(['signalled', 'signalled', 'throttled']);
    expect(orders.signals.map((s) => s.workflowId)).toEqual(['order-K1', 'order-K2']);
    expect(orders.callsOf('findByCaOrderId')).toHaveLength(2);
    expect((await stats()).refused['over-budget']).toBe(1);
  });

  test('an unknown CA order: 404, then answered from the negative cache with no look-up; the follow-up delivers once it is searchable', async () => {
    await start({ pushEnv: {} });
    for (let i = 0; i < 50; i++) {
      const res = await push(body({ orderId: 'CA-LATE' }), {});
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ type: 'urn:certflow:problem:no-waiting-order' });
    }
    // One look-up by the route; the rest came from the negative cache (the follow-up may have looked too, at most three times).
    expect((await stats()).cache.negativeHits).toBe(49);
    expect(orders.callsOf('findByCaOrderId').length).toBeLessThanOrEqual(1 + 3);
    orders.caOrders.set('CA-LATE', ['order-B-5']);
    await until('follow-up delivery', () => orders.signals.length === 1);
    expect(orders.signals).toEqual([{ workflowId: 'order-B-5', push: expect.objectContaining({ caOrderId: 'CA-LATE', isIssued: true }) }]);
    const s = await stats();
    expect(s.refused['unknown-order']).toBe(50);
    expect(s.followUp).toMatchObject({ held: 1, delivered: 1 });
    // Found by the follow-up: the next push is routed from the positive cache, no look-up.
    const lookUps = orders.callsOf('findByCaOrderId').length;
    expect((await push(body({ orderId: 'CA-LATE', isRevoked: true }), {})).statusCode).toBe(200);
    expect(orders.callsOf('findByCaOrderId')).toHaveLength(lookUps);
  });

  test('routing is cached: many pushes for one order cost one look-up; a workflow gone from the cache is looked up again', async () => {
    await start({ pushEnv: { CA_PUSH_WINDOW_MS: '0' } });
    for (let i = 0; i < 5; i++) expect((await push(body(), {})).json()).toMatchObject({ action: 'signalled' });
    expect(orders.callsOf('findByCaOrderId')).toHaveLength(1);
    // The order ended and a revocation child now waits on the same CA order.
    orders.ended.add('order-B-1');
    orders.caOrders.set('CA-1', ['order-B-1-revoke']);
    expect((await push(body(), {})).json()).toMatchObject({ action: 'signalled', workflows: 1 });
    expect(orders.callsOf('findByCaOrderId')).toHaveLength(2);
    expect(orders.signals.at(-1)?.workflowId).toBe('order-B-1-revoke');
    expect((await stats()).cache).toMatchObject({ invalidated: 1 });
  });
});

describe('source allow-list (CA_PUSH_ALLOW_FROM) on request.ip', () => {
  test('IPv4 and IPv6 networks: inside is taken, outside is a 403 before the body is read', async () => {
    await start({ pushEnv: { CA_PUSH_ALLOW_FROM: '203.0.113.0/24, 2001:db8::/32', CA_PUSH_WINDOW_MS: '0' } });
    expect((await push(body(), {}, undefined, '203.0.113.9')).statusCode).toBe(200);
    expect((await push(body(), {}, undefined, '2001:db8::7')).statusCode).toBe(200);
    expect((await push(body(), {}, undefined, '::ffff:203.0.113.10')).statusCode).toBe(200);
    const outside = await push('{not even json', {}, undefined, '198.51.100.1');
    expect(outside.statusCode).toBe(403);
    expect(outside.json()).toMatchObject({ type: 'urn:certflow:problem:forbidden' });
    expect((await push(body(), {}, undefined, '2001:db9::1')).statusCode).toBe(403);
    expect((await stats()).refused).toMatchObject({ source: 2, unreadable: 0 });
  });

  test('X-Forwarded-For is believed only from a proxy named in API_TRUST_PROXY', async () => {
    const env = { CA_PUSH_ALLOW_FROM: '203.0.113.0/24', CA_PUSH_WINDOW_MS: '0' };
    await start({ pushEnv: env });
    expect((await push(body(), { 'x-forwarded-for': '203.0.113.9' }, undefined, '127.0.0.1')).statusCode).toBe(403);
    await app!.close();
    await start({ pushEnv: { ...env, API_TRUST_PROXY: '127.0.0.1' } });
    expect((await push(body(), { 'x-forwarded-for': '203.0.113.9' }, undefined, '127.0.0.1')).statusCode).toBe(200);
    // Not from the trusted proxy: its X-Forwarded-For is not believed.
    expect((await push(body(), { 'x-forwarded-for': '203.0.113.9' }, undefined, '198.51.100.1')).statusCode).toBe(403);
  });
});

test('refusals are logged at warn with their reason, rate-limited, and never with the body', async () => {
  const logs = captureLogs();
  await start({ logger: logs.logger, pushEnv: { CA_PUSH_VERIFY: 'hmac', CA_PUSH_SECRET: PUSH_SECRET, CA_PUSH_ALLOW_FROM: '203.0.113.0/24', CA_PUSH_RATE_PER_SEC: '0.1', CA_PUSH_BURST: '1' } });
  const MARK = 'BODY-MARKER-5f3a';
  const from = '203.0.113.5';
  for (let i = 0; i < 3; i++) await push(body({ note: MARK }), {}, undefined, from); // no signature
  await push(body({ note: MARK }), {}, undefined, '198.51.100.1'); // not allowed
  const unreadable = `{"dataAction":"order","orderId":"","note":"${MARK}"}`;
  await push(unreadable, signed(unreadable), undefined, from);
  orders.caOrders.set('K2', ['order-K2']);
  for (const id of ['CA-1', 'K2']) { const raw = body({ orderId: id, note: MARK }); await push(raw, signed(raw), undefined, from); } // the second is over budget
  const text = logs.text();
  expect(text).not.toContain(MARK);
  const warns = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; reason?: string; msg: string }).filter((l) => l.level === 40);
  expect(warns.map((w) => w.reason).sort()).toEqual(['over-budget', 'signature', 'source', 'unreadable']);
  expect((await stats()).refused).toEqual({ signature: 3, source: 1, unreadable: 1, 'over-budget': 1, 'unknown-order': 0 });
});
