import type { FastifyInstance } from 'fastify';
import { TemporalUnavailableError, UnknownProductError } from '../../src/orders/errors';
import { AUTH, buildTestApi, CSR, type FakeOrderService, INTERMEDIATE, LEAF, makeView, PRODUCT_ID, ROOT, validOrder } from './api-support';

let app: FastifyInstance;
let orders: FakeOrderService;

beforeEach(async () => {
  ({ app, orders } = await buildTestApi());
});
afterEach(async () => {
  await app.close();
});

const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, headers: { ...AUTH, ...headers }, payload: payload as object });
const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers: { ...AUTH, ...headers } });

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = res.json() as Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.stringMatching(/^urn:certflow:problem:/), title: expect.any(String) });
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // never a stack trace
  return body;
}

describe('POST /v1/orders', () => {
  test('accepts a valid order: 202, Location, links, the validated request reaches the service', async () => {
    const res = await post('/v1/orders', validOrder());
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBe('/v1/orders/B-1001');
    expect(res.json()).toEqual({
      billingOrderId: 'B-1001',
      workflowId: 'order-B-1001',
      created: true,
      links: {
        self: '/v1/orders/B-1001',
        certificate: '/v1/orders/B-1001/certificate',
        cancel: '/v1/orders/B-1001/cancel',
        reissue: '/v1/orders/B-1001/reissue',
        revoke: '/v1/orders/B-1001/revoke',
        retry: '/v1/orders/B-1001/retry',
      },
    });
    const [call] = orders.callsOf('placeOrder');
    // zod's output, not the raw body: the product id is normalised.
    expect(call?.args[0]).toMatchObject({ billingOrderId: 'B-1001', productId: PRODUCT_ID, month: 12 });
  });

  test('links are absolute when PUBLIC_BASE_URL is set', async () => {
    await app.close();
    ({ app, orders } = await buildTestApi({ publicBaseUrl: 'https://certs.example.com/' }));
    const res = await post('/v1/orders', validOrder());
    expect(res.headers.location).toBe('https://certs.example.com/v1/orders/B-1001');
    expect(res.json()).toMatchObject({ links: { certificate: 'https://certs.example.com/v1/orders/B-1001/certificate' } });
  });

  test('the same body twice answers the same workflow, created=false the second time', async () => {
    const first = await post('/v1/orders', validOrder());
    // Same meaning, other key order and product id case: still the same order.
    const { productId, ...rest } = validOrder();
    const second = await post('/v1/orders', { ...rest, productId: productId.toUpperCase() });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toMatchObject({ workflowId: first.json<{ workflowId: string }>().workflowId, created: false });
  });

  test('a different body under the same billing order id is a 409 problem', async () => {
    await post('/v1/orders', validOrder());
    const res = await post('/v1/orders', validOrder({ commonName: 'other.example.com' }));
    const problem = expectProblem(res, 409);
    expect(problem).toMatchObject({ type: 'urn:certflow:problem:order-conflict', instance: '/v1/orders' });
    expect(problem.detail).toContain('B-1001');
  });

  test('validation lists every offending field with its path and rule', async () => {
    const res = await post('/v1/orders', validOrder({ month: 7 as 12, organization: { orgName: 'x', countryCode: 'cn' }, hosts: ['ok.example.com', 'not a host'] }));
    const problem = expectProblem(res, 400);
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { path: 'body.month', rule: 'must be 12 or 24, or 13 or 25 for a renewal' },
        { path: 'body.organization.countryCode', rule: 'must be a two-letter country code such as CN or US' },
        { path: 'body.hosts.1', rule: expect.stringContaining('DNS host name') },
      ]),
    );
    expect(orders.calls).toHaveLength(0);
  });

  test('unknown fields are named one by one', async () => {
    const res = await post('/v1/orders', { ...validOrder(), price: 10, organization: { orgName: 'x', countryCode: 'CN', vat: 1 } });
    const problem = expectProblem(res, 400);
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { path: 'body.price', rule: 'is not a known field' },
        { path: 'body.organization.vat', rule: 'is not a known field' },
      ]),
    );
  });

  test('a renewal must name the order it renews', async () => {
    const problem = expectProblem(await post('/v1/orders', validOrder({ month: 13 })), 400);
    expect(problem.errors).toEqual([{ path: 'body.renewsBillingOrderId', rule: 'required when month is 13 or 25 (a renewal)' }]);
  });

  test('malformed JSON is a 400, an empty body a 400, never a 5xx', async () => {
    expectProblem(await app.inject({ method: 'POST', url: '/v1/orders', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{"billingOrderId": ' }), 400);
    expectProblem(await app.inject({ method: 'POST', url: '/v1/orders', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '' }), 400);
    const missing = expectProblem(await app.inject({ method: 'POST', url: '/v1/orders', headers: AUTH }), 400);
    expect(missing.errors).toEqual([{ path: 'body', rule: expect.any(String) }]);
  });

  test('a wrong content type is a 415', async () => {
    expectProblem(await app.inject({ method: 'POST', url: '/v1/orders', headers: { ...AUTH, 'content-type': 'application/xml' }, payload: '<order/>' }), 415);
  });

  test('a body over the limit is a 413', async () => {
    const huge = JSON.stringify({ ...validOrder(), commonName: 'x'.repeat(3 * 1024 * 1024) });
    expectProblem(await app.inject({ method: 'POST', url: '/v1/orders', headers: { ...AUTH, 'content-type': 'application/json' }, payload: huge }), 413);
    expect(orders.calls).toHaveLength(0);
  });

  test('a product the products file does not list is a 400 naming body.productId', async () => {
    orders.failWith = new UnknownProductError('11111111-2222-3333-4444-555555555555');
    const res = await post('/v1/orders', validOrder({ productId: '11111111-2222-3333-4444-555555555555' }));
    const problem = expectProblem(res, 400);
    expect(problem).toMatchObject({
      type: 'urn:certflow:problem:validation',
      detail: 'Product 11111111-2222-3333-4444-555555555555 is not one this service sells (not in its products file).',
      errors: [{ path: 'body.productId', rule: 'is not a product this service sells' }],
    });
  });

  test('Temporal unavailable is a 503 problem with Retry-After', async () => {
    orders.failWith = new TemporalUnavailableError('Temporal is unavailable; try again shortly.');
    const res = await post('/v1/orders', validOrder());
    expect(expectProblem(res, 503).detail).toBe('Temporal is unavailable; try again shortly.');
    expect(res.headers['retry-after']).toBe('5');
  });

  test('an unexpected failure is a 500 problem without internals', async () => {
    orders.failWith = new Error('secret internals at /srv/app.ts:12');
    const res = await post('/v1/orders', validOrder());
    const problem = expectProblem(res, 500);
    expect(JSON.stringify(problem)).not.toContain('secret internals');
  });
});

describe('GET /v1/orders/:id', () => {
  test('answers the workflow view', async () => {
    orders.views.set('B-1', makeView('B-1', 'awaitingValidation'));
    const res = await get('/v1/orders/B-1');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(makeView('B-1', 'awaitingValidation'));
  });

  test('an unknown order is a 404 problem', async () => {
    const problem = expectProblem(await get('/v1/orders/nope'), 404);
    expect(problem).toMatchObject({ type: 'urn:certflow:problem:order-not-found', instance: '/v1/orders/nope' });
  });

  test('an id outside the billing order id syntax is a 400 naming params.billingOrderId', async () => {
    const problem = expectProblem(await get(`/v1/orders/${'x'.repeat(70)}`), 400);
    expect(problem.errors).toEqual([{ path: 'params.billingOrderId', rule: expect.any(String) }]);
    expect(orders.calls).toHaveLength(0);
  });
});

describe('GET /v1/orders', () => {
  test('passes filters and paging, with pageSize as a number and a default', async () => {
    orders.page = { orders: [{ workflowId: 'order-B-1', billingOrderId: 'B-1', status: 'active', startTime: '2025-01-01T00:00:00.000Z', runStatus: 'RUNNING' }], nextPageToken: 'abc_-1' };
    const res = await get('/v1/orders?status=active&commonName=shop.example.com&pageSize=5&pageToken=abc_-0');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(orders.page);
    expect(orders.callsOf('listOrders')[0]?.args[0]).toEqual({ status: 'active', commonName: 'shop.example.com', pageSize: 5, pageToken: 'abc_-0' });
    await get('/v1/orders');
    expect(orders.callsOf('listOrders')[1]?.args[0]).toEqual({ pageSize: 20 });
  });

  test.each([
    ['pageSize=0', 'query.pageSize'],
    ['pageSize=101', 'query.pageSize'],
    ['pageSize=ten', 'query.pageSize'],
    ['status=issued', 'query.status'],
    ['pageToken=not%20a%20token', 'query.pageToken'],
    ['sort=desc', 'query.sort'],
  ])('%s is a 400 naming %s', async (qs, path) => {
    const problem = expectProblem(await get(`/v1/orders?${qs}`), 400);
    expect((problem.errors as { path: string }[]).map((e) => e.path)).toContain(path);
    expect(orders.calls).toHaveLength(0);
  });
});

describe('GET /v1/orders/:id/certificate', () => {
  beforeEach(() => {
    orders.views.set('B-1', makeView('B-1', 'active'));
    orders.bundles.set('B-1', { caOrderId: 'CA-1', leafPem: LEAF, chainPems: [INTERMEDIATE, ROOT] });
  });
  const pem = `${LEAF}\n${INTERMEDIATE}${ROOT}`;

  test('JSON by default', async () => {
    const res = await get('/v1/orders/B-1/certificate');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ caOrderId: 'CA-1', leafPem: LEAF, chainPems: [INTERMEDIATE, ROOT] });
  });

  test.each([
    ['Accept: application/x-pem-file', '/v1/orders/B-1/certificate', { accept: 'application/x-pem-file' }],
    ['Accept: application/pem-certificate-chain', '/v1/orders/B-1/certificate', { accept: 'application/pem-certificate-chain' }],
    ['?format=pem', '/v1/orders/B-1/certificate?format=pem', {}],
  ])('PEM, leaf then chain towards the root, with %s', async (_name, url, headers) => {
    const res = await get(url, headers);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-pem-file/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="order-B-1.pem"');
    expect(res.body).toBe(pem);
  });

  test('?format=json wins over Accept', async () => {
    const res = await get('/v1/orders/B-1/certificate?format=json', { accept: 'application/x-pem-file' });
    expect(res.json()).toMatchObject({ leafPem: LEAF });
  });

  test('SM2: part=encryption and part=rsa download the other two certificates, each as its own PEM file', async () => {
    const ENC = LEAF.replace('BEGIN CERTIFICATE-----', 'BEGIN CERTIFICATE-----\nENC');
    const RSA = LEAF.replace('BEGIN CERTIFICATE-----', 'BEGIN CERTIFICATE-----\nRSA');
    orders.bundles.set('B-1', {
      caOrderId: 'CA-1', leafPem: LEAF, chainPems: [INTERMEDIATE, ROOT],
      encryptionLeafPem: ENC, encryptionChainPems: [INTERMEDIATE, ROOT],
      boundRsa: { caOrderId: 'CA-2', leafPem: RSA, chainPems: [ROOT] },
    });
    const signing = await get('/v1/orders/B-1/certificate?format=pem&part=signing');
    expect(signing.body).toBe(pem);
    const encryption = await get('/v1/orders/B-1/certificate?format=pem&part=encryption');
    expect(encryption.statusCode).toBe(200);
    expect(encryption.headers['content-disposition']).toBe('attachment; filename="order-B-1-encryption.pem"');
    expect(encryption.body).toBe(`${ENC.trim()}\n${INTERMEDIATE}${ROOT}`);
    const rsa = await get('/v1/orders/B-1/certificate?part=rsa', { accept: 'application/x-pem-file' });
    expect(rsa.headers['content-disposition']).toBe('attachment; filename="order-B-1-rsa.pem"');
    expect(rsa.body).toBe(`${RSA.trim()}\n${ROOT}`);
  });

  test('a part the order does not have is a 404 that says which parts exist', async () => {
    const problem = expectProblem(await get('/v1/orders/B-1/certificate?format=pem&part=encryption'), 404);
    expect(problem.detail).toMatch(/no encryption certificate.*SM2/);
  });

  test.each([
    ['part without PEM', '/v1/orders/B-1/certificate?part=rsa', 'query.part'],
    ['an unknown part', '/v1/orders/B-1/certificate?format=pem&part=root', 'query.part'],
  ])('%s is a 400 naming %s', async (_name, url, path) => {
    const problem = expectProblem(await get(url), 400);
    expect((problem.errors as { path: string }[]).map((e) => e.path)).toContain(path);
  });

  test('not issued yet: a 404 problem that says so', async () => {
    orders.bundles.set('B-1', null);
    const problem = expectProblem(await get('/v1/orders/B-1/certificate'), 404);
    expect(problem.type).toBe('urn:certflow:problem:certificate-not-issued');
    expect(problem.detail).toContain('no certificate yet');
  });

  test('unknown order: 404 order-not-found', async () => {
    expect(expectProblem(await get('/v1/orders/B-2/certificate'), 404).type).toBe('urn:certflow:problem:order-not-found');
  });
});

describe('updates', () => {
  beforeEach(() => {
    orders.views.set('B-1', makeView('B-1', 'active'));
  });
  const proof = { fileType: '.pdf', fileContent: Buffer.from('%PDF-1.4 proof').toString('base64') };

  test('cancel passes the validated input and answers 200', async () => {
    const res = await post('/v1/orders/B-1/cancel', { reason: 'customer changed their mind' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ accepted: true, state: 'cancelled', message: 'cancel accepted' });
    expect(orders.callsOf('cancel')[0]?.args).toEqual(['B-1', { reason: 'customer changed their mind' }]);
  });

  test('reissue, revoke and retry answer 202', async () => {
    expect((await post('/v1/orders/B-1/reissue', { csr: CSR, reason: 'key compromise', requestId: 'r-1' })).statusCode).toBe(202);
    expect((await post('/v1/orders/B-1/revoke', { reason: 'key compromise', proof })).statusCode).toBe(202);
    expect((await post('/v1/orders/B-1/retry')).statusCode).toBe(202);
    expect(orders.calls.map((c) => c.method)).toEqual(['reissue', 'revoke', 'retryNow']);
  });

  test('a rejected update is a 409 problem carrying the workflow reason', async () => {
    orders.rejections.set('B-1', 'An order in state active cannot be cancelled; cancel is possible only before issuance.');
    const problem = expectProblem(await post('/v1/orders/B-1/cancel', { reason: 'no longer needed' }), 409);
    expect(problem).toMatchObject({
      type: 'urn:certflow:problem:update-rejected',
      detail: 'An order in state active cannot be cancelled; cancel is possible only before issuance.',
    });
  });

  test('an update to an unknown order is a 404', async () => {
    expectProblem(await post('/v1/orders/B-9/retry'), 404);
  });

  test('invalid update bodies name their fields and reach no workflow', async () => {
    const r1 = expectProblem(await post('/v1/orders/B-1/revoke', { reason: '' }), 400);
    expect((r1.errors as { path: string }[]).map((e) => e.path)).toEqual(expect.arrayContaining(['body.reason', 'body.proof']));
    const r2 = expectProblem(await post('/v1/orders/B-1/reissue', { csr: 'nope', reason: 'x', requestId: 'has space' }), 400);
    expect((r2.errors as { path: string }[]).map((e) => e.path)).toEqual(expect.arrayContaining(['body.csr', 'body.requestId']));
    expect(orders.calls).toHaveLength(0);
  });
});

describe('everything else', () => {
  test('unknown routes are 404 problems', async () => {
    const problem = expectProblem(await app.inject({ method: 'GET', url: '/v2/orders?x=1' }), 404);
    expect(problem).toMatchObject({ type: 'urn:certflow:problem:not-found', instance: '/v2/orders' });
  });

  test('a wrong method on a known path is a problem too', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/v1/orders/B-1', headers: AUTH });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  test('healthz is always up; readyz follows Temporal', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    await app.close();
    let up = false;
    ({ app, orders } = await buildTestApi({ ready: async () => up }));
    expectProblem(await app.inject({ url: '/readyz' }), 503);
    up = true;
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
  });

  test('a readiness probe that throws is a 503, not a 500', async () => {
    await app.close();
    ({ app, orders } = await buildTestApi({ ready: () => Promise.reject(new Error('UNAVAILABLE')) }));
    expectProblem(await app.inject({ url: '/readyz' }), 503);
  });

  test('every answer carries a request id; a sane given one is echoed', async () => {
    const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers['x-request-id']).toBe('trace-123');
    expect((await app.inject({ url: '/healthz' })).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
