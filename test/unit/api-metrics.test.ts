/**
 * The API's Prometheus endpoint: behind the API key; requests counted by route pattern
 * (billing ids never become label values); the push receiver's counters equal its stats.
 */
import type { FastifyInstance } from 'fastify';
import type { PushStats } from '../../src/api/schemas';
import { AUTH, buildTestApi, FakeOrderService } from './api-support';

let app: FastifyInstance;
beforeAll(async () => {
  const orders = new FakeOrderService();
  orders.caOrders.set('CA-1', ['order-B-1']);
  ({ app } = await buildTestApi({ orders, pushEnv: { CA_PUSH_WINDOW_MS: '0' } }));
});
afterAll(() => app.close());

const push = (orderId: string) =>
  app.inject({ method: 'POST', url: '/v1/ca/wotrus/push', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ dataAction: 'order', orderId, isIssued: true, isRevoked: false }) });

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test('pushes and requests are counted; the push counters are the receiver\'s stats', async () => {
  for (let i = 0; i < 3; i++) expect((await push('CA-1')).statusCode).toBe(200);
  expect((await push('NOSUCH')).statusCode).toBe(404);
  expect((await app.inject({ method: 'GET', url: '/v1/orders/B-42', headers: AUTH })).statusCode).toBe(404);

  const res = await app.inject({ method: 'GET', url: '/metrics', headers: AUTH });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = res.body;
  const stats = (await app.inject({ method: 'GET', url: '/v1/ca/wotrus/push/stats', headers: AUTH })).json<PushStats>();
  expect(stats.signalled).toBe(3);
  expect(value(text, 'certflow_pushes_total{outcome="signalled"}')).toBe(3);
  expect(value(text, 'certflow_pushes_refused_total{reason="unknown-order"}')).toBe(stats.refused['unknown-order']);
  expect(value(text, 'certflow_push_lookups_total')).toBe(stats.lookUps);
  expect(value(text, 'certflow_api_requests_total{method="POST",route="/v1/ca/wotrus/push",status="200"}')).toBe(3);
  expect(value(text, 'certflow_api_requests_total{method="POST",route="/v1/ca/wotrus/push",status="404"}')).toBe(1);
  expect(value(text, 'certflow_api_requests_total{method="GET",route="/v1/orders/:billingOrderId",status="404"}')).toBe(1);
  expect(text).not.toContain('B-42');
  expect(text).toMatch(/^certflow_api_process_cpu_seconds_total /m);
});

test('without the API key: 401, nothing counted shown', async () => {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(401);
  expect(res.body).not.toContain('certflow_pushes_total');
});

describe('certflow_orders: running orders by state', () => {
  test('one count serves the scrapes of its 15 s; every state reported', async () => {
    const orders = new FakeOrderService();
    orders.openOrders = { active: 3, awaitingValidation: 2, failed: 0 };
    const { app: api } = await buildTestApi({ orders });
    try {
      const first = (await api.inject({ method: 'GET', url: '/metrics', headers: AUTH })).body;
      expect(value(first, 'certflow_orders{state="active"}')).toBe(3);
      expect(value(first, 'certflow_orders{state="awaitingValidation"}')).toBe(2);
      expect(first).toMatch(/^certflow_orders\{state="failed"\} 0$/m);
      orders.openOrders = { active: 4 };
      const second = (await api.inject({ method: 'GET', url: '/metrics', headers: AUTH })).body;
      expect(value(second, 'certflow_orders{state="active"}')).toBe(3);
      expect(orders.calls.filter((c) => c.method === 'countOpenOrders')).toHaveLength(1);
    } finally {
      await api.close();
    }
  });

  test('a failed count leaves the gauge absent (not zero), is counted, and is retried on the next scrape', async () => {
    const orders = new FakeOrderService();
    orders.openOrders = new Error('visibility unavailable');
    const { app: api } = await buildTestApi({ orders });
    try {
      const failed = await api.inject({ method: 'GET', url: '/metrics', headers: AUTH });
      expect(failed.statusCode).toBe(200);
      expect(failed.body).not.toMatch(/^certflow_orders\{/m);
      expect(value(failed.body, 'certflow_orders_count_failures_total')).toBe(1);
      orders.openOrders = { active: 1 };
      const next = (await api.inject({ method: 'GET', url: '/metrics', headers: AUTH })).body;
      expect(value(next, 'certflow_orders{state="active"}')).toBe(1);
    } finally {
      await api.close();
    }
  });
});
