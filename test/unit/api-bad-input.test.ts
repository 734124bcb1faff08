/**
 * A generated corpus of bad input for every endpoint that takes input. Each case breaks one
 * thing in a valid request and names the field it broke; the API must answer a 4xx problem
 * document naming that field, never a 5xx, and must not have reached a workflow.
 */
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { PUSH_SIGNATURE_HEADER, signPushBody } from '../../src/ca/wotrus/push';
import { billingOrderIdSchema, csrPemSchema, productIdSchema } from '../../src/domain/order';
import { listOrdersQuerySchema } from '../../src/orders/schemas';
import { reissueInputSchema } from '../../src/workflows/message-schemas';
import { AUTH, buildTestApi, CSR, type FakeOrderService, makeView, PUSH_SECRET, validOrder } from './api-support';

let app: FastifyInstance;
let orders: FakeOrderService;
let cases = 0;

beforeAll(async () => {
  ({ app, orders } = await buildTestApi());
  orders.views.set('B-1', makeView('B-1', 'active'));
  orders.caOrders.set('CA-1', ['order-B-1']);
});
afterAll(async () => {
  await app.close();
  // The brief: at least 200 generated invalid requests across the endpoints.
  expect(cases).toBeGreaterThanOrEqual(200);
});

/** What a generated case is: a request, and the field path the problem must name. */
interface BadCase {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
  headers?: Record<string, string>;
  path: string;
}

const WORKFLOW_CALLS = ['placeOrder', 'cancel', 'reissue', 'revoke', 'retryNow', 'signalPush', 'findByCaOrderId'] as const;

async function expectRejected(c: BadCase): Promise<void> {
  cases++;
  const before = orders.calls.length;
  const res = await app.inject({
    method: c.method,
    url: c.url,
    headers: { ...AUTH, ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}), ...c.headers },
    payload: c.body,
  });
  const context = `${c.method} ${c.url} ${c.body?.slice(0, 300) ?? ''} → ${res.statusCode} ${res.body.slice(0, 500)}`;
  expect({ context, status: res.statusCode >= 400 && res.statusCode < 500 }).toEqual({ context, status: true });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = res.json<{ status: number; type: string; title: string; errors?: { path: string; rule: string }[] }>();
  expect(problem.status).toBe(res.statusCode);
  expect(typeof problem.type).toBe('string');
  expect(typeof problem.title).toBe('string');
  const paths = (problem.errors ?? []).map((e) => e.path);
  const named = paths.some((p) => p === c.path || p.startsWith(`${c.path}.`));
  expect({ context, expected: c.path, named }).toEqual({ context, expected: c.path, named: true });
  const reached = orders.calls.slice(before).filter((call) => (WORKFLOW_CALLS as readonly string[]).includes(call.method));
  expect(reached).toEqual([]);
}

// ---------------------------------------------------------------- generators of bad values

/** Any JSON value whose type is not the given one. */
const notA = (kind: 'string' | 'number' | 'array' | 'object' | 'boolean'): fc.Arbitrary<unknown> =>
  fc
    .oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }))
    .filter((v) => {
      if (kind === 'array') return !Array.isArray(v);
      if (kind === 'object') return v === null || typeof v !== 'object' || Array.isArray(v);
      return typeof v !== kind;
    });

/** Strings a schema refuses. */
const refusedBy = (schema: { safeParse(v: unknown): { success: boolean } }, arb: fc.Arbitrary<string> = fc.string({ maxLength: 80 })): fc.Arbitrary<string> =>
  arb.filter((s) => !schema.safeParse(s).success);

const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/);
const oversized = (max: number) => fc.integer({ min: max + 1, max: max + 2000 }).map((n) => 'a'.repeat(n));
const badCountry = fc.oneof(fc.string({ maxLength: 5 }), fc.stringMatching(/^[a-z]{2}$/), fc.stringMatching(/^[A-Z]{3,4}$/)).filter((s) => !/^[A-Z]{2}$/.test(s));
const badMonth = fc.oneof(fc.integer({ min: -1000, max: 1000 }).filter((n) => ![12, 13, 24, 25].includes(n)), fc.constantFrom('12', '24', 12.5, null, true, []));
const badCsr = fc.oneof(
  refusedBy(csrPemSchema),
  fc.constant('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'),
  fc.integer({ min: 16_385, max: 20_000 }).map((n) => `-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(n)}\n-----END CERTIFICATE REQUEST-----`),
);
const badEmail = refusedBy({ safeParse: (v: unknown) => ({ success: typeof v === 'string' && /^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$/.test(v) }) }).filter((s) => !s.includes('@'));

const KNOWN_ORDER_KEYS = new Set(Object.keys({ ...validOrder(), renewsBillingOrderId: 1, documents: 1 }));

/** A valid order with one thing broken, and the path of that thing. */
const badOrder: fc.Arbitrary<{ body: unknown; path: string }> = fc.oneof(
  // a required field missing
  fc.constantFrom('billingOrderId', 'productId', 'commonName', 'csr', 'month').map((k) => {
    const o: Record<string, unknown> = { ...validOrder() };
    delete o[k];
    return { body: o, path: `body.${k}` };
  }),
  // a field of the wrong type
  fc
    .constantFrom(
      ['billingOrderId', 'string'],
      ['productId', 'string'],
      ['commonName', 'string'],
      ['csr', 'string'],
      ['hosts', 'array'],
      ['organization', 'object'],
      ['contact', 'object'],
      ['documents', 'array'],
      ['renewsBillingOrderId', 'string'],
    )
    .chain(([k, kind]) => notA(kind as 'string').map((v) => ({ body: { ...validOrder(), [k]: v }, path: `body.${k}` }))),
  // an unknown field, top level or nested
  identifier.filter((k) => !KNOWN_ORDER_KEYS.has(k)).map((k) => ({ body: { ...validOrder(), [k]: 1 }, path: `body.${k}` })),
  identifier
    .filter((k) => !['orgName', 'countryCode', 'businessCategory', 'orgPhone', 'orgEmail', 'userFirstName', 'userLastName', 'userEmail', 'userMobile', 'idCardNo', 'state', 'city', 'street', 'zip', 'businessLicense', 'otherName'].includes(k))
    .map((k) => ({ body: { ...validOrder(), organization: { orgName: 'X', countryCode: 'CN', [k]: 'y' } }, path: `body.organization.${k}` })),
  // bad values
  refusedBy(billingOrderIdSchema).map((v) => ({ body: { ...validOrder(), billingOrderId: v }, path: 'body.billingOrderId' })),
  refusedBy(productIdSchema).map((v) => ({ body: { ...validOrder(), productId: v }, path: 'body.productId' })),
  badCsr.map((v) => ({ body: { ...validOrder(), csr: v }, path: 'body.csr' })),
  badMonth.map((v) => ({ body: { ...validOrder(), month: v }, path: 'body.month' })),
  badCountry.map((v) => ({ body: { ...validOrder(), organization: { orgName: 'X', countryCode: v } }, path: 'body.organization.countryCode' })),
  badEmail.map((v) => ({ body: { ...validOrder(), contact: { email: v } }, path: 'body.contact.email' })),
  fc.string({ maxLength: 20 }).filter((s) => !s.includes('.')).map((h) => ({ body: { ...validOrder(), hosts: ['ok.example.com', h] }, path: 'body.hosts.1' })),
  fc.integer({ min: 101, max: 150 }).map((n) => ({ body: { ...validOrder(), hosts: Array.from({ length: n }, (_, i) => `h${i}.example.com`) }, path: 'body.hosts' })),
  // oversized strings
  oversized(200).map((v) => ({ body: { ...validOrder(), commonName: v }, path: 'body.commonName' })),
  oversized(200).map((v) => ({ body: { ...validOrder(), organization: { orgName: v, countryCode: 'CN' } }, path: 'body.organization.orgName' })),
  oversized(500).map((v) => ({ body: { ...validOrder(), organization: { orgName: 'X', countryCode: 'CN', street: v } }, path: 'body.organization.street' })),
  // empty strings where something is required
  fc.constant({ body: { ...validOrder(), commonName: '' }, path: 'body.commonName' }),
  // documents broken in each field
  fc.oneof(
    notA('number').map((v) => ({ body: { ...validOrder(), documents: [{ documentType: v, fileType: '.pdf', fileContent: 'QUJD' }] }, path: 'body.documents.0.documentType' })),
    fc.string({ maxLength: 6 }).filter((s) => !['.jpg', '.gif', '.pdf'].includes(s)).map((v) => ({ body: { ...validOrder(), documents: [{ documentType: 1, fileType: v, fileContent: 'QUJD' }] }, path: 'body.documents.0.fileType' })),
    fc.constantFrom('not base64!', '@@@@', 'QUJ').map((v) => ({ body: { ...validOrder(), documents: [{ documentType: 1, fileType: '.pdf', fileContent: v }] }, path: 'body.documents.0.fileContent' })),
  ),
  // renewal rules
  fc.constantFrom(13, 25).map((m) => ({ body: { ...validOrder(), month: m }, path: 'body.renewsBillingOrderId' })),
  fc.constantFrom(12, 24).map((m) => ({ body: { ...validOrder(), month: m, renewsBillingOrderId: 'B-0' }, path: 'body.month' })),
  // not an object at all
  fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer()), fc.boolean()).map((v) => ({ body: v, path: 'body' })),
);

const proof = { fileType: '.pdf', fileContent: 'JVBERi0xLjQ=' };
const validReissue = { csr: CSR, reason: 'key compromise', requestId: 'r-1' };

const badUpdate: fc.Arbitrary<{ action: string; body: unknown; path: string }> = fc.oneof(
  // cancel
  fc.constant({ action: 'cancel', body: {}, path: 'body.reason' }),
  fc.constant({ action: 'cancel', body: { reason: '' }, path: 'body.reason' }),
  oversized(500).map((v) => ({ action: 'cancel', body: { reason: v }, path: 'body.reason' })),
  notA('string').map((v) => ({ action: 'cancel', body: { reason: v }, path: 'body.reason' })),
  identifier.filter((k) => k !== 'reason').map((k) => ({ action: 'cancel', body: { reason: 'x', [k]: true }, path: `body.${k}` })),
  fc.oneof(fc.string(), fc.integer(), fc.array(fc.string())).map((v) => ({ action: 'cancel', body: v, path: 'body' })),
  // reissue
  badCsr.map((v) => ({ action: 'reissue', body: { ...validReissue, csr: v }, path: 'body.csr' })),
  refusedBy(reissueInputSchema.shape.requestId).map((v) => ({ action: 'reissue', body: { ...validReissue, requestId: v }, path: 'body.requestId' })),
  fc.constantFrom('csr', 'reason', 'requestId').map((k) => {
    const b: Record<string, unknown> = { ...validReissue };
    delete b[k];
    return { action: 'reissue', body: b, path: `body.${k}` };
  }),
  fc.string({ maxLength: 6 }).filter((s) => !['.jpg', '.gif', '.pdf'].includes(s)).map((v) => ({ action: 'reissue', body: { ...validReissue, proof: { ...proof, fileType: v } }, path: 'body.proof.fileType' })),
  identifier.filter((k) => !['csr', 'reason', 'requestId', 'proof'].includes(k)).map((k) => ({ action: 'reissue', body: { ...validReissue, [k]: 1 }, path: `body.${k}` })),
  // revoke
  fc.constant({ action: 'revoke', body: { reason: 'x' }, path: 'body.proof' }),
  notA('object').map((v) => ({ action: 'revoke', body: { reason: 'x', proof: v }, path: 'body.proof' })),
  fc.constantFrom('', 'abc', '!!!!', 'QQ').map((v) => ({ action: 'revoke', body: { reason: 'x', proof: { ...proof, fileContent: v } }, path: 'body.proof.fileContent' })),
  notA('string').map((v) => ({ action: 'revoke', body: { reason: v, proof }, path: 'body.reason' })),
  identifier.filter((k) => !['fileType', 'fileContent'].includes(k)).map((k) => ({ action: 'revoke', body: { reason: 'x', proof: { ...proof, [k]: 1 } }, path: `body.proof.${k}` })),
);

const badQuery: fc.Arbitrary<{ qs: string; path: string }> = fc.oneof(
  fc.string({ maxLength: 6 }).filter((v) => !listOrdersQuerySchema.safeParse({ pageSize: v }).success).map((v) => ({ qs: new URLSearchParams({ pageSize: v }).toString(), path: 'query.pageSize' })),
  fc.oneof(fc.integer({ min: -1000, max: 0 }), fc.integer({ min: 101, max: 100_000 })).map((n) => ({ qs: `pageSize=${n}`, path: 'query.pageSize' })),
  fc.string({ maxLength: 20 }).filter((v) => !listOrdersQuerySchema.safeParse({ status: v }).success).map((v) => ({ qs: new URLSearchParams({ status: v }).toString(), path: 'query.status' })),
  fc.string({ minLength: 1, maxLength: 30 }).filter((v) => /[^A-Za-z0-9_-]/.test(v)).map((v) => ({ qs: new URLSearchParams({ pageToken: v }).toString(), path: 'query.pageToken' })),
  fc.constantFrom('', '\u0001x', 'a'.repeat(254)).map((v) => ({ qs: new URLSearchParams({ commonName: v }).toString(), path: 'query.commonName' })),
  identifier.filter((k) => !['status', 'commonName', 'pageSize', 'pageToken'].includes(k)).map((k) => ({ qs: `${k}=1`, path: `query.${k}` })),
  fc.constant({ qs: 'status=active&status=failed', path: 'query.status' }),
);

const badParam = fc.oneof(
  refusedBy(billingOrderIdSchema, fc.string({ minLength: 1, maxLength: 80 })).filter((s) => !s.includes('/') && s !== '.' && s !== '..' && !s.includes('?') && !s.includes('#')),
  fc.integer({ min: 65, max: 200 }).map((n) => 'b'.repeat(n)),
);

const validPush = { dataAction: 'order', orderId: 'CA-1', isIssued: true, isRevoked: false };
const badPush: fc.Arbitrary<{ body: unknown; path: string }> = fc.oneof(
  fc.constant({ body: { dataAction: 'order', isIssued: true }, path: 'body.orderId' }),
  fc.constantFrom('', '   ').map((v) => ({ body: { ...validPush, orderId: v }, path: 'body.orderId' })),
  notA('string').map((v) => ({ body: { ...validPush, orderId: v }, path: 'body.orderId' })),
  fc.oneof(fc.string({ maxLength: 8 }).filter((s) => !['true', 'false'].includes(s.trim().toLowerCase())), fc.integer(), fc.array(fc.boolean(), { maxLength: 2 })).map((v) => ({ body: { ...validPush, isIssued: v }, path: 'body.isIssued' })),
  fc.constantFrom('maybe', 1, 0, {}).map((v) => ({ body: { ...validPush, isRevoked: v }, path: 'body.isRevoked' })),
  fc.constant({ body: { orderId: 'CA-1' }, path: 'body.dataAction' }),
  fc.oneof(fc.constant(''), fc.constant('  '), fc.integer(), fc.constant(null)).map((v) => ({ body: { ...validPush, dataAction: v }, path: 'body.dataAction' })),
  fc.oneof(fc.integer(), fc.array(fc.integer()), fc.string(), fc.constant(null)).map((v) => ({ body: v, path: 'body' })),
);

// ---------------------------------------------------------------- properties

const runs = { numRuns: 120 };

test('POST /v1/orders: every broken order is a 4xx naming the field, and no workflow starts', async () => {
  await fc.assert(
    fc.asyncProperty(badOrder, ({ body, path }) => expectRejected({ method: 'POST', url: '/v1/orders', body: JSON.stringify(body), path })),
    runs,
  );
});

test('POST /v1/orders/:id/{cancel,reissue,revoke}: every broken body is a 4xx naming the field', async () => {
  await fc.assert(
    fc.asyncProperty(badUpdate, ({ action, body, path }) => expectRejected({ method: 'POST', url: `/v1/orders/B-1/${action}`, body: JSON.stringify(body), path })),
    runs,
  );
});

test('GET /v1/orders: every bad query is a 4xx naming the parameter', async () => {
  await fc.assert(fc.asyncProperty(badQuery, ({ qs, path }) => expectRejected({ method: 'GET', url: `/v1/orders?${qs}`, path })), { numRuns: 60 });
});

test('every route with a billing order id refuses a bad one, naming params.billingOrderId', async () => {
  const routes: [BadCase['method'], string, unknown][] = [
    ['GET', '', undefined],
    ['GET', '/certificate', undefined],
    ['POST', '/cancel', { reason: 'x' }],
    ['POST', '/reissue', validReissue],
    ['POST', '/revoke', { reason: 'x', proof }],
    ['POST', '/retry', undefined],
  ];
  await fc.assert(
    fc.asyncProperty(badParam, fc.constantFrom(...routes), (id, [method, suffix, body]) =>
      expectRejected({ method, url: `/v1/orders/${encodeURIComponent(id)}${suffix}`, body: body === undefined ? undefined : JSON.stringify(body), path: 'params.billingOrderId' }),
    ),
    { numRuns: 40 },
  );
});

test('POST /v1/ca/wotrus/push: every signed but unreadable push is a 4xx naming the field, and nothing is signalled', async () => {
  await fc.assert(
    fc.asyncProperty(badPush, ({ body, path }) => {
      const raw = JSON.stringify(body);
      return expectRejected({ method: 'POST', url: '/v1/ca/wotrus/push', body: raw, headers: { [PUSH_SIGNATURE_HEADER]: signPushBody(PUSH_SECRET, raw) }, path });
    }),
    { numRuns: 60 },
  );
});
