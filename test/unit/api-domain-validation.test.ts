/**
 * Switching names' validation methods (`POST /v1/orders/{id}/domain-validation`) and
 * per-name reissues, through the real order service behind the real API with a stand-in
 * Temporal client, for the reseller platform's products of the dev products file — so the
 * platform's own rules (its descriptor's `domainValidationIssues`) and the dropped-name
 * confirmation run as they do in production. The switch builds the full name → method map
 * from the order's view and asks for one reissue with it; every refusal is a 400 naming the
 * field, and nothing reaches the workflow.
 */
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { createHmacPushVerifier } from '../../src/ca/wotrus/push';
import { parseConfig } from '../../src/config';
import type { DomainStatus } from '../../src/domain/order-view';
import { switchedMethods } from '../../src/orders/domain-switch';
import { createOrderService } from '../../src/orders/order-service';
import { loadProductCatalogFromConfig } from '../../src/products-file';
import { API_KEYS_ENV, AUTH, buildTestApi, makeView, PUSH_SECRET } from './api-support';

/** The reseller platform's DV and OV products, and a WoTrus one, as the dev products file lists them. */
const RESELLER_DV = 'ACA91000-0004-4D5A-9C00-000000000001';
const RESELLER_OV = 'ACA91000-0004-4D5A-9C00-000000000002';
const WOTRUS_DV = '30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D';
const products = loadProductCatalogFromConfig({ CERTFLOW_ENV: 'development' });

const pending = (domain: string, method: DomainStatus['method'], more: Partial<DomainStatus> = {}): DomainStatus => ({ domain, method, state: 'pending', ...more });

/** A reseller order for example.com, its wildcard and www, each validated its own way. */
const resellerView = (productId = RESELLER_DV, domains: DomainStatus[] | null = [
  pending('example.com', 'http', { file: { url: 'http://example.com/.well-known/pki-validation/a.txt', path: '/.well-known/pki-validation/a.txt', content: 'abc' } }),
  pending('*.example.com', 'dns', { dns: { name: '_dnsauth.example.com', type: 'CNAME', value: 'x.dcv.example.net' } }),
  { domain: 'www.example.com', method: 'email', state: 'valid', email: { address: 'admin@example.com', alternatives: ['admin@example.com', 'webmaster@example.com'] } },
]) => makeView('B-1', 'active', {
  productId,
  commonName: 'example.com',
  hosts: ['example.com', '*.example.com', 'www.example.com'],
  ca: { orderId: 'svc-1001', issuer: 'reseller', checks: 1, ...(domains ? { domains } : {}) },
});

let app: FastifyInstance;
let executeUpdate: jest.Mock;
let queryView: jest.Mock;
let status: string;
let view: ReturnType<typeof resellerView>;

beforeEach(async () => {
  status = 'RUNNING';
  view = resellerView();
  executeUpdate = jest.fn(async () => ({ accepted: true, state: 'active', message: 'Reissue r-1 started.' }));
  queryView = jest.fn(async () => view);
  const client = {
    options: { namespace: 'default' },
    withDeadline: (_d: number, fn: () => Promise<unknown>) => fn(),
    workflow: {
      start: jest.fn(),
      getHandle: jest.fn(() => ({ describe: async () => ({ status: { name: status }, typedSearchAttributes: { get: () => 'active' } }), query: queryView, executeUpdate })),
    },
    workflowService: {},
  };
  const orders = createOrderService({ client: client as unknown as Client, taskQueue: 'q', products, publicBaseUrl: 'https://certs.example.com' });
  app = await buildApi({ config: parseConfig({ API_KEYS: API_KEYS_ENV }), orders, pushVerifier: createHmacPushVerifier(PUSH_SECRET) });
});
afterEach(() => app.close());

type Answer = { status: number; body: { errors?: { path: string; rule: string }[]; detail?: string; accepted?: boolean } };
const post = async (path: string, payload: Record<string, unknown>): Promise<Answer> => {
  const res = await app.inject({ method: 'POST', url: `/v1/orders/B-1/${path}`, headers: AUTH, payload });
  return { status: res.statusCode, body: res.json() };
};
const switchMethods = (methods: Record<string, string>, more: Record<string, unknown> = {}) => post('domain-validation', { requestId: 'r-1', methods, ...more });
const reissued = (): Record<string, unknown>[] => executeUpdate.mock.calls.map((c) => (c as unknown as [unknown, { args: [Record<string, unknown>] }])[1].args[0]);

describe('POST /v1/orders/{id}/domain-validation: the switch is a reissue with every name', () => {
  test('builds the full map — each other name keeps its method (e-mail: its approver address) — and asks for one reissue without a CSR', async () => {
    const r = await switchMethods({ 'example.com': 'dns' });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: true });
    expect(reissued()).toEqual([{
      requestId: 'r-1',
      reason: 'switch validation method',
      domainValidation: { 'example.com': 'dns', '*.example.com': 'dns', 'www.example.com': 'admin@example.com' },
    }]);
  });

  test('names match without regard to case or a trailing dot, in the order\'s spelling; reason, renew and the OV product pass through', async () => {
    view = resellerView(RESELLER_OV);
    const r = await switchMethods({ 'WWW.Example.com.': 'HTTPS', '*.example.com': 'Webmaster@Example.com' }, { reason: 'customer has no DNS access', renew: true });
    expect(r.status).toBe(202);
    expect(reissued()).toEqual([{
      requestId: 'r-1',
      reason: 'customer has no DNS access',
      renew: true,
      domainValidation: { 'example.com': 'http', '*.example.com': 'webmaster@example.com', 'www.example.com': 'https' },
    }]);
  });

  test('a name the CA has not reported yet keeps dns (as at the create)', async () => {
    view = resellerView(RESELLER_DV, null);
    expect((await switchMethods({ 'www.example.com': 'http' })).status).toBe(202);
    expect(reissued()[0]?.domainValidation).toEqual({ 'example.com': 'dns', '*.example.com': 'dns', 'www.example.com': 'http' });
  });

  test('the same requestId twice is the same reissue: the same input, which the workflow answers once', async () => {
    await switchMethods({ 'example.com': 'https' });
    await switchMethods({ 'example.com': 'https' });
    const [first, second] = reissued();
    expect(second).toEqual(first);
    expect(first).toMatchObject({ requestId: 'r-1' });
  });

  test('a name that is not the order\'s is a 400 naming body.methods.<name>; nothing reaches the workflow', async () => {
    const r = await switchMethods({ 'shop.example.org': 'dns', 'example.com': 'dns' });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'body.methods.shop.example.org', rule: expect.stringContaining('is not a name of this order (its names: example.com, *.example.com, www.example.com)') }]);
    expect(executeUpdate).not.toHaveBeenCalled();
  });

  test('the same name twice (in two spellings) is a 400 naming the second', async () => {
    const r = await switchMethods({ 'example.com': 'dns', 'EXAMPLE.com': 'http' });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'body.methods.EXAMPLE.com', rule: expect.stringContaining('names the same domain as example.com') }]);
    expect(executeUpdate).not.toHaveBeenCalled();
  });

  test('MUST SHOW: a wildcard switched to http is refused by the platform\'s rules with a 400 naming body.domainValidation.*.example.com', async () => {
    const r = await switchMethods({ '*.example.com': 'http' });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'body.domainValidation.*.example.com', rule: expect.stringContaining('a wildcard takes only dns or an approver e-mail address') }]);
    expect(executeUpdate).not.toHaveBeenCalled();
  });

  test('an approver address the platform does not accept is a 400 naming the name under body.domainValidation', async () => {
    const r = await switchMethods({ 'www.example.com': 'owner@example.com' });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'body.domainValidation.www.example.com', rule: expect.stringContaining('owner@ is not an approver mailbox') }]);
  });

  test('a name validated by e-mail whose approver address the CA did not report must be given (never silently dns)', async () => {
    view = resellerView(RESELLER_DV, [pending('example.com', 'dns'), pending('www.example.com', 'email')]);
    const r = await switchMethods({ 'example.com': 'http' });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'body.methods.www.example.com', rule: expect.stringContaining('must be given') }]);
    expect((await switchMethods({ 'example.com': 'http', 'www.example.com': 'postmaster@example.com' })).status).toBe(202);
  });

  test('a switch drops no name: confirmDroppedDomains must be absent or empty', async () => {
    const r = await switchMethods({ 'example.com': 'dns' }, { confirmDroppedDomains: ['www.example.com'] });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'body.confirmDroppedDomains', rule: expect.stringContaining('drops no name') }]);
  });

  test('an order whose CA does not validate per name is a 400 naming body.methods', async () => {
    view = { ...resellerView(), productId: WOTRUS_DV, ca: { orderId: 'CA-1', checks: 1 } };
    const r = await switchMethods({ 'example.com': 'http' });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'body.methods', rule: expect.stringContaining('lacks the capability "domainValidation"') }]);
    expect(executeUpdate).not.toHaveBeenCalled();
  });

  test('the workflow refusing the reissue (not active, another in progress) is a 409 with its sentence', async () => {
    executeUpdate.mockRejectedValueOnce(new WorkflowUpdateFailedError('failed', ApplicationFailure.create({ type: 'UpdateRejected', message: 'Another reissue or revocation is in progress.' })));
    const r = await switchMethods({ 'example.com': 'dns' });
    expect(r.status).toBe(409);
    expect(r.body.detail).toBe('Another reissue or revocation is in progress.');
  });

  test('an ended order is a 409 and is not queried', async () => {
    status = 'COMPLETED';
    const r = await switchMethods({ 'example.com': 'dns' });
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/The order has ended/);
    expect(queryView).not.toHaveBeenCalled();
    expect(executeUpdate).not.toHaveBeenCalled();
  });

  test.each([
    ['no methods', 'body.methods', { requestId: 'r-1', methods: {} }],
    ['a method that is none', 'body.methods.example.com', { requestId: 'r-1', methods: { 'example.com': 'ftp' } }],
    ['no requestId', 'body.requestId', { methods: { 'example.com': 'dns' } }],
    ['an unknown field', 'body.csr', { requestId: 'r-1', methods: { 'example.com': 'dns' }, csr: 'x' }],
  ])('the body is strict: %s is a 400 naming %s', async (_what, path, payload) => {
    const res = await app.inject({ method: 'POST', url: '/v1/orders/B-1/domain-validation', headers: AUTH, payload });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(path);
    expect(queryView).not.toHaveBeenCalled();
  });

  test('needs the API key', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/orders/B-1/domain-validation', payload: { requestId: 'r-1', methods: { 'example.com': 'dns' } } });
    expect(res.statusCode).toBe(401);
  });
});

describe('POST /v1/orders/{id}/reissue with domainValidation (reseller products)', () => {
  test('without a CSR and with every name, it goes to the workflow as given', async () => {
    const domainValidation = { 'example.com': 'dns', '*.example.com': 'dns', 'www.example.com': 'https' };
    const r = await post('reissue', { requestId: 'r-2', reason: 'methods', domainValidation });
    expect(r.status).toBe(202);
    expect(reissued()).toEqual([{ requestId: 'r-2', reason: 'methods', domainValidation }]);
  });

  test('dropping a name without confirmDroppedDomains is a 400 naming body.confirmDroppedDomains (the CA would revoke the current certificate)', async () => {
    const r = await post('reissue', { requestId: 'r-3', reason: 'fewer names', domainValidation: { 'example.com': 'dns', '*.example.com': 'dns' } });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'body.confirmDroppedDomains', rule: expect.stringContaining('must list exactly the names this reissue drops (www.example.com)') }]);
    expect(executeUpdate).not.toHaveBeenCalled();
  });

  test('with the dropped name confirmed, it goes to the workflow', async () => {
    const r = await post('reissue', { requestId: 'r-4', reason: 'fewer names', domainValidation: { 'example.com': 'dns', '*.example.com': 'dns' }, confirmDroppedDomains: ['WWW.example.com'] });
    expect(r.status).toBe(202);
    expect(executeUpdate).toHaveBeenCalledTimes(1);
  });

  test('a wildcard by http is a 400 naming body.domainValidation.*.example.com here too', async () => {
    const r = await post('reissue', { requestId: 'r-5', reason: 'methods', domainValidation: { 'example.com': 'dns', '*.example.com': 'http', 'www.example.com': 'dns' } });
    expect(r.status).toBe(400);
    expect(r.body.errors?.map((e) => e.path)).toEqual(['body.domainValidation.*.example.com']);
  });
});

describe('the route over the order service interface (fake)', () => {
  test('hands the body to switchDomainValidation and answers 202 with the update answer; a refusal is a 409', async () => {
    const { app: fakeApp, orders } = await buildTestApi();
    try {
      orders.views.set('B-9', makeView('B-9', 'active'));
      const body = { requestId: 'r-1', methods: { 'shop.example.com': 'http' } };
      const ok = await fakeApp.inject({ method: 'POST', url: '/v1/orders/B-9/domain-validation', headers: AUTH, payload: body });
      expect(ok.statusCode).toBe(202);
      expect(ok.json()).toEqual({ accepted: true, state: 'active', message: 'switchDomainValidation accepted' });
      expect(orders.callsOf('switchDomainValidation')).toEqual([{ method: 'switchDomainValidation', args: ['B-9', body] }]);
      orders.rejections.set('B-9', 'An order in state awaitingValidation cannot be reissued; reissue is possible only for an active certificate.');
      expect((await fakeApp.inject({ method: 'POST', url: '/v1/orders/B-9/domain-validation', headers: AUTH, payload: body })).statusCode).toBe(409);
    } finally {
      await fakeApp.close();
    }
  });
});

test('switchedMethods: the order\'s names once each, in its spelling', () => {
  const { domainValidation, issues } = switchedMethods({ commonName: 'Example.com', hosts: ['example.com', 'www.example.com'], ca: { checks: 0 } }, { 'www.example.com': 'http' });
  expect(issues).toEqual([]);
  expect(domainValidation).toEqual({ 'Example.com': 'dns', 'www.example.com': 'http' });
});
