import { randomBytes } from 'node:crypto';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  decodeOptionalFailureToOptionalError,
  encodeErrorToFailure,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import type { FastifyInstance } from 'fastify';
import { createAesGcmCodec, ENCRYPTED_ENCODING } from '../../src/codec/aes-gcm-codec';
import { buildCodecServer, codecCorsOrigins } from '../../src/codec/codec-server';
import { payloadToJson } from '../../src/codec/payload-json';
import { parseConfig } from '../../src/config';
import { createDataConverter } from '../../src/temporal/data-converter';

const OPERATOR_TOKEN = 'op-token-0123456789abcdef';
const UI_ORIGIN = 'http://localhost:8233';
const customer = { name: 'Erika Mustermann', email: 'erika@example.com' };
const codec = createAesGcmCodec({ keys: [{ id: 'k1', key: randomBytes(32) }], currentKeyId: 'k1' });
const auth = { authorization: `Bearer ${OPERATOR_TOKEN}` };
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** The body the Web UI / CLI send: protobuf-JSON Payloads. */
const uiBody = (payloads: Payload[]) => ({ payloads: payloads.map(payloadToJson) });
type JsonPayloads = { payloads: { metadata: Record<string, string>; data: string }[] };

interface Answer {
  statusCode: number;
  headers: Record<string, string | undefined>;
  body: string;
  json<T = unknown>(): T;
}

/**
 * Real HTTP on an ephemeral port rather than fastify.inject: light-my-request pulls in the
 * ESM-only `cookie` package, which Jest's CommonJS runtime cannot require.
 */
describe('codec server', () => {
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    app = buildCodecServer({ codec, operatorToken: OPERATOR_TOKEN, corsOrigins: [UI_ORIGIN] });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  const request = async (method: string, url: string, headers: Record<string, string>, body?: string): Promise<Answer> => {
    const res = await fetch(base + url, { method, headers, body });
    const text = await res.text();
    return {
      statusCode: res.status,
      headers: Object.fromEntries(res.headers.entries()),
      body: text,
      json: <T>() => JSON.parse(text) as T,
    };
  };
  const post = (url: string, payload: unknown, headers: Record<string, string> = auth) =>
    request('POST', url, { 'content-type': 'application/json', 'x-namespace': 'default', ...headers }, JSON.stringify(payload));
  const preflight = (url: string, headers: Record<string, string>) => request('OPTIONS', url, headers);

  it('encodes and decodes in the UI JSON format', async () => {
    const body = {
      payloads: [
        { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(customer)) },
        { metadata: { encoding: b64('binary/null') } },
      ],
    };
    const encoded = await post('/codec/encode', body);
    expect(encoded.statusCode).toBe(200);
    const encrypted = encoded.json<JsonPayloads>();
    expect(encrypted.payloads).toHaveLength(2);
    expect(Buffer.from(encrypted.payloads[0]?.metadata.encoding ?? '', 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    expect(encoded.body).not.toContain(b64(JSON.stringify(customer)));

    const decoded = await post('/codec/decode', encrypted);
    expect(decoded.statusCode).toBe(200);
    expect(decoded.json()).toEqual({
      payloads: [
        { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(customer)) },
        { metadata: { encoding: b64('binary/null') }, data: '' },
      ],
    });
  });

  it('decodes payloads encrypted by a worker, and serves the namespace-templated path too', async () => {
    const encrypted = await codec.encode([defaultPayloadConverter.toPayload(customer)]);
    const res = await post('/codec/default/decode', uiBody(encrypted));
    expect(res.statusCode).toBe(200);
    const [payload] = res.json<JsonPayloads>().payloads;
    expect(JSON.parse(Buffer.from(payload?.data ?? '', 'base64').toString())).toEqual(customer);
  });

  it('refuses requests without, or with a wrong, operator token', async () => {
    const body = uiBody(await codec.encode([defaultPayloadConverter.toPayload(customer)]));
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token-0123456789' },
      { authorization: OPERATOR_TOKEN },
      { authorization: `Basic ${OPERATOR_TOKEN}` },
      { authorization: `Bearer ${OPERATOR_TOKEN}x` },
      { authorization: 'Bearer ' },
    ];
    for (const headers of attempts) {
      for (const url of ['/codec/decode', '/codec/encode']) {
        const res = await post(url, body, headers);
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(res.body).not.toContain('Mustermann');
      }
    }
  });

  it('lets the browser read a 401 from the UI origin (so the UI can show why)', async () => {
    const res = await post('/codec/decode', { payloads: [] }, { origin: UI_ORIGIN });
    expect(res.statusCode).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
  });

  it('answers a CORS preflight from the UI origin without auth', async () => {
    const res = await preflight('/codec/decode', {
      origin: UI_ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-namespace,authorization',
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    const allowed = String(res.headers['access-control-allow-headers']).split(',').map((h) => h.trim());
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'x-namespace', 'authorization']));
    expect(res.headers.vary).toContain('Origin');
  });

  it('sends CORS headers on real requests from the UI origin', async () => {
    const res = await post('/codec/encode', { payloads: [] }, { ...auth, origin: UI_ORIGIN });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(res.json()).toEqual({ payloads: [] });
  });

  it('gives a disallowed origin no CORS allow header', async () => {
    const answer = await preflight('/codec/decode', { origin: 'https://evil.example', 'access-control-request-method': 'POST' });
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(answer.headers['access-control-allow-headers']).toBeUndefined();
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();

    const res = await post('/codec/encode', { payloads: [] }, { ...auth, origin: 'https://evil.example' });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers 400 for a malformed body and for undecryptable payloads, naming only the key id', async () => {
    expect((await post('/codec/decode', { nope: true })).statusCode).toBe(400);
    expect((await post('/codec/decode', { payloads: [{ data: 'not base64 !' }] })).statusCode).toBe(400);

    const foreign = await createAesGcmCodec({ keys: [{ id: 'k-other', key: randomBytes(32) }], currentKeyId: 'k-other' }).encode([
      defaultPayloadConverter.toPayload(customer),
    ]);
    const res = await post('/codec/decode', uiBody(foreign));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'codec_error', message: expect.stringContaining('"k-other"') });
  });

  it('derives the allowed origins from the UI configuration', () => {
    expect(codecCorsOrigins(parseConfig({}))).toEqual(['http://localhost:8233', 'http://127.0.0.1:8233']);
    expect(codecCorsOrigins(parseConfig({ TEMPORAL_UI_URL: 'https://temporal.example.com/ui/' }))).toEqual(['https://temporal.example.com']);
  });

  it('refuses to start with a missing or weak operator token', () => {
    expect(() => buildCodecServer({ codec, operatorToken: '', corsOrigins: [] })).toThrow(/operator token/);
  });
});

describe('failure encoding with the codec', () => {
  it('turns an ApplicationFailure message and stack into an encrypted payload', async () => {
    const config = parseConfig({ CODEC_KEYS: `k1:${randomBytes(32).toString('base64')}` });
    // Loads failureConverterPath the way the worker and client do.
    const converter = loadDataConverter(createDataConverter(config));
    const secret = 'CA rejected order for erika@example.com (Erika Mustermann)';
    const error = ApplicationFailure.create({ message: secret, type: 'CaRejected', nonRetryable: true });

    const failure = await encodeErrorToFailure(converter, error);
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    expect(Buffer.from(failure.encodedAttributes?.metadata?.encoding ?? []).toString()).toBe(ENCRYPTED_ENCODING);
    const serialized = JSON.stringify(failure, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    for (const needle of ['erika@example.com', 'Mustermann', 'CA rejected']) expect(serialized).not.toContain(needle);
    // The type stays readable: retry policies match on it, and it holds no personal data.
    expect(failure.applicationFailureInfo?.type).toBe('CaRejected');

    const decoded = await decodeOptionalFailureToOptionalError(converter, failure);
    expect(decoded).toBeInstanceOf(ApplicationFailure);
    expect(decoded?.message).toBe(secret);
  });
});
