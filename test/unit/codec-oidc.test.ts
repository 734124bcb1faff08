/**
 * The codec endpoint and the Temporal Web UI user's forwarded OIDC access token: the token is
 * verified against the issuer's JWKS (served here over HTTP, as an identity provider does),
 * with its issuer, audience, expiry and the claim that grants decoding. Every refused token
 * gets its 401/403 and nothing decoded; the operator token keeps working beside it. In
 * development the embedded Web UI decodes without a credential, from loopback and its own
 * origin only.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import Fastify from 'fastify';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { createAesGcmCodec } from '../../src/codec/aes-gcm-codec';
import { buildCodecServer, codecAuthFromConfig, codecDevAccess } from '../../src/codec/codec-server';
import { devServerArgs } from '../../tools/engine/dev-server';
import { parseConfig } from '../../src/config';
import { configIssues } from '../support/config-issues';

const ISSUER = 'https://id.example.com/realms/ops';
const AUDIENCE = 'temporal-ui';
const OPERATOR_TOKEN = 'op-token-0123456789abcdef';
const SECRET_TEXT = 'Erika Mustermann, erika@example.com';
const codec = createAesGcmCodec({ keys: [{ id: 'k1', key: randomBytes(32) }], currentKeyId: 'k1' });
const b64 = (s: string): string => Buffer.from(s).toString('base64');

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let issuerKey: KeyPair;
let otherKey: KeyPair;
let jwks: FastifyInstance;
let app: FastifyInstance;
let base: string;
let encrypted: unknown;
let jwksRequests = 0;

beforeAll(async () => {
  issuerKey = await generateKeyPair('ES256');
  otherKey = await generateKeyPair('ES256');
  jwks = Fastify();
  const jwk = { ...(await exportJWK(issuerKey.publicKey)), kid: 'k-2026', alg: 'ES256', use: 'sig' };
  jwks.get('/certs', async () => {
    jwksRequests++;
    return { keys: [jwk] };
  });
  const jwksUrl = `${await jwks.listen({ host: '127.0.0.1', port: 0 })}/certs`;
  const auth = codecAuthFromConfig(parseConfig({
    OPERATOR_TOKEN,
    CODEC_OIDC_ISSUER: ISSUER,
    CODEC_OIDC_AUDIENCE: AUDIENCE,
    CODEC_OIDC_JWKS_URL: jwksUrl,
    CODEC_OIDC_REQUIRED_CLAIM: 'groups=certflow-operators',
  }))!;
  app = buildCodecServer({ codec, ...auth, corsOrigins: ['http://localhost:8233'] });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  const [payload] = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(SECRET_TEXT)) }]);
  encrypted = { payloads: [{ metadata: Object.fromEntries(Object.entries(payload!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(payload!.data!).toString('base64') }] };
});
afterAll(async () => {
  await app?.close();
  await jwks?.close();
});

const claims = (over: JWTPayload = {}): JWTPayload => ({ sub: 'alice', groups: ['certflow-operators', 'staff'], ...over });

async function token(o: { claims?: JWTPayload; key?: KeyPair; kid?: string; issuer?: string; audience?: string; expiresIn?: string | number } = {}): Promise<string> {
  return new SignJWT(o.claims ?? claims())
    .setProtectedHeader({ alg: 'ES256', kid: o.kid ?? 'k-2026' })
    .setIssuer(o.issuer ?? ISSUER)
    .setAudience(o.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(o.expiresIn ?? '5m')
    .sign((o.key ?? issuerKey).privateKey);
}

async function decode(authorization: string | undefined): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-namespace': 'default' };
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await fetch(`${base}/codec/decode`, { method: 'POST', headers, body: JSON.stringify(encrypted) });
  return { status: res.status, body: await res.text() };
}

const unsigned = (payload: JWTPayload): string =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

describe('codec endpoint with the Web UI user\'s OIDC access token', () => {
  test('a valid token from the issuer, for the audience, in the group: decoded', async () => {
    const r = await decode(`Bearer ${await token()}`);
    expect(r.status).toBe(200);
    const data = (JSON.parse(r.body) as { payloads: { data: string }[] }).payloads[0]!.data;
    expect(Buffer.from(data, 'base64').toString()).toBe(JSON.stringify(SECRET_TEXT));
    expect(jwksRequests).toBeGreaterThan(0);
  });

  test('the claim may also be a single string', async () => {
    expect((await decode(`Bearer ${await token({ claims: claims({ groups: 'certflow-operators' }) })}`)).status).toBe(200);
  });

  const refused: [string, () => Promise<string>, number, RegExp][] = [
    ['expired', () => token({ expiresIn: Math.floor(Date.now() / 1000) - 120 }), 401, /expired/],
    ['from another issuer', () => token({ issuer: 'https://evil.example.com' }), 401, /"iss"/],
    ['for another audience', () => token({ audience: 'some-other-app' }), 401, /"aud"/],
    ['without the group claim', () => token({ claims: { sub: 'bob' } }), 403, /groups.*certflow-operators/],
    ['in other groups only', () => token({ claims: claims({ groups: ['staff'] }) }), 403, /groups/],
    ['signed by another key under the issuer\'s key id', () => token({ key: otherKey }), 401, /signature/],
    ['signed by a key the issuer does not publish', () => token({ key: otherKey, kid: 'k-unknown' }), 401, /does not publish/],
    ['alg: none', async () => unsigned({ ...claims(), iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 }), 401, /refused/],
    ['a garbled token', async () => 'abc.def.ghi', 401, /refused/],
  ];
  test.each(refused)('a token %s is refused (%#), nothing decoded', async (_name, make, status, message) => {
    const r = await decode(`Bearer ${await make()}`);
    expect(r.status).toBe(status);
    expect(JSON.parse(r.body)).toMatchObject({ error: status === 401 ? 'unauthorized' : 'forbidden', message: expect.stringMatching(message) });
    expect(r.body).not.toContain(b64(JSON.stringify(SECRET_TEXT)));
    expect(r.body).not.toContain('payloads');
  });

  test('no credential: 401; the operator token still decodes (the CLI)', async () => {
    expect((await decode(undefined)).status).toBe(401);
    expect((await decode('Bearer not-the-operator-token-at-all')).status).toBe(401);
    expect((await decode(`Bearer ${OPERATOR_TOKEN}`)).status).toBe(200);
  });
});

describe('CODEC_OIDC_* settings', () => {
  const issues = configIssues;

  test('go together, and the claim is name=value', () => {
    expect(issues({ CODEC_OIDC_ISSUER: ISSUER })).toEqual([
      'CODEC_OIDC_AUDIENCE: required with the other CODEC_OIDC_* settings',
      'CODEC_OIDC_JWKS_URL: required with the other CODEC_OIDC_* settings',
    ]);
    expect(issues({ CODEC_OIDC_ISSUER: ISSUER, CODEC_OIDC_AUDIENCE: AUDIENCE, CODEC_OIDC_JWKS_URL: 'https://id.example.com/certs', CODEC_OIDC_REQUIRED_CLAIM: 'groups' })).toEqual([
      'CODEC_OIDC_REQUIRED_CLAIM: must be name=value, e.g. groups=certflow-operators',
    ]);
  });

  test('without any credential the codec endpoint stays off', () => {
    expect(codecAuthFromConfig(parseConfig({}))).toBeUndefined();
    expect(codecAuthFromConfig(parseConfig({ OPERATOR_TOKEN }))).toEqual({ operatorToken: OPERATOR_TOKEN, oidc: undefined });
  });
});

describe('the embedded Web UI in development: decoded without a credential, on loopback, from its own origin only', () => {
  const UI = 'http://localhost:8233';
  let dev: FastifyInstance;
  let prod: FastifyInstance;
  let devBase: string;
  let prodBase: string;
  beforeAll(async () => {
    dev = buildCodecServer({ codec, openToLocalUi: codecDevAccess({ CERTFLOW_ENV: 'development' }), corsOrigins: [UI] });
    prod = buildCodecServer({ codec, operatorToken: OPERATOR_TOKEN, openToLocalUi: codecDevAccess({ CERTFLOW_ENV: 'production' }), corsOrigins: [UI] });
    devBase = await dev.listen({ host: '127.0.0.1', port: 0 });
    prodBase = await prod.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await dev?.close();
    await prod?.close();
  });
  const post = async (at: string, headers: Record<string, string>): Promise<{ status: number; body: string; allowOrigin: string | null }> => {
    const res = await fetch(`${at}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(encrypted) });
    return { status: res.status, body: await res.text(), allowOrigin: res.headers.get('access-control-allow-origin') };
  };

  test('from the UI\'s origin: decoded, with the CORS answer the browser needs', async () => {
    const r = await post(devBase, { origin: UI });
    expect(r.status).toBe(200);
    expect(r.allowOrigin).toBe(UI);
    const data = (JSON.parse(r.body) as { payloads: { data: string }[] }).payloads[0]!.data;
    expect(Buffer.from(data, 'base64').toString()).toBe(JSON.stringify(SECRET_TEXT));
  });

  test('without an Origin, or from another origin: 401, nothing decoded', async () => {
    for (const headers of [{}, { origin: 'http://evil.example.com' }, { origin: 'http://localhost:9999' }] as Record<string, string>[]) {
      const r = await post(devBase, headers);
      expect(r.status).toBe(401);
      expect(r.body).not.toContain('payloads');
    }
  });

  test('production: the UI\'s origin alone decodes nothing; a credential is needed', async () => {
    expect((await post(prodBase, { origin: UI })).status).toBe(401);
    expect((await post(prodBase, { origin: UI, authorization: `Bearer ${OPERATOR_TOKEN}` })).status).toBe(200);
  });

  test('npm start points the embedded UI at the codec endpoint', () => {
    const args = devServerArgs({ cliPath: 'temporal', port: 7233, uiPort: 8233, uiCodecEndpoint: 'http://127.0.0.1:8080/codec' });
    expect(args.slice(args.indexOf('--ui-codec-endpoint'), args.indexOf('--ui-codec-endpoint') + 2)).toEqual(['--ui-codec-endpoint', 'http://127.0.0.1:8080/codec']);
    expect(fs.readFileSync(path.join(__dirname, '../../scripts/start.ts'), 'utf8')).toMatch(/uiCodecEndpoint: `http:\/\/127\.0\.0\.1:\$\{config\.API_PORT\}\/codec`/);
  });
});
