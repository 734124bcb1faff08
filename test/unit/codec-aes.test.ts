import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { parseConfig } from '../../src/config';
import {
  createAesGcmCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA_KEY,
} from '../../src/codec/aes-gcm-codec';
import { CodecKeyConfigError, PayloadCodecError } from '../../src/codec/errors';
import { generateKey, loadCodecKeys, parseKeysFile } from '../../src/codec/keys';
import { createCodecFromConfig, createDataConverter, FAILURE_CONVERTER_PATH } from '../../src/temporal/data-converter';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const customer = { name: 'Erika Mustermann', email: 'erika@example.com', phone: '+49 30 1234567' };
const toPayload = (v: unknown): Payload => defaultPayloadConverter.toPayload(v);
const fromPayload = (p: Payload): unknown => defaultPayloadConverter.fromPayload(p);
const text = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const bytesOf = (p: Payload): Buffer => Buffer.concat([...Object.values(p.metadata ?? {}), p.data ?? new Uint8Array()]);

describe('AES-256-GCM payload codec', () => {
  const codec = createAesGcmCodec({ keys: [k1], currentKeyId: 'k1' });

  it('round-trips payloads, metadata included', async () => {
    const original = [toPayload(customer), toPayload('plain'), toPayload(undefined), toPayload(new Uint8Array([1, 2, 3]))];
    const decoded = await codec.decode(await codec.encode(original));
    expect(decoded.map(fromPayload)).toEqual([customer, 'plain', undefined, new Uint8Array([1, 2, 3])]);
    expect(decoded.map((p) => text(p.metadata?.encoding))).toEqual(original.map((p) => text(p.metadata?.encoding)));
  });

  it('leaves no plaintext bytes in the ciphertext, not even the original encoding', async () => {
    const [encrypted] = await codec.encode([toPayload(customer)]);
    const all = bytesOf(encrypted as Payload).toString('latin1');
    for (const needle of [customer.name, customer.email, 'Mustermann', 'erika', 'json/plain']) {
      expect(all).not.toContain(needle);
    }
  });

  it('marks payloads as encrypted and names the key id', async () => {
    const [encrypted] = (await codec.encode([toPayload(customer)])) as [Payload];
    expect(text(encrypted.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted.metadata?.[KEY_ID_METADATA_KEY])).toBe('k1');
    expect(Object.keys(encrypted.metadata ?? {}).sort()).toEqual(['encoding', 'encryption-key-id']);
  });

  it('uses a random IV: the same input encrypts differently each time', async () => {
    const payload = toPayload(customer);
    const [a, b] = (await codec.encode([payload, payload])) as [Payload, Payload];
    expect(Buffer.from(a.data ?? []).equals(Buffer.from(b.data ?? []))).toBe(false);
    expect(Buffer.from(a.data ?? []).subarray(0, 12).equals(Buffer.from(b.data ?? []).subarray(0, 12))).toBe(false);
  });

  it('rotates keys: decrypts with any configured key, encrypts with the current one', async () => {
    const old = await createAesGcmCodec({ keys: [k1], currentKeyId: 'k1' }).encode([toPayload(customer)]);
    const rotated = createAesGcmCodec({ keys: [k1, k2], currentKeyId: 'k2' });
    expect((await rotated.decode(old)).map(fromPayload)).toEqual([customer]);

    const [fresh] = (await rotated.encode([toPayload(customer)])) as [Payload];
    expect(text(fresh.metadata?.[KEY_ID_METADATA_KEY])).toBe('k2');
    await expect(createAesGcmCodec({ keys: [k2], currentKeyId: 'k2' }).decode([fresh])).resolves.toHaveLength(1);
    await expect(codec.decode([fresh])).rejects.toThrow(/"k2".*not configured/);
  });

  it('rejects tampered ciphertext, IV or tag (GCM authentication)', async () => {
    const [encrypted] = (await codec.encode([toPayload(customer)])) as [Payload];
    const length = (encrypted.data ?? new Uint8Array()).length;
    for (const index of [0, 12, Math.floor(length / 2), length - 1]) {
      const data = Buffer.from(encrypted.data ?? []);
      data[index] = (data[index] as number) ^ 0x01;
      await expect(codec.decode([{ ...encrypted, data }])).rejects.toThrow(PayloadCodecError);
    }
    await expect(codec.decode([{ ...encrypted, data: Buffer.alloc(10) }])).rejects.toThrow(/too short/);
  });

  it('fails with the key id, never the key, when the key id is unknown', async () => {
    const [encrypted] = (await codec.encode([toPayload(customer)])) as [Payload];
    const foreign = { ...encrypted, metadata: { ...encrypted.metadata, [KEY_ID_METADATA_KEY]: Buffer.from('k-retired') } };
    const error = await codec.decode([foreign]).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(PayloadCodecError);
    expect((error as Error).message).toContain('"k-retired"');
    expect((error as Error).message).not.toContain(k1.key.toString('base64'));
  });

  it('passes unencrypted payloads through decode unchanged (histories from before encryption)', async () => {
    const legacy = [toPayload(customer), toPayload(null), { metadata: {}, data: Buffer.from('raw') }];
    const decoded = await codec.decode(legacy);
    expect(decoded).toEqual(legacy);
  });

  it('refuses a bad keyring at construction', () => {
    expect(() => createAesGcmCodec({ keys: [k1], currentKeyId: 'k2' })).toThrow(/"k2"/);
    expect(() => createAesGcmCodec({ keys: [{ id: 'short', key: randomBytes(16) }], currentKeyId: 'short' })).toThrow(/32 bytes, got 16/);
    expect(() => createAesGcmCodec({ keys: [k1, { ...k1 }], currentKeyId: 'k1' })).toThrow(/twice/);
    expect(() => createAesGcmCodec({ keys: [], currentKeyId: 'k1' })).toThrow(/at least one key/);
  });
});

describe('codec keys from configuration', () => {
  const b64 = (b: Buffer): string => b.toString('base64');
  const fileDeps = (files: Record<string, string>) => ({
    readFile: (path: string): string => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return content;
    },
  });
  const keysJson = (o: unknown): string => JSON.stringify(o);

  it('is off when no keys are configured', () => {
    expect(loadCodecKeys(parseConfig({}))).toBeUndefined();
    expect(createCodecFromConfig(parseConfig({}))).toBeUndefined();
    expect(createDataConverter(parseConfig({}))).toEqual({});
  });

  it('reads CODEC_KEYS; the current key is CODEC_CURRENT_KEY_ID or the last listed', () => {
    const env = { CODEC_KEYS: `k1:${b64(k1.key)},k2:${b64(k2.key)}` };
    expect(loadCodecKeys(parseConfig(env))?.currentKeyId).toBe('k2');
    const pinned = loadCodecKeys(parseConfig({ ...env, CODEC_CURRENT_KEY_ID: 'k1' }));
    expect(pinned?.currentKeyId).toBe('k1');
    expect(pinned?.keys.map((k) => k.id)).toEqual(['k1', 'k2']);
    expect(pinned?.keys[1]?.key.equals(k2.key)).toBe(true);
  });

  it('reads CODEC_KEYS_FILE with its currentKeyId, and merges it with CODEC_KEYS', () => {
    const deps = fileDeps({
      '/run/secrets/codec.json': keysJson({ currentKeyId: 'k1', keys: [{ id: 'k1', key: b64(k1.key) }, { id: 'k2', key: b64(k2.key) }] }),
    });
    const fromFile = loadCodecKeys(parseConfig({ CODEC_KEYS_FILE: '/run/secrets/codec.json' }), deps);
    expect(fromFile?.currentKeyId).toBe('k1');
    expect(fromFile?.keys.map((k) => k.id)).toEqual(['k1', 'k2']);

    const k3 = randomBytes(32);
    const merged = loadCodecKeys(
      parseConfig({ CODEC_KEYS_FILE: '/run/secrets/codec.json', CODEC_KEYS: `k3:${b64(k3)}`, CODEC_CURRENT_KEY_ID: 'k3' }),
      deps,
    );
    expect(merged?.keys.map((k) => k.id)).toEqual(['k1', 'k2', 'k3']);
    expect(merged?.currentKeyId).toBe('k3');
  });

  it('builds a working data converter with the failure converter path', async () => {
    const converter = createDataConverter(parseConfig({ CODEC_KEYS: `k1:${b64(k1.key)}` }));
    expect(converter.payloadCodecs).toHaveLength(1);
    expect(converter.failureConverterPath).toBe(FAILURE_CONVERTER_PATH);
    const codec = converter.payloadCodecs?.[0];
    const [encrypted] = (await codec?.encode([toPayload(customer)])) ?? [];
    expect(text(encrypted?.metadata?.[KEY_ID_METADATA_KEY])).toBe('k1');
  });

  it('rejects a key of the wrong length, naming the file and the field, never the key', () => {
    const short = b64(randomBytes(16));
    const deps = fileDeps({ '/etc/certflow/keys.json': keysJson({ keys: [{ id: 'k1', key: b64(k1.key) }, { id: 'k2', key: short }] }) });
    const load = () => loadCodecKeys(parseConfig({ CODEC_KEYS_FILE: '/etc/certflow/keys.json' }), deps);
    expect(load).toThrow(CodecKeyConfigError);
    expect(load).toThrow(/CODEC_KEYS_FILE \/etc\/certflow\/keys\.json: keys\[1\]\.key: must be base64 of exactly 32 bytes \(got 16 bytes\)/);
    try {
      load();
    } catch (e) {
      expect((e as Error).message).not.toContain(short);
    }
  });

  it('names the problem for other bad files without echoing their content', () => {
    const secret = b64(k1.key);
    const cases: [string, RegExp][] = [
      [`{"keys": [{"id": "k1", "key": "${secret}"}`, /not valid JSON/],
      [keysJson({ keys: [] }), /keys: must list at least one key/],
      [keysJson({ keys: [{ id: 'k 1', key: secret }] }), /keys\[0\]\.id: must be a key id/],
      [keysJson({ keys: [{ id: 'k1', key: 'not base64!' }] }), /keys\[0\]\.key: must be standard base64/],
      [keysJson({ currentKeyID: 'k1', keys: [{ id: 'k1', key: secret }] }), /currentKeyID/],
      [keysJson({ currentKeyId: 'k9', keys: [{ id: 'k1', key: secret }] }), /currentKeyId: "k9" is not one of the configured key ids \(k1\)/],
      [keysJson({ keys: [{ id: 'k1', key: secret }, { id: 'k1', key: b64(k2.key) }] }), /keys\[1\]\.id: "k1" is already used by keys\[0\]/],
    ];
    for (const [content, message] of cases) {
      const load = () => loadCodecKeys(parseConfig({ CODEC_KEYS_FILE: 'keys.json' }), fileDeps({ 'keys.json': content }));
      expect(load).toThrow(message);
      expect(load).toThrow(/keys\.json/);
      try {
        load();
      } catch (e) {
        expect((e as Error).message).not.toContain(secret);
      }
    }
    const conflicting = fileDeps({ 'keys.json': keysJson({ keys: [{ id: 'k1', key: secret }] }) });
    expect(() => loadCodecKeys(parseConfig({ CODEC_KEYS_FILE: 'keys.json', CODEC_KEYS: `k1:${b64(k2.key)}` }), conflicting)).toThrow(
      /"k1" is in both CODEC_KEYS_FILE keys\.json and CODEC_KEYS, with different keys/,
    );
    expect(() => loadCodecKeys(parseConfig({ CODEC_KEYS_FILE: 'missing.json' }), fileDeps({}))).toThrow(
      /CODEC_KEYS_FILE missing\.json: cannot be read \(ENOENT\)/,
    );
  });

  it('parses a keys file directly', () => {
    const parsed = parseKeysFile(keysJson({ keys: [{ id: 'k1', key: b64(k1.key) }] }), 'inline');
    expect(parsed.keys[0]?.key.equals(k1.key)).toBe(true);
  });

  it('generates 32-byte base64 keys that the config accepts', () => {
    const key = generateKey();
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(generateKey()).not.toBe(key);
    expect(loadCodecKeys(parseConfig({ CODEC_KEYS: `dev:${key}` }))?.currentKeyId).toBe('dev');
  });
});
