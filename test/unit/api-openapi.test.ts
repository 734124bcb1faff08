import type { FastifyInstance } from 'fastify';
import { buildTestApi } from './api-support';

let app: FastifyInstance;
let doc: {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; tags?: string[]; security?: unknown[]; responses: Record<string, { content?: Record<string, unknown> }>; requestBody?: unknown }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

beforeAll(async () => {
  ({ app } = await buildTestApi());
  const res = await app.inject({ url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  doc = JSON.parse(res.body) as typeof doc;
});
afterAll(async () => {
  await app.close();
});

const EXPECTED: [string, string, string][] = [
  ['get', '/healthz', 'getHealth'],
  ['get', '/readyz', 'getReadiness'],
  ['post', '/v1/orders', 'placeOrder'],
  ['get', '/v1/orders', 'listOrders'],
  ['get', '/v1/orders/{billingOrderId}', 'getOrder'],
  ['get', '/v1/orders/{billingOrderId}/certificate', 'getCertificate'],
  ['post', '/v1/orders/{billingOrderId}/cancel', 'cancelOrder'],
  ['post', '/v1/orders/{billingOrderId}/reissue', 'reissueOrder'],
  ['post', '/v1/orders/{billingOrderId}/domain-validation', 'switchDomainValidation'],
  ['post', '/v1/orders/{billingOrderId}/revoke', 'revokeOrder'],
  ['post', '/v1/orders/{billingOrderId}/retry', 'retryOrder'],
  ['post', '/v1/orders/{billingOrderId}/notify', 'resendCustomerEmail'],
  ['post', '/v1/orders/{billingOrderId}/resolve-create', 'resolveCreate'],
  ['get', '/v1/issuers/{issuerId}/domain-file', 'getDomainFile'],
  ['post', '/v1/ca/wotrus/push', 'receiveWotrusPush'],
  ['post', '/v1/issuers/reseller/notify/{token}', 'receiveResellerNotify'],
  ['get', '/v1/ca/wotrus/push/stats', 'getWotrusPushStats'],
];

test('is an OpenAPI 3.1 document listing every route with its operationId and tags', () => {
  expect(doc.openapi).toBe('3.1.0');
  for (const [method, path, operationId] of EXPECTED) {
    const op = doc.paths[path]?.[method];
    expect({ path, method, operationId: op?.operationId }).toEqual({ path, method, operationId });
    expect(op?.tags?.length).toBeGreaterThan(0);
  }
  const all = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
  expect(new Set(all).size).toBe(all.length);
  expect(all).toHaveLength(EXPECTED.length); // docs and /openapi.json itself are hidden
});

test('billing routes declare the API-key security schemes; push and health do not', () => {
  expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKeyHeader', 'bearerAuth']);
  expect(doc.paths['/v1/orders']?.post?.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
  expect(doc.paths['/v1/ca/wotrus/push']?.post?.security).toBeUndefined();
  expect(doc.paths['/v1/issuers/reseller/notify/{token}']?.post?.security).toBeUndefined();
  expect(doc.paths['/v1/orders/{billingOrderId}/domain-validation']?.post?.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
  expect(doc.paths['/v1/ca/wotrus/push/stats']?.get?.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
  expect(doc.paths['/healthz']?.get?.security).toBeUndefined();
});

test('request bodies come from the zod schemas, problems are application/problem+json', () => {
  const create = doc.paths['/v1/orders']!.post!;
  expect(JSON.stringify(create.requestBody)).toContain('billingOrderId');
  expect(create.responses['400']?.content).toHaveProperty(['application/problem+json']);
  expect(create.responses['409']?.content).toHaveProperty(['application/problem+json']);
  expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Problem', 'OrderView', 'CertificateBundle']));
  const cert = doc.paths['/v1/orders/{billingOrderId}/certificate']!.get!;
  expect(Object.keys(cert.responses['200']?.content ?? {})).toEqual(['application/json', 'application/x-pem-file']);
});

test('Swagger UI is served at /docs', async () => {
  const res = await app.inject({ url: '/docs/' });
  expect(res.statusCode).toBe(200);
  expect(res.body).toContain('swagger');
});
