import { randomBytes } from 'node:crypto';
/**
 * A generated corpus of bad input, sent over real HTTP to the whole stack (API, Temporal dev
 * server, worker, simulator). Each case breaks one thing in an otherwise valid request and
 * names the field it broke: the answer must be a 4xx `application/problem+json` naming that
 * field, never a 5xx; and nothing may reach Temporal or the CA — no workflow started for any
 * generated billing order id, no CA order created, no update or signal delivered to the one
 * live order the update and push cases aim at.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import fc from 'fast-check';
import { PUSH_SIGNATURE_HEADER, signPushBody } from '../../src/ca/wotrus/push';
import { billingOrderIdSchema, csrPemSchema, productIdSchema } from '../../src/domain/order';
import { orderWorkflowId } from '../../src/domain/workflow-ids';
import { listOrdersQuerySchema } from '../../src/orders/schemas';
import { SIM_PRODUCT_IDS } from '../../tools/simulators/wotrus/catalog';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import { reissueInputSchema } from '../../src/workflows/message-schemas';
import { eventually } from '../support/order-harness';
import { type Stack, startStack } from '../support/stack';
import { uniqueId } from '../support/temporal';

Runtime.install({ logger: new DefaultLogger('WARN') });

/** Fixed seed: a failure reproduces exactly (fast-check prints the counterexample and path). */
const SEED = 20_261_123;

let stack: Stack;
let csrPem: string;
/** The live order that update and push cases aim at: bad bodies must never reach it. */
let target: { billingOrderId: string; caOrderId: string; messages: Record<string, number> };
const cases = { sent: 0, byRoute: new Map<string, number>() };
/** Every syntactically valid billing order id a rejected order body carried. */
const placedIds = new Set<string>();

beforeAll(async () => {
  // Signed pushes (one of the receiver's modes) so that "validly signed but unreadable" means something.
  stack = await startStack({ env: { CA_PUSH_VERIFY: 'hmac', CA_PUSH_SECRET: randomBytes(24).toString('base64url') } });
  csrPem = (await generateCsr({ commonName: 'target.example.com', keyType: 'ec' })).csrPem;
  const billingOrderId = uniqueId('T');
  const created = await stack.api('/v1/orders', { body: validOrder(billingOrderId) });
  expect(created.status).toBe(202);
  const caOrderId = await eventually('target active', async () => {
    const v = (await (await stack.api(`/v1/orders/${billingOrderId}`)).json()) as { condition: { state: string }; ca: { orderId?: string } };
    return v.condition.state === 'active' ? v.ca.orderId : undefined;
  }, 30_000);
  await stack.sim.state.pushesIdle();
  // A push inside the receiver's per-order window is delivered at the window's end: let the
  // simulator's own pushes settle before counting them.
  await stack.sim.state.pushesIdle();
  await new Promise((r) => setTimeout(r, Number(stack.config.CA_PUSH_WINDOW_MS) + 500));
  target = { billingOrderId, caOrderId, messages: await messagesReceived(billingOrderId) };
});

/** Signals, updates and child workflows in an order's history, by event type. */
async function messagesReceived(billingOrderId: string): Promise<Record<string, number>> {
  const history = await stack.client.workflow.getHandle(orderWorkflowId(billingOrderId)).fetchHistory();
  const counts: Record<string, number> = {};
  for (const e of history.events ?? []) {
    const type = temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType);
    if (/UPDATE|SIGNALED|CHILD_WORKFLOW|CANCEL_REQUESTED/.test(type)) counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

afterAll(async () => {
  await stack?.close();
});

function validOrder(billingOrderId = uniqueId('BAD')): Record<string, unknown> {
  return {
    billingOrderId,
    productId: SIM_PRODUCT_IDS.rsaDv,
    commonName: 'target.example.com',
    hosts: ['target.example.com'],
    csr: csrPem,
    month: 12,
    organization: { orgName: 'Example Ltd', countryCode: 'CN' },
    contact: { email: 'ops@example.com' },
  };
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { path: string; rule: string }[];
}

interface BadCase {
  route: string;
  method: 'GET' | 'POST';
  url: string;
  /** Sent as these exact bytes. */
  body?: string;
  headers?: Record<string, string>;
  /** The fields the problem must name; undefined for cases that are not schema violations. */
  paths?: string[];
  /** The status when only one is right (413, 414, 415); any 4xx otherwise. */
  status?: number;
}

async function expectRejected(c: BadCase): Promise<void> {
  cases.sent++;
  cases.byRoute.set(c.route, (cases.byRoute.get(c.route) ?? 0) + 1);
  const res = await fetch(`${stack.apiUrl}${c.url}`, {
    method: c.method,
    headers: {
      authorization: `Bearer ${stack.apiKey}`,
      ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...c.headers,
    },
    body: c.body,
  });
  const text = await res.text();
  const context = `${c.method} ${c.url.slice(0, 200)} ${c.body?.slice(0, 200) ?? ''} → ${res.status} ${text.slice(0, 400)}`;
  expect({ context, clientError: res.status >= 400 && res.status < 500 }).toEqual({ context, clientError: true });
  if (c.status !== undefined) expect({ context, status: res.status }).toEqual({ context, status: c.status });
  expect({ context, type: res.headers.get('content-type') }).toEqual({ context, type: expect.stringMatching(/^application\/problem\+json/) });
  const problem = JSON.parse(text) as Problem;
  expect(problem.status).toBe(res.status);
  expect(problem.type).toMatch(/^urn:certflow:problem:/);
  expect(typeof problem.title).toBe('string');
  // No stack trace or internal path ever leaks into an answer.
  expect(text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\/src\//);
  if (c.paths !== undefined) {
    const named = (problem.errors ?? []).map((e) => e.path);
    const missing = c.paths.filter((path) => !named.some((p) => p === path || p.startsWith(`${path}.`)));
    expect({ context, missing }).toEqual({ context, missing: [] });
    expect(problem.type).toBe('urn:certflow:problem:validation');
  }
}

// ---------------------------------------------------------------- generators of bad values

/** Any JSON value whose type is not the given one. */
const notA = (kind: 'string' | 'number' | 'array' | 'object'): fc.Arbitrary<unknown> =>
  fc
    .oneof(
      fc.string({ maxLength: 20 }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
    )
    .filter((v) => {
      if (kind === 'array') return !Array.isArray(v);
      if (kind === 'object') return v === null || typeof v !== 'object' || Array.isArray(v);
      return typeof v !== kind;
    });

/** Strings the schema refuses: generated freely, plus unicode and control characters. */
const refusedBy = (schema: { safeParse(v: unknown): { success: boolean } }, arb?: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  (arb ?? fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }))).filter(
    (s) => !schema.safeParse(s).success,
  );

const identifier = fc.stringMatching(/^[A-Za-z_$][A-Za-z0-9_$]{0,15}$/);
const oversized = (max: number): fc.Arbitrary<string> =>
  fc.tuple(fc.integer({ min: max + 1, max: max + 3000 }), fc.constantFrom('a', 'é', '字', '\u{1F600}')).map(([n, ch]) => ch.repeat(n));
const badCountry = fc
  .oneof(fc.string({ maxLength: 5 }), fc.stringMatching(/^[a-z]{2}$/), fc.stringMatching(/^[A-Z]{3,4}$/), fc.constantFrom('ÄÖ', 'C1', ' CN', 'CN\n'))
  .filter((s) => !/^[A-Z]{2}$/.test(s));
const badMonth = fc.oneof(
  fc.integer({ min: -100_000, max: 100_000 }).filter((n) => ![12, 13, 24, 25].includes(n)),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => ![12, 13, 24, 25].includes(n)),
  fc.constantFrom('12', '24', 12.5, 24.000001, null, true, [], [12], { month: 12 }, 1e300, -0.0001),
);
const pem = (label: string, inner: string): string => `-----BEGIN ${label}-----\n${inner}\n-----END ${label}-----\n`;
const badCsr = fc.oneof(
  refusedBy(csrPemSchema),
  fc.constantFrom(pem('CERTIFICATE', 'MIIB'), pem('PRIVATE KEY', 'MIIE'), '-----BEGIN CERTIFICATE REQUEST-----\nMIIB', 'MIIBfake'),
  fc.integer({ min: 16_385, max: 40_000 }).map((n) => pem('CERTIFICATE REQUEST', 'A'.repeat(n))),
);
const badEmail = fc.oneof(fc.string({ maxLength: 30 }).filter((s) => !s.includes('@')), fc.constantFrom('a@', '@b.com', 'a b@c.com', 'a@b', 'a@@b.com', 'ops@example..com'));

const ORDER_KEYS = ['billingOrderId', 'productId', 'commonName', 'hosts', 'csr', 'month', 'renewsBillingOrderId', 'organization', 'documents', 'contact', 'uKeyPassword', 'uKeyShipAddress', 'csrEncrypt', 'bindRsaProductId', 'csrRsa'];
const ORG_KEYS = ['orgName', 'countryCode', 'businessCategory', 'orgPhone', 'orgEmail', 'userFirstName', 'userLastName', 'userEmail', 'userMobile', 'idCardNo', 'state', 'city', 'street', 'zip', 'businessLicense', 'otherName'];
const ORG_MAX: [string, number][] = [['orgName', 200], ['orgPhone', 40], ['userFirstName', 100], ['userLastName', 100], ['userMobile', 40], ['idCardNo', 40], ['street', 300], ['zip', 20], ['businessLicense', 60], ['otherName', 200]];

/** A change to a valid order: which top-level fields it touches, and the path it must be named by. */
interface Mutation {
  apply(o: Record<string, unknown>): void;
  path: string;
  fields: string[];
  /** A cross-field rule (renewals): checked only once every field is valid on its own. */
  crossField?: boolean;
}

const set = (field: string, value: unknown, path = `body.${field}`): Mutation => ({
  apply: (o) => {
    o[field] = value;
  },
  path,
  fields: [field],
});

const orderMutation: fc.Arbitrary<Mutation> = fc.oneof(
  // a required field missing
  fc.constantFrom('billingOrderId', 'productId', 'commonName', 'csr', 'month').map((k): Mutation => ({
    apply: (o) => {
      delete o[k];
    },
    path: `body.${k}`,
    fields: [k],
  })),
  // a field of the wrong type
  fc
    .constantFrom<[string, 'string' | 'array' | 'object' | 'number']>(
      ['billingOrderId', 'string'], ['productId', 'string'], ['commonName', 'string'], ['csr', 'string'], ['hosts', 'array'],
      ['organization', 'object'], ['contact', 'object'], ['documents', 'array'], ['renewsBillingOrderId', 'string'],
    )
    .chain(([k, kind]) => notA(kind).map((v) => set(k, v))),
  // unknown fields, at the top level and nested
  identifier.filter((k) => !ORDER_KEYS.includes(k)).map((k) => set(k, 1)),
  identifier.filter((k) => !ORG_KEYS.includes(k)).map((k) => set('organization', { orgName: 'X', countryCode: 'CN', [k]: 'y' }, `body.organization.${k}`)),
  identifier.filter((k) => k !== 'email' && k !== 'name').map((k) => set('contact', { email: 'ops@example.com', [k]: 'y' }, `body.contact.${k}`)),
  // bad values
  refusedBy(billingOrderIdSchema).map((v) => set('billingOrderId', v)),
  fc.integer({ min: 65, max: 300 }).map((n) => set('billingOrderId', `B${'x'.repeat(n - 1)}`)),
  refusedBy(productIdSchema).map((v) => set('productId', v)),
  badCsr.map((v) => set('csr', v)),
  badMonth.map((v) => set('month', v)),
  badCountry.map((v) => set('organization', { orgName: 'X', countryCode: v }, 'body.organization.countryCode')),
  fc.constantFrom('userEmail', 'orgEmail').chain((k) => badEmail.map((v) => set('organization', { orgName: 'X', countryCode: 'CN', [k]: v }, `body.organization.${k}`))),
  badEmail.map((v) => set('contact', { email: v }, 'body.contact.email')),
  fc
    .string({ maxLength: 20 })
    .filter((s) => !/^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/.test(s))
    .map((h) => set('hosts', ['ok.example.com', h], 'body.hosts.1')),
  fc.integer({ min: 101, max: 200 }).map((n) => set('hosts', Array.from({ length: n }, (_, i) => `h${i}.example.com`))),
  // oversized strings
  oversized(200).map((v) => set('commonName', v)),
  fc.constantFrom(...ORG_MAX).chain(([k, max]) => oversized(max).map((v) => set('organization', { orgName: 'X', countryCode: 'CN', [k]: v }, `body.organization.${k}`))),
  oversized(200).map((v) => set('contact', { email: 'ops@example.com', name: v }, 'body.contact.name')),
  fc.constant(set('commonName', '')),
  // documents broken in each field
  notA('number').map((v) => set('documents', [{ documentType: v, fileType: '.pdf', fileContent: 'QUJD' }], 'body.documents.0.documentType')),
  fc
    .string({ maxLength: 6 })
    .filter((s) => !['.jpg', '.gif', '.pdf'].includes(s))
    .map((v) => set('documents', [{ documentType: 1, fileType: v, fileContent: 'QUJD' }], 'body.documents.0.fileType')),
  fc.constantFrom('not base64!', '@@@@', 'QUJ', 'QUJD\n', 'QU=D').map((v) => set('documents', [{ documentType: 2, fileType: '.pdf', fileContent: v }], 'body.documents.0.fileContent')),
  fc.integer({ min: 11, max: 20 }).map((n) => set('documents', Array.from({ length: n }, () => ({ documentType: 2, fileType: '.pdf', fileContent: 'QUJD' })))),
  // rules of the product, checked at the door once the body is well-formed: a CSR that does
  // not cover the order's hosts, fields the product kind does not take
  fc.constantFrom('elsewhere.example.com', 'www.target.example.com').map((host): Mutation => ({ ...set('hosts', ['target.example.com', host], 'body.csr'), crossField: true })),
  fc.constantFrom('uKeyPassword', 'uKeyShipAddress').map((k): Mutation => ({ ...set(k, 'x-value'), crossField: true })),
  fc.constant<Mutation>({
    apply: (o) => {
      o.bindRsaProductId = SIM_PRODUCT_IDS.rsaOv;
      o.csrRsa = csrPem;
    },
    path: 'body.bindRsaProductId',
    fields: ['bindRsaProductId', 'csrRsa'],
    crossField: true,
  }),
  // renewal rules
  fc.constantFrom(13, 25).map((m): Mutation => ({ ...set('month', m, 'body.renewsBillingOrderId'), fields: ['month', 'renewsBillingOrderId'], crossField: true })),
  fc.constantFrom(12, 24).map((m): Mutation => ({
    apply: (o) => {
      o.month = m;
      o.renewsBillingOrderId = 'B-0';
    },
    path: 'body.month',
    fields: ['month', 'renewsBillingOrderId'],
    crossField: true,
  })),
);

/**
 * One mutation, or two on distinct fields (both must be named: every offending field is
 * listed), or a body that is no object at all.
 */
const badOrder: fc.Arbitrary<{ build(): unknown; paths: string[] }> = fc.oneof(
  {
    weight: 6,
    arbitrary: orderMutation.map((m) => ({
      build: () => {
        const o = validOrder();
        m.apply(o);
        return o;
      },
      paths: [m.path],
    })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(orderMutation, orderMutation)
      .filter(([a, b]) => !a.crossField && !b.crossField && !a.fields.some((f) => b.fields.includes(f)))
      .map(([a, b]) => ({
        build: () => {
          const o = validOrder();
          a.apply(o);
          b.apply(o);
          return o;
        },
        paths: [a.path, b.path],
      })),
  },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer(), { maxLength: 3 }), fc.boolean(), fc.constant(null)).map((v) => ({ build: () => v, paths: ['body'] })) },
);

const proof = { fileType: '.pdf', fileContent: 'JVBERi0xLjQ=' };
const validReissue = (): Record<string, unknown> => ({ csr: csrPem, reason: 'key compromise', requestId: 'r-1' });

const badUpdate: fc.Arbitrary<{ action: 'cancel' | 'reissue' | 'revoke'; body: () => unknown; path: string }> = fc.oneof(
  // cancel
  fc.constant({ action: 'cancel' as const, body: () => ({}), path: 'body.reason' }),
  fc.constant({ action: 'cancel' as const, body: () => ({ reason: '' }), path: 'body.reason' }),
  oversized(500).map((v) => ({ action: 'cancel' as const, body: () => ({ reason: v }), path: 'body.reason' })),
  notA('string').map((v) => ({ action: 'cancel' as const, body: () => ({ reason: v }), path: 'body.reason' })),
  identifier.filter((k) => k !== 'reason').map((k) => ({ action: 'cancel' as const, body: () => ({ reason: 'x', [k]: true }), path: `body.${k}` })),
  fc.oneof(fc.string(), fc.integer(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(null)).map((v) => ({ action: 'cancel' as const, body: () => v, path: 'body' })),
  // reissue
  badCsr.map((v) => ({ action: 'reissue' as const, body: () => ({ ...validReissue(), csr: v }), path: 'body.csr' })),
  refusedBy(reissueInputSchema.shape.requestId).map((v) => ({ action: 'reissue' as const, body: () => ({ ...validReissue(), requestId: v }), path: 'body.requestId' })),
  fc.constantFrom('csr', 'reason', 'requestId').map((k) => ({
    action: 'reissue' as const,
    body: () => {
      const b = validReissue();
      delete b[k];
      return b;
    },
    path: `body.${k}`,
  })),
  fc.string({ maxLength: 6 }).filter((s) => !['.jpg', '.gif', '.pdf'].includes(s)).map((v) => ({ action: 'reissue' as const, body: () => ({ ...validReissue(), proof: { ...proof, fileType: v } }), path: 'body.proof.fileType' })),
  identifier.filter((k) => !['csr', 'reason', 'requestId', 'proof'].includes(k)).map((k) => ({ action: 'reissue' as const, body: () => ({ ...validReissue(), [k]: 1 }), path: `body.${k}` })),
  oversized(500).map((v) => ({ action: 'reissue' as const, body: () => ({ ...validReissue(), reason: v }), path: 'body.reason' })),
  // revoke
  fc.constant({ action: 'revoke' as const, body: () => ({ reason: 'x' }), path: 'body.proof' }),
  notA('object').map((v) => ({ action: 'revoke' as const, body: () => ({ reason: 'x', proof: v }), path: 'body.proof' })),
  fc.constantFrom('', 'abc', '!!!!', 'QQ', 'QUJD====').map((v) => ({ action: 'revoke' as const, body: () => ({ reason: 'x', proof: { ...proof, fileContent: v } }), path: 'body.proof.fileContent' })),
  notA('string').map((v) => ({ action: 'revoke' as const, body: () => ({ reason: v, proof }), path: 'body.reason' })),
  identifier.filter((k) => !['fileType', 'fileContent'].includes(k)).map((k) => ({ action: 'revoke' as const, body: () => ({ reason: 'x', proof: { ...proof, [k]: 1 } }), path: `body.proof.${k}` })),
);

const badQuery: fc.Arbitrary<{ qs: string; path: string }> = fc.oneof(
  fc.string({ maxLength: 6 }).filter((v) => !listOrdersQuerySchema.safeParse({ pageSize: v }).success).map((v) => ({ qs: new URLSearchParams({ pageSize: v }).toString(), path: 'query.pageSize' })),
  fc.oneof(fc.integer({ min: -1000, max: 0 }), fc.integer({ min: 101, max: 1_000_000 }), fc.constantFrom('1.5', 'Infinity', '1e3', '0x10', ' ')).map((n) => ({ qs: `pageSize=${n}`, path: 'query.pageSize' })),
  fc.string({ maxLength: 20 }).filter((v) => !listOrdersQuerySchema.safeParse({ status: v }).success).map((v) => ({ qs: new URLSearchParams({ status: v }).toString(), path: 'query.status' })),
  fc.string({ minLength: 1, maxLength: 30 }).filter((v) => /[^A-Za-z0-9_-]/.test(v)).map((v) => ({ qs: new URLSearchParams({ pageToken: v }).toString(), path: 'query.pageToken' })),
  // Well-formed base64url that is no page token of ours, or one of another listing.
  fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).map((v) => ({ qs: new URLSearchParams({ pageToken: v }).toString(), path: 'query.pageToken' })),
  fc.constantFrom('', '\u0001x', 'a\u007fb', 'a'.repeat(254)).map((v) => ({ qs: new URLSearchParams({ commonName: v }).toString(), path: 'query.commonName' })),
  identifier.filter((k) => !['status', 'commonName', 'pageSize', 'pageToken'].includes(k)).map((k) => ({ qs: `${encodeURIComponent(k)}=1`, path: `query.${k}` })),
  fc.constant({ qs: 'status=active&status=failed', path: 'query.status' }),
);

const badCertificateQuery: fc.Arbitrary<{ qs: string; path: string }> = fc.oneof(
  fc.string({ maxLength: 10 }).filter((v) => v !== 'json' && v !== 'pem').map((v) => ({ qs: new URLSearchParams({ format: v }).toString(), path: 'query.format' })),
  fc.constantFrom('PEM', 'der', 'pem ', 'json,pem').map((v) => ({ qs: new URLSearchParams({ format: v }).toString(), path: 'query.format' })),
  identifier.filter((k) => k !== 'format').map((k) => ({ qs: `${encodeURIComponent(k)}=pem`, path: `query.${k}` })),
);

/** Ids the router delivers to the route as they are (no '/', no dot segments, no '?' or '#'). */
const badParam = fc.oneof(
  refusedBy(billingOrderIdSchema, fc.string({ minLength: 1, maxLength: 80 })).filter((s) => !s.includes('/') && !s.includes('\\') && s !== '.' && s !== '..'),
  fc.integer({ min: 65, max: 400 }).map((n) => 'b'.repeat(n)),
);

const validPush = { dataAction: 'order', orderId: 'CA-1', isIssued: true, isRevoked: false };
const badPush: fc.Arbitrary<{ body: string; path: string }> = fc
  .oneof(
    fc.constant({ body: { dataAction: 'order', isIssued: true } as unknown, path: 'body.orderId' }),
    fc.constantFrom('', '   ', '\t').map((v) => ({ body: { ...validPush, orderId: v } as unknown, path: 'body.orderId' })),
    notA('string').map((v) => ({ body: { ...validPush, orderId: v } as unknown, path: 'body.orderId' })),
    fc
      .oneof(fc.string({ maxLength: 8 }).filter((s) => !['true', 'false'].includes(s.trim().toLowerCase())), fc.integer(), fc.array(fc.boolean(), { maxLength: 2 }))
      .map((v) => ({ body: { ...validPush, isIssued: v } as unknown, path: 'body.isIssued' })),
    fc.constantFrom('maybe', 1, 0, {}).map((v) => ({ body: { ...validPush, isRevoked: v } as unknown, path: 'body.isRevoked' })),
    fc.constant({ body: { orderId: 'CA-1' } as unknown, path: 'body.dataAction' }),
    fc.oneof(fc.constant(''), fc.constant('  '), fc.integer(), fc.constant(null), fc.boolean()).map((v) => ({ body: { ...validPush, dataAction: v } as unknown, path: 'body.dataAction' })),
    fc.oneof(fc.integer(), fc.array(fc.integer(), { maxLength: 3 }), fc.string(), fc.constant(null)).map((v) => ({ body: v, path: 'body' })),
  )
  .map(({ body, path }) => ({ body: JSON.stringify(body), path }))
  // Bytes that are not JSON at all, signed all the same.
  .chain((c) => fc.oneof({ weight: 5, arbitrary: fc.constant(c) }, { weight: 1, arbitrary: fc.constantFrom('{', '{"dataAction":"order",', '\u0000', 'not json', '{"a":1}}').map((b) => ({ body: b, path: 'body' })) }));

// ---------------------------------------------------------------- properties

const runs = (numRuns: number) => ({ seed: SEED, numRuns, endOnFailure: true });

describe('bad input over HTTP to the running stack', () => {
  it('POST /v1/orders: every broken order is a 4xx problem naming each broken field', async () => {
    await fc.assert(
      fc.asyncProperty(badOrder, async ({ build, paths }) => {
        const body = build();
        const id = (body as { billingOrderId?: unknown } | null)?.billingOrderId;
        if (typeof id === 'string' && billingOrderIdSchema.safeParse(id).success) placedIds.add(id);
        await expectRejected({ route: 'POST /v1/orders', method: 'POST', url: '/v1/orders', body: JSON.stringify(body), paths });
      }),
      runs(160),
    );
  });

  it('POST /v1/orders/:id/{cancel,reissue,revoke}: every broken body is a 4xx problem naming the field', async () => {
    await fc.assert(
      fc.asyncProperty(badUpdate, ({ action, body, path }) =>
        expectRejected({ route: `POST /v1/orders/:id/${action}`, method: 'POST', url: `/v1/orders/${target.billingOrderId}/${action}`, body: JSON.stringify(body()), paths: [path] }),
      ),
      runs(90),
    );
  });

  it('GET /v1/orders: every bad query is a 4xx problem naming the parameter', async () => {
    await fc.assert(fc.asyncProperty(badQuery, ({ qs, path }) => expectRejected({ route: 'GET /v1/orders', method: 'GET', url: `/v1/orders?${qs}`, paths: [path] })), runs(50));
  });

  it('GET /v1/orders/:id/certificate: every bad query is a 4xx problem naming the parameter', async () => {
    await fc.assert(
      fc.asyncProperty(badCertificateQuery, ({ qs, path }) =>
        expectRejected({ route: 'GET /v1/orders/:id/certificate', method: 'GET', url: `/v1/orders/${target.billingOrderId}/certificate?${qs}`, paths: [path] }),
      ),
      runs(25),
    );
  });

  it('every route with a billing order id refuses a bad one, naming params.billingOrderId', async () => {
    const routes: [BadCase['method'], string, unknown][] = [
      ['GET', '', undefined],
      ['GET', '/certificate', undefined],
      ['POST', '/cancel', { reason: 'x' }],
      ['POST', '/reissue', { csr: 'x', reason: 'x', requestId: 'r' }],
      ['POST', '/revoke', { reason: 'x', proof }],
      ['POST', '/retry', undefined],
    ];
    await fc.assert(
      fc.asyncProperty(badParam, fc.constantFrom(...routes), (id, [method, suffix, body]) =>
        expectRejected({
          route: `${method} /v1/orders/:id${suffix}`,
          method,
          url: `/v1/orders/${encodeURIComponent(id)}${suffix}`,
          body: body === undefined ? undefined : JSON.stringify(body),
          paths: ['params.billingOrderId'],
        }),
      ),
      runs(50),
    );
  });

  it('POST /v1/ca/wotrus/push: every validly signed but unreadable push is a 4xx problem naming the field', async () => {
    await fc.assert(
      fc.asyncProperty(badPush, ({ body, path }) =>
        expectRejected({
          route: 'POST /v1/ca/wotrus/push',
          method: 'POST',
          url: '/v1/ca/wotrus/push',
          body,
          headers: { [PUSH_SIGNATURE_HEADER]: signPushBody(stack.config.CA_PUSH_SECRET!, body) },
          paths: [path],
        }),
      ),
      runs(60),
    );
  });

  it('malformed bytes, wrong content types and oversized bodies are 4xx problems too', async () => {
    const secret = stack.config.CA_PUSH_SECRET!;
    const ids = Array.from({ length: 4 }, () => uniqueId('BAD'));
    ids.forEach((id) => placedIds.add(id));
    const [textId, formId, bigId, protoId] = ids as [string, string, string, string];
    const big = JSON.stringify({ ...validOrder(bigId), documents: [{ documentType: 2, fileType: '.pdf', fileContent: 'QUJD'.repeat(600_000) }] });
    const bigPush = JSON.stringify({ ...validPush, pad: 'x'.repeat(70 * 1024) });
    const order = (body: string): BadCase => ({ route: 'POST /v1/orders', method: 'POST', url: '/v1/orders', body });
    const fixed: BadCase[] = [
      { ...order('{"billingOrderId":'), status: 400 },
      { ...order(''), status: 400 },
      { ...order(`{"billingOrderId":"${protoId}","__proto__":{"month":12}}`), status: 400 },
      { ...order('{"constructor":{"prototype":{"x":1}}}'), status: 400 },
      { ...order(JSON.stringify(validOrder(textId))), headers: { 'content-type': 'text/plain' }, status: 415 },
      { ...order(JSON.stringify(validOrder(formId))), headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415 },
      { ...order(big), status: 413 },
      { route: 'POST /v1/orders/:id/cancel', method: 'POST', url: `/v1/orders/${target.billingOrderId}/cancel`, body: '{"reason":', status: 400 },
      { route: 'POST /v1/orders/:id/cancel', method: 'POST', url: `/v1/orders/${target.billingOrderId}/cancel`, body: '{"reason":"x"}', headers: { 'content-type': 'text/plain' }, status: 415 },
      { route: 'GET /v1/orders/:id', method: 'GET', url: `/v1/orders/${'b'.repeat(600)}`, status: 414 },
      { route: 'POST /v1/ca/wotrus/push', method: 'POST', url: '/v1/ca/wotrus/push', body: bigPush, headers: { [PUSH_SIGNATURE_HEADER]: signPushBody(secret, bigPush) }, status: 413 },
      {
        route: 'POST /v1/ca/wotrus/push',
        method: 'POST',
        url: '/v1/ca/wotrus/push',
        body: JSON.stringify(validPush),
        headers: { 'content-type': 'application/xml', [PUSH_SIGNATURE_HEADER]: signPushBody(secret, JSON.stringify(validPush)) },
        status: 415,
      },
    ];
    for (const c of fixed) await expectRejected(c);
  });

  it('a well-formed order whose CSR does not cover its hosts is refused at the door: 400 body.csr, no CA create, no workflow', async () => {
    const before = stack.sim.state.counters().calls.create;
    const billingOrderId = uniqueId('DOOR');
    placedIds.add(billingOrderId);
    const res = await stack.api('/v1/orders', { body: { ...validOrder(billingOrderId), hosts: ['target.example.com', 'shop.elsewhere.example'] } });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as Problem;
    expect(problem.errors).toEqual([{ path: 'body.csr', rule: expect.stringContaining('does not cover shop.elsewhere.example') }]);
    expect(stack.sim.state.counters().calls.create).toBe(before);
    await expect(stack.client.workflow.getHandle(orderWorkflowId(billingOrderId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('nothing reached Temporal or the CA: no workflow for any generated id, no CA order, the target untouched', async () => {
    expect(cases.sent).toBeGreaterThanOrEqual(400);
    for (const route of ['POST /v1/orders', 'GET /v1/orders', 'GET /v1/orders/:id/certificate', 'POST /v1/orders/:id/cancel', 'POST /v1/orders/:id/reissue', 'POST /v1/orders/:id/revoke', 'POST /v1/ca/wotrus/push']) {
      expect({ route, covered: (cases.byRoute.get(route) ?? 0) >= 10 }).toEqual({ route, covered: true });
    }
    expect(placedIds.size).toBeGreaterThan(50);

    // The CA saw the target's order and nothing else.
    const counters = stack.sim.state.counters();
    expect(counters.calls.create).toBe(1);
    expect(Object.keys(counters.createsByIdempotenceId)).toEqual([target.billingOrderId]);
    expect(counters.calls.cancel + counters.calls.reissue + counters.calls.revoke).toBe(0);

    // Describe is strongly consistent: every generated id is unknown to Temporal.
    const started: string[] = [];
    await Promise.all(
      [...placedIds].map(async (id) => {
        try {
          await stack.client.workflow.getHandle(orderWorkflowId(id)).describe();
          started.push(id);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }),
    );
    expect(started).toEqual([]);

    // Visibility agrees: on this stack's task queue there is the target's workflow only.
    const query = `TaskQueue = '${stack.config.TEMPORAL_TASK_QUEUE}'`;
    const listed: string[] = [];
    for await (const wf of stack.client.workflow.list({ query })) listed.push(wf.workflowId);
    expect(listed).toEqual([orderWorkflowId(target.billingOrderId)]);
    expect((await stack.client.workflow.count(query)).count).toBe(1);

    // No update, signal or child reached the target: its history holds only the simulator's
    // own pushes from before the corpus, and it is still active with no reissue or revocation.
    expect(target.messages.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).toBeGreaterThan(0);
    expect(await messagesReceived(target.billingOrderId)).toEqual(target.messages);
    const view = (await (await stack.api(`/v1/orders/${target.billingOrderId}`)).json()) as { condition: { state: string }; lineage: { reissues: unknown[]; revocations: unknown[] } };
    expect(view.condition.state).toBe('active');
    expect(view.lineage.reissues).toEqual([]);
    expect(view.lineage.revocations).toEqual([]);
  });
});
