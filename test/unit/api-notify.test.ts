/**
 * POST /v1/orders/:id/notify (src/api/routes/notify.ts): the operator's resend of the
 * customer e-mail reaches the workflow as the `resendCustomerEmail` update, with the same
 * validation, auth and problem answers as the other order updates.
 */
import type { FastifyInstance } from 'fastify';
import { AUTH, buildTestApi, type FakeOrderService, makeView } from './api-support';

let app: FastifyInstance;
let orders: FakeOrderService;

beforeEach(async () => {
  ({ app, orders } = await buildTestApi());
  orders.views.set('B-1', makeView('B-1', 'active'));
});
afterEach(async () => {
  await app.close();
});

const notify = (id: string, payload?: unknown, headers: Record<string, string> = AUTH) =>
  app.inject({ method: 'POST', url: `/v1/orders/${id}/notify`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

function problem(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number): Record<string, unknown> {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  return res.json() as Record<string, unknown>;
}

describe('POST /v1/orders/:billingOrderId/notify', () => {
  test('passes the validated input to the resendCustomerEmail update and answers 202 with its answer', async () => {
    const res = await notify('B-1', { requestId: 'ops-42', reason: 'customer lost the e-mail' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: true, state: 'active', message: 'resendCustomerEmail accepted' });
    expect(orders.calls.map((c) => [c.method, ...c.args])).toEqual([['resendCustomerEmail', 'B-1', { requestId: 'ops-42', reason: 'customer lost the e-mail' }]]);
  });

  test('the body is optional', async () => {
    expect((await notify('B-1')).statusCode).toBe(202);
    expect(orders.callsOf('resendCustomerEmail')[0]?.args).toEqual(['B-1', {}]);
  });

  test('invalid input names its fields and reaches no workflow', async () => {
    const p = problem(await notify('B-1', { requestId: 'has space', reason: '' }), 400);
    expect((p.errors as { path: string }[]).map((e) => e.path)).toEqual(expect.arrayContaining(['body.requestId', 'body.reason']));
    problem(await notify('B-1', { requestId: 'ok', extra: true }), 400);
    expect(orders.calls).toHaveLength(0);
  });

  test('a refusal by the workflow is a 409 with its reason; an unknown order a 404', async () => {
    orders.rejections.set('B-1', 'The order has no certificate yet; there is nothing to e-mail.');
    expect(problem(await notify('B-1', {}), 409)).toMatchObject({ type: 'urn:certflow:problem:update-rejected', detail: 'The order has no certificate yet; there is nothing to e-mail.' });
    problem(await notify('B-9', {}), 404);
  });

  test('needs an API key; a non-JSON body is a 415', async () => {
    problem(await notify('B-1', {}, {}), 401);
    problem(await app.inject({ method: 'POST', url: '/v1/orders/B-1/notify', headers: { ...AUTH, 'content-type': 'text/plain' }, payload: 'resend' }), 415);
    expect(orders.calls).toHaveLength(0);
  });
});
