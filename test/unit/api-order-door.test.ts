/**
 * The order at the door: the real order service behind the real API, with a stand-in
 * Temporal client. An order that does not fit its product (a CSR that does not cover its
 * hosts, fails its self-signature or has a weak key; fields its product kind does not take)
 * is a 400 naming the field and the rule, and no workflow is started, so nothing reaches the CA.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { createHmacPushVerifier } from '../../src/ca/wotrus/push';
import { parseConfig } from '../../src/config';
import { createProductCatalog } from '../../src/domain/products';
import { covers } from '../../src/lib/csr-check';
import { createOrderService } from '../../src/orders/order-service';
import { testCsr } from '../support/csr';
import { API_KEYS_ENV, AUTH, PUSH_SECRET, validOrder } from './api-support';

const DV = '30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D';
const OV = 'F6E8DB8D-C5F7-4BE9-8750-B6537CCF1B96';
const SM2 = '13CBA8EE-2D09-4953-871B-C90531BB64A5';
const PDF = '2C17C336-A772-42F8-B3DD-4F2591A5B116';
const products = createProductCatalog([
  { id: DV, name: 'DV', kind: 'dv', issuer: 'wotrus', caRevokesReplaced: false },
  { id: OV, name: 'OV', kind: 'ov', issuer: 'wotrus', caRevokesReplaced: false },
  { id: SM2, name: 'SM2', kind: 'sm2', issuer: 'wotrus', caRevokesReplaced: true },
  { id: PDF, name: 'Organisation document signing', kind: 'pdf', issuer: 'wotrus', caRevokesReplaced: false },
]);

let app: FastifyInstance;
let start: jest.Mock;

beforeEach(async () => {
  start = jest.fn(async () => ({ firstExecutionRunId: 'run-1' }));
  const client = { options: { namespace: 'default' }, withDeadline: (_d: number, fn: () => Promise<unknown>) => fn(), workflow: { start, getHandle: jest.fn() }, workflowService: {} };
  const orders = createOrderService({ client: client as unknown as Client, taskQueue: 'q', products, publicBaseUrl: 'https://certs.example.com' });
  app = await buildApi({ config: parseConfig({ API_KEYS: API_KEYS_ENV }), orders, pushVerifier: createHmacPushVerifier(PUSH_SECRET) });
});
afterEach(() => app.close());

async function place(body: Record<string, unknown>): Promise<{ status: number; errors: { path: string; rule: string }[] }> {
  const res = await app.inject({ method: 'POST', url: '/v1/orders', headers: AUTH, payload: body });
  return { status: res.statusCode, errors: (res.json() as { errors?: { path: string; rule: string }[] }).errors ?? [] };
}

const HOSTS = { commonName: 'shop.example.com', hosts: ['shop.example.com', 'www.shop.example.com'] };
const ssl = (overrides: Record<string, unknown> = {}) => ({ ...validOrder(), productId: DV, ...overrides }) as Record<string, unknown>;
const documentOrder = (overrides: Record<string, unknown> = {}) => {
  const { hosts: _hosts, ...rest } = validOrder();
  return {
    ...rest,
    productId: PDF,
    commonName: 'Example Ltd',
    csr: testCsr({ commonName: 'Example Ltd' }),
    organization: { orgName: 'Example Ltd', countryCode: 'CN' },
    uKeyPassword: 'uk-Pa55-7731',
    uKeyShipAddress: '88 Jianguo Road, Beijing',
    ...overrides,
  } as Record<string, unknown>;
};

describe('the CSR at the door (SSL products)', () => {
  test('a CSR covering the common name and every host is accepted and starts the order', async () => {
    expect((await place(ssl())).status).toBe(202);
    expect(start).toHaveBeenCalledTimes(1);
  });

  test('a CSR that does not cover a host is a 400 naming body.csr and the missing host; no workflow starts', async () => {
    const csr = testCsr({ commonName: 'shop.example.com', dnsNames: ['shop.example.com'] });
    const { status, errors } = await place(ssl({ ...HOSTS, csr }));
    expect(status).toBe(400);
    expect(errors).toEqual([{ path: 'body.csr', rule: expect.stringMatching(/does not cover www\.shop\.example\.com \(it names shop\.example\.com, shop\.example\.com\)$/) }]);
    expect(start).not.toHaveBeenCalled();
  });

  test('a CSR for another name altogether is refused (the common name is checked too)', async () => {
    const { status, errors } = await place(ssl({ commonName: 'shop.example.com', hosts: undefined, csr: testCsr({ commonName: 'other.example.net' }) }));
    expect(status).toBe(400);
    expect(errors[0]).toEqual({ path: 'body.csr', rule: expect.stringContaining('does not cover shop.example.com') });
    expect(start).not.toHaveBeenCalled();
  });

  test('a wildcard in the CSR covers one label in its place, not the bare domain', async () => {
    const csr = testCsr({ commonName: '*.example.com', dnsNames: ['*.example.com'] });
    expect((await place(ssl({ billingOrderId: 'B-W1', commonName: 'shop.example.com', hosts: ['www.example.com'], csr }))).status).toBe(202);
    const bare = await place(ssl({ billingOrderId: 'B-W2', commonName: 'shop.example.com', hosts: ['example.com'], csr }));
    expect(bare.errors).toEqual([{ path: 'body.csr', rule: expect.stringContaining('does not cover example.com') }]);
    expect(start).toHaveBeenCalledTimes(1);
  });

  test.each([
    ['a broken self-signature', { badSignature: true }, /self-signature does not verify/],
    ['an RSA key under 2048 bits', { keyType: 'rsa', rsaBits: 1024 }, /this RSA key has 1024 bits/],
    ['an EC key off P-256/P-384', { curve: 'secp256k1' }, /this EC key is on secp256k1/],
    ['an SM2 key on a non-SM2 product', { keyType: 'sm2' }, /an SM2 key is only for SM2 products/],
  ] as const)('%s is refused with its rule', async (_what, opts, rule) => {
    const { status, errors } = await place(ssl({ csr: testCsr({ commonName: 'shop.example.com', dnsNames: HOSTS.hosts, ...opts }) }));
    expect(status).toBe(400);
    expect(errors).toEqual([{ path: 'body.csr', rule: expect.stringMatching(rule) }]);
    expect(start).not.toHaveBeenCalled();
  });

  test('uKey fields are refused for SSL products', async () => {
    const { status, errors } = await place(ssl({ uKeyPassword: 'x-secret-1', uKeyShipAddress: 'somewhere' }));
    expect(status).toBe(400);
    expect(errors.map((e) => e.path)).toEqual(['body.uKeyPassword', 'body.uKeyShipAddress']);
    expect(errors[0]!.rule).toMatch(/only for document-signing products .*kind dv/);
    expect(start).not.toHaveBeenCalled();
  });
});

describe('document-signing products', () => {
  test('an organisation order with uKey fields is accepted; its CSR is not matched against DNS names', async () => {
    expect((await place(documentOrder())).status).toBe(202);
    const input = (start.mock.calls[0] as unknown as [unknown, { args: [{ order: Record<string, unknown>; policy: { expectDnsNames: boolean } }] }])[1].args[0];
    expect(input.order).toMatchObject({ uKeyPassword: 'uk-Pa55-7731', uKeyShipAddress: '88 Jianguo Road, Beijing' });
    expect(input.policy.expectDnsNames).toBe(false);
  });

  test('without an organisation, with hosts, or with SM2 fields it is refused, each field named', async () => {
    const { organization: _org, ...noOrg } = documentOrder();
    const { status, errors } = await place({ ...noOrg, hosts: ['www.example.com'], csrEncrypt: testCsr({ commonName: 'Example Ltd' }) });
    expect(status).toBe(400);
    expect(errors.map((e) => e.path)).toEqual(['body.organization.orgName', 'body.hosts', 'body.csrEncrypt']);
    expect(start).not.toHaveBeenCalled();
  });

  test('its CSR is still checked for signature and key strength', async () => {
    const { errors } = await place(documentOrder({ csr: testCsr({ commonName: 'Example Ltd', keyType: 'rsa', rsaBits: 1024 }) }));
    expect(errors).toEqual([{ path: 'body.csr', rule: expect.stringContaining('1024 bits') }]);
  });
});

describe('SM2 products', () => {
  const sm2Hosts = { commonName: 'gm.example.com', hosts: undefined };
  const sm2Csr = (o: { keyType?: 'sm2' | 'ec' | 'rsa'; name?: string } = {}) => testCsr({ commonName: o.name ?? 'gm.example.com', dnsNames: [o.name ?? 'gm.example.com'], keyType: o.keyType ?? 'sm2' });

  test('an SM2 signing CSR, an encryption CSR and a bound RSA product with its CSR are accepted', async () => {
    const body = ssl({ ...sm2Hosts, productId: SM2, csr: sm2Csr(), csrEncrypt: sm2Csr(), bindRsaProductId: OV.toLowerCase(), csrRsa: sm2Csr({ keyType: 'rsa' }) });
    expect((await place(body)).status).toBe(202);
    const input = (start.mock.calls[0] as unknown as [unknown, { args: [{ order: Record<string, unknown> }] }])[1].args[0];
    expect(input.order.bindRsaProductId).toBe(OV);
  });

  test('SM2 fields on an RSA product are refused', async () => {
    const { errors } = await place(ssl({ csrEncrypt: sm2Csr(), bindRsaProductId: OV, csrRsa: sm2Csr({ keyType: 'rsa' }) }));
    expect(errors.map((e) => e.path)).toEqual(['body.csrEncrypt', 'body.bindRsaProductId', 'body.csrRsa']);
    expect(start).not.toHaveBeenCalled();
  });

  test('the bound product must be an RSA SSL product of the catalog', async () => {
    for (const [bind, why] of [[SM2, 'is kind sm2'], [PDF, 'is kind pdf'], ['11111111-2222-3333-4444-555555555555', 'not in the products file']]) {
      const { status, errors } = await place(ssl({ ...sm2Hosts, productId: SM2, csr: sm2Csr(), bindRsaProductId: bind, csrRsa: sm2Csr({ keyType: 'rsa' }) }));
      expect(status).toBe(400);
      expect(errors).toEqual([{ path: 'body.bindRsaProductId', rule: expect.stringContaining(why!) }]);
    }
    expect(start).not.toHaveBeenCalled();
  });

  test('the RSA CSR must not be SM2, must cover the hosts, and needs an SM2 csr to go with', async () => {
    const sm2AsRsa = await place(ssl({ ...sm2Hosts, productId: SM2, csr: sm2Csr(), bindRsaProductId: OV, csrRsa: sm2Csr() }));
    expect(sm2AsRsa.errors).toEqual([{ path: 'body.csrRsa', rule: expect.stringContaining('an SM2 key is only for SM2 products') }]);
    const elsewhere = await place(ssl({ ...sm2Hosts, productId: SM2, csr: sm2Csr(), bindRsaProductId: OV, csrRsa: sm2Csr({ keyType: 'rsa', name: 'other.example.com' }) }));
    expect(elsewhere.errors).toEqual([{ path: 'body.csrRsa', rule: expect.stringContaining('does not cover gm.example.com') }]);
    const twoRsa = await place(ssl({ ...sm2Hosts, productId: SM2, csr: sm2Csr({ keyType: 'ec' }), bindRsaProductId: OV, csrRsa: sm2Csr({ keyType: 'rsa' }) }));
    expect(twoRsa.errors).toEqual([{ path: 'body.csrRsa', rule: expect.stringContaining('only taken with an SM2 signing CSR') }]);
    expect(start).not.toHaveBeenCalled();
  });

  test('bindRsaProductId and csrRsa come together (schema rule)', async () => {
    const { status, errors } = await place(ssl({ ...sm2Hosts, productId: SM2, csr: sm2Csr(), bindRsaProductId: OV }));
    expect(status).toBe(400);
    expect(errors).toEqual([{ path: 'body.csrRsa', rule: expect.stringContaining('required when bindRsaProductId') }]);
  });
});

test('covers: exact names case-insensitively, a wildcard one label deep, a wildcard host only by the same wildcard', () => {
  expect(covers('WWW.Example.com', 'www.example.com.')).toBe(true);
  expect(covers('*.example.com', 'www.example.com')).toBe(true);
  expect(covers('*.example.com', 'example.com')).toBe(false);
  expect(covers('*.example.com', 'a.b.example.com')).toBe(false);
  expect(covers('*.example.com', '*.example.com')).toBe(true);
  expect(covers('www.example.com', '*.example.com')).toBe(false);
  expect(covers('*.example.com', 'wwwexample.com')).toBe(false);
});

describe('a reissue\'s CSR at the door: held to the order\'s names, before the workflow (and the CA) see it', () => {
  const executeUpdate = jest.fn(async () => ({ accepted: true, state: 'reissuing', message: 'Reissuing.' }));
  const view = { billingOrderId: 'B-1', productId: DV, commonName: 'shop.example.com', hosts: ['shop.example.com', 'www.shop.example.com'] };
  const queryView = jest.fn(async () => view);
  let status = 'RUNNING';
  beforeEach(async () => {
    executeUpdate.mockClear();
    queryView.mockClear();
    status = 'RUNNING';
    const client = {
      options: { namespace: 'default' },
      withDeadline: (_d: number, fn: () => Promise<unknown>) => fn(),
      workflow: { start, getHandle: jest.fn(() => ({ describe: async () => ({ status: { name: status } }), query: queryView, executeUpdate })) },
      workflowService: {},
    };
    const orders = createOrderService({ client: client as unknown as Client, taskQueue: 'q', products, publicBaseUrl: 'https://certs.example.com' });
    await app.close();
    app = await buildApi({ config: parseConfig({ API_KEYS: API_KEYS_ENV }), orders, pushVerifier: createHmacPushVerifier(PUSH_SECRET) });
  });
  const reissue = async (body: Record<string, unknown>) => {
    const res = await app.inject({ method: 'POST', url: '/v1/orders/B-1/reissue', headers: AUTH, payload: { reason: 'key rotation', requestId: 'r1', ...body } });
    return { status: res.statusCode, errors: (res.json() as { errors?: { path: string; rule: string }[] }).errors ?? [] };
  };

  test('a CSR covering the order\'s names goes to the workflow', async () => {
    const { status } = await reissue({ csr: testCsr({ commonName: 'shop.example.com', dnsNames: ['shop.example.com', 'www.shop.example.com'] }) });
    expect(status).toBe(202);
    expect(executeUpdate).toHaveBeenCalledTimes(1);
  });

  test('a CSR missing one of the order\'s hosts is a 400 naming body.csr; the workflow is not asked', async () => {
    const { status, errors } = await reissue({ csr: testCsr({ commonName: 'shop.example.com', dnsNames: ['shop.example.com'] }) });
    expect(status).toBe(400);
    expect(errors).toEqual([{ path: 'body.csr', rule: expect.stringContaining('does not cover www.shop.example.com') }]);
    expect(executeUpdate).not.toHaveBeenCalled();
  });

  test('an encryption CSR for a product that is not SM2 is a 400 naming body.csrEncrypt', async () => {
    const csr = testCsr({ commonName: 'shop.example.com', dnsNames: ['shop.example.com', 'www.shop.example.com'] });
    const { status, errors } = await reissue({ csr, csrEncrypt: csr });
    expect(status).toBe(400);
    expect(errors.map((e) => e.path)).toEqual(['body.csrEncrypt']);
    expect(executeUpdate).not.toHaveBeenCalled();
  });

  test('an ended order is not queried (that would replay its whole history): the update answers for it', async () => {
    status = 'COMPLETED';
    await reissue({ csr: testCsr({ commonName: 'other.example.net' }) });
    expect(queryView).not.toHaveBeenCalled();
    expect(executeUpdate).toHaveBeenCalledTimes(1);
  });
});
