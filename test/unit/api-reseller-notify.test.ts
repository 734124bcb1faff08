/**
 * The reseller platform's notify_url receiver (`POST /v1/issuers/reseller/notify/:token`)
 * through HTTP around a fake order service: the token in the path is its only
 * authentication (a wrong or unconfigured one is a plain 404, nothing read, nothing
 * signalled), the body is read tolerantly, and a callback makes the workflows following that
 * CA order read its status through the push dispatcher (its window included). The token never
 * reaches a log line or an answer.
 */
import type { FastifyInstance } from 'fastify';
import { parseResellerCallback } from '../../src/ca/reseller/callback';
import { resellerNotifyUrl } from '../../src/ca/reseller/notify';
import { notifyTokenMatches } from '../../src/api/routes/reseller-notify';
import { TemporalUnavailableError } from '../../src/orders/errors';
import { buildTestApi, captureLogs, FakeOrderService, PUSH_SECRET } from './api-support';

const TOKEN = 'rsl-notify-Token_0123456789abcdef';
const BASE = 'https://certs.example.com';
const PATH = new URL(resellerNotifyUrl({ PUBLIC_BASE_URL: BASE, RESELLER_NOTIFY_TOKEN: TOKEN })!).pathname;

let app: FastifyInstance | undefined;
let orders: FakeOrderService;
let logs: ReturnType<typeof captureLogs>;

async function start(o: { token?: string | null; windowMs?: number } = {}): Promise<void> {
  orders = new FakeOrderService();
  orders.caOrders.set('svc-1001', ['order-B-1', 'order-B-1-reissue-r1']);
  logs = captureLogs();
  const token: Record<string, string> = o.token === null ? {} : { RESELLER_NOTIFY_TOKEN: o.token ?? TOKEN };
  ({ app } = await buildTestApi({
    orders,
    logger: logs.logger,
    publicBaseUrl: BASE,
    pushEnv: { CA_PUSH_VERIFY: 'hmac', CA_PUSH_SECRET: PUSH_SECRET, CA_PUSH_WINDOW_MS: String(o.windowMs ?? 0), ...token },
    push: { followUpDelaysMs: [] },
  }));
}
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const notify = (payload: string, o: { path?: string; contentType?: string | null } = {}) =>
  app!.inject({
    method: 'POST',
    url: o.path ?? PATH,
    headers: o.contentType === null ? {} : { 'content-type': o.contentType ?? 'application/json' },
    payload,
  });

describe('with RESELLER_NOTIFY_TOKEN set', () => {
  beforeEach(() => start());

  test('the notify_url certflow sends is this route', () => {
    expect(PATH).toBe(`/v1/issuers/reseller/notify/${TOKEN}`);
  });

  test('a callback with the right token signals every workflow following the CA order (service_id) and answers 200 { ok: true }', async () => {
    const res = await notify(JSON.stringify({ service_id: 'svc-1001', caid: 'CA-77', status: 'issued' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    expect(orders.callsOf('findByCaOrderId').map((c) => c.args)).toEqual([['svc-1001']]);
    expect(orders.signals).toEqual([
      { workflowId: 'order-B-1', push: { caOrderId: 'svc-1001', isIssued: true, isRevoked: false, receivedAt: expect.any(String) } },
      { workflowId: 'order-B-1-reissue-r1', push: { caOrderId: 'svc-1001', isIssued: true, isRevoked: false, receivedAt: expect.any(String) } },
    ]);
  });

  test.each([
    ['a form', 'service_id=svc-1001&status=pending', 'application/x-www-form-urlencoded', 'svc-1001'],
    ['JSON as text/plain', '{"service_id":"svc-1001"}', 'text/plain', 'svc-1001'],
    ['JSON without a content type', '{"service_id":"svc-1001"}', null, 'svc-1001'],
    ['the id as a number, spelled serviceId, under data', '{"success":true,"data":{"serviceId":1001}}', 'application/json', '1001'],
  ] as const)('the body is read tolerantly: %s', async (_what, body, contentType, caOrderId) => {
    orders.caOrders.set('1001', ['order-B-2']);
    const res = await notify(body, { contentType });
    expect(res.statusCode).toBe(200);
    expect(orders.callsOf('findByCaOrderId').map((c) => c.args[0])).toEqual([caOrderId]);
    expect(orders.signals.length).toBeGreaterThan(0);
  });

  test('without service_id it is a 400 naming body.service_id; nothing is looked up or signalled', async () => {
    for (const body of ['{"caid":"CA-77","status":"issued"}', 'status=issued', '{not json', '']) {
      const res = await notify(body);
      expect(res.statusCode).toBe(400);
      expect((res.json() as { errors: { path: string }[] }).errors).toEqual([{ path: 'body.service_id', rule: expect.stringContaining('is required') }]);
    }
    expect(orders.calls).toHaveLength(0);
  });

  test('a wrong token is a 404 that says nothing of why, before the body is read: nothing looked up or signalled', async () => {
    for (const path of [`${PATH}x`, PATH.slice(0, -1), '/v1/issuers/reseller/notify/another-token-0123456789', '/v1/issuers/reseller/notify/%20']) {
      const res = await notify('{"service_id":"svc-1001"}', { path });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 404, title: 'Not found', detail: 'No such notify URL.' });
      expect(res.body).not.toContain(TOKEN);
    }
    // A body the right token would refuse: still 404, so it was never parsed.
    expect((await notify('{not json', { path: `${PATH}x` })).statusCode).toBe(404);
    expect(orders.calls).toHaveLength(0);
  });

  test('the token never reaches the logs (request lines, refusals, hand-on) nor an answer', async () => {
    await notify(JSON.stringify({ service_id: 'svc-1001' }));
    const refused = await notify(JSON.stringify({ caid: 'x' }));
    await notify(JSON.stringify({ service_id: 'svc-1001' }), { path: `${PATH}-wrong` });
    expect(refused.body).not.toContain(TOKEN);
    expect(refused.json()).toMatchObject({ instance: '/v1/issuers/reseller/notify/[redacted]' });
    const text = logs.text();
    expect(text).toContain('reseller callback handed on');
    expect(text).toContain('/v1/issuers/reseller/notify/[redacted]');
    expect(text).not.toContain(TOKEN);
  });

  test('a callback for a CA order no running workflow follows is still acknowledged (the follow-up and the poll cover it)', async () => {
    const res = await notify(JSON.stringify({ service_id: 'svc-unknown' }));
    expect(res.statusCode).toBe(200);
    expect(orders.signals).toHaveLength(0);
  });

  test('Temporal unavailable is a 503 (the platform retries), without the token', async () => {
    orders.failWith = new TemporalUnavailableError('Temporal is unavailable; try again shortly.');
    const res = await notify(JSON.stringify({ service_id: 'svc-1001' }));
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toContain(TOKEN);
  });
});

test('callbacks share the pushes\' per-order window: a burst is one signal now and one at the window\'s end', async () => {
  await start({ windowMs: 200 });
  for (let i = 0; i < 5; i++) expect((await notify(JSON.stringify({ service_id: 'svc-1001' }))).statusCode).toBe(200);
  expect(orders.callsOf('findByCaOrderId')).toHaveLength(1);
  expect(orders.signals).toHaveLength(2); // two workflows, once
  for (let i = 0; i < 100 && orders.signals.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
  expect(orders.signals).toHaveLength(4); // the trailing delivery, once
});

test('without RESELLER_NOTIFY_TOKEN every call is the same 404', async () => {
  await start({ token: null });
  const res = await notify(JSON.stringify({ service_id: 'svc-1001' }));
  expect(res.statusCode).toBe(404);
  expect(res.json()).toMatchObject({ detail: 'No such notify URL.' });
  expect(orders.calls).toHaveLength(0);
});

test('notifyTokenMatches: equal strings only, never without a configured token', () => {
  expect(notifyTokenMatches(TOKEN, TOKEN)).toBe(true);
  expect(notifyTokenMatches(TOKEN, `${TOKEN}x`)).toBe(false);
  expect(notifyTokenMatches(TOKEN, '')).toBe(false);
  expect(notifyTokenMatches(undefined, '')).toBe(false);
  expect(notifyTokenMatches('', '')).toBe(false);
  expect(notifyTokenMatches(TOKEN, undefined)).toBe(false);
});

describe('parseResellerCallback (the inferred body, read tolerantly)', () => {
  test('JSON with the inferred fields; the status read as a phase when it is a known word', () => {
    expect(parseResellerCallback('{"service_id":" svc-1 ","caid":"CA-1","status":"Issued"}')).toEqual({ ok: true, callback: { serviceId: 'svc-1', caid: 'CA-1', status: 'Issued', phase: 'issued' } });
    expect(parseResellerCallback(Buffer.from('service_id=svc-2&status=weird'))).toEqual({ ok: true, callback: { serviceId: 'svc-2', status: 'weird' } });
    expect(parseResellerCallback('{"SERVICE-ID":7}')).toEqual({ ok: true, callback: { serviceId: '7' } });
    expect(parseResellerCallback('{"service_id":"svc-3","status":"constructor"}')).toEqual({ ok: true, callback: { serviceId: 'svc-3', status: 'constructor' } });
  });

  test('no service_id, an empty one, an array, or an over-long id: an issue naming service_id', () => {
    for (const raw of [undefined, '', '[]', '{"service_id":""}', '{"service_id":{"x":1}}', `{"service_id":"${'x'.repeat(129)}"}`, '{"service_id":"a\\u0000b"}']) {
      const r = parseResellerCallback(raw);
      expect(r.ok).toBe(false);
      expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual([['service_id']]);
    }
  });
});
