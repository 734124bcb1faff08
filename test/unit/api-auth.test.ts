import type { FastifyInstance } from 'fastify';
import { createApiKeyMatcher, presentedKey } from '../../src/api/auth';
import { API_KEY, buildTestApi, captureLogs, FakeOrderService, makeView, OTHER_KEY, sha256, validOrder } from './api-support';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('API keys', () => {
  test('a billing route without a key is a 401 problem with a Bearer challenge, and the service is not called', async () => {
    const built = await buildTestApi();
    app = built.app;
    const res = await app.inject({ method: 'POST', url: '/v1/orders', payload: validOrder() });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="certflow"');
    expect(res.json()).toMatchObject({ status: 401, title: 'API key required', type: 'urn:certflow:problem:unauthorized' });
    expect(built.orders.calls).toHaveLength(0);
  });

  test.each([
    ['a wrong bearer key', { authorization: 'Bearer not-the-key' }],
    ['a wrong x-api-key', { 'x-api-key': 'not-the-key' }],
    ['the hash instead of the key', { authorization: `Bearer ${sha256(API_KEY)}` }],
    ['another scheme', { authorization: `Basic ${API_KEY}` }],
  ])('%s is a 401', async (_name, headers) => {
    const built = await buildTestApi();
    app = built.app;
    const res = await app.inject({ method: 'GET', url: '/v1/orders', headers });
    expect(res.statusCode).toBe(401);
    expect(built.orders.calls).toHaveLength(0);
  });

  test('an invalid body from a stranger is a 401, not a 400: the body is not even read', async () => {
    app = (await buildTestApi()).app;
    const res = await app.inject({ method: 'POST', url: '/v1/orders', payload: { nonsense: true } });
    expect(res.statusCode).toBe(401);
  });

  test('the right key passes, as Bearer or x-api-key, for every configured entry', async () => {
    const built = await buildTestApi();
    app = built.app;
    built.orders.views.set('B-1', makeView('B-1', 'active'));
    for (const headers of [{ authorization: `Bearer ${API_KEY}` }, { authorization: `bearer ${OTHER_KEY}` }, { 'x-api-key': API_KEY }]) {
      expect((await app.inject({ url: '/v1/orders/B-1', headers })).statusCode).toBe(200);
    }
  });

  test('without API_KEYS every billing route is a 401 explaining that keys must be configured', async () => {
    app = (await buildTestApi({ apiKeys: null })).app;
    const res = await app.inject({ url: '/v1/orders', headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json<{ detail: string }>().detail).toContain('API_KEYS');
  });

  test('health, readiness, OpenAPI and docs need no key', async () => {
    app = (await buildTestApi()).app;
    for (const url of ['/healthz', '/readyz', '/openapi.json']) expect((await app.inject({ url })).statusCode).toBe(200);
    expect((await app.inject({ url: '/docs/' })).statusCode).toBe(200);
  });

  test('the key name is logged with the request; the key itself never is', async () => {
    // With the shared logger's redaction of key-like fields, which must not hide the name.
    const logs = captureLogs({ redact: { paths: ['apiKey', '*.apiKey', 'key', '*.key', 'headers.authorization', 'headers["x-api-key"]'], censor: '[redacted]' } });
    const built = await buildTestApi({ logger: logs.logger });
    app = built.app;
    built.orders.views.set('B-1', makeView('B-1', 'active'));
    await app.inject({ url: '/v1/orders/B-1', headers: { authorization: `Bearer ${API_KEY}` } });
    await app.inject({ method: 'POST', url: '/v1/orders', headers: { 'x-api-key': OTHER_KEY }, payload: validOrder() });
    await app.inject({ url: '/v1/orders/B-1', headers: { authorization: 'Bearer wrong-key-1234' } });
    const text = logs.text();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.apiKeyName === 'billing' && l.msg === 'request completed')).toBe(true);
    expect(lines.some((l) => l.apiKeyName === 'operator' && l.msg === 'order placed')).toBe(true);
    for (const secret of [API_KEY, OTHER_KEY, 'wrong-key-1234', sha256(API_KEY)]) expect(text).not.toContain(secret);
  });
});

describe('key matching', () => {
  const match = createApiKeyMatcher([
    { name: 'a', sha256: sha256('key-a') },
    { name: 'b', sha256: sha256('key-b') },
  ]);
  test('finds the entry whose hash matches, and nothing else', () => {
    expect(match('key-a')).toBe('a');
    expect(match('key-b')).toBe('b');
    expect(match('key-c')).toBeUndefined();
    expect(match('')).toBeUndefined();
  });
  test('reads Bearer (any case) and x-api-key', () => {
    expect(presentedKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedKey({ authorization: 'BEARER abc ' })).toBe('abc');
    expect(presentedKey({ 'x-api-key': 'xyz' })).toBe('xyz');
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });
});

test('FakeOrderService is a complete OrderService', () => {
  // Compile-time guard that the fake keeps up with the interface the routes depend on.
  expect(new FakeOrderService().calls).toEqual([]);
});
