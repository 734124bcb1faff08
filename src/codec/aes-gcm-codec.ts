import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { PayloadCodecError } from './errors';

/**
 * AES-256-GCM payload codec. Wire format matches Temporal's official encryption samples
 * (data = IV ‖ ciphertext ‖ tag, the whole original Payload protobuf-encoded inside) so that
 * the samples' codec servers in other languages can read certflow histories given the keys.
 */

export const ENCODING_METADATA_KEY = 'encoding';
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA_KEY = 'encryption-key-id';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export interface CodecKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface AesGcmCodecOptions {
  /** Every key that may have encrypted a stored payload; decode tries the one the payload names. */
  readonly keys: readonly CodecKey[];
  /** The key new payloads are encrypted with. */
  readonly currentKeyId: string;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

function metadataString(payload: Payload, key: string): string | undefined {
  const raw = payload.metadata?.[key];
  if (raw === undefined || raw === null) return undefined;
  try {
    return fromUtf8.decode(raw);
  } catch {
    return undefined;
  }
}

function keyTable(options: AesGcmCodecOptions): ReadonlyMap<string, Buffer> {
  if (options.keys.length === 0) throw new PayloadCodecError('the AES-GCM codec needs at least one key');
  const table = new Map<string, Buffer>();
  for (const { id, key } of options.keys) {
    if (table.has(id)) throw new PayloadCodecError(`codec key id "${id}" is configured twice`);
    if (key.length !== KEY_BYTES) {
      throw new PayloadCodecError(`codec key "${id}" must be ${KEY_BYTES} bytes, got ${key.length}`);
    }
    // A private copy: the caller's buffer may be zeroed or reused after construction.
    table.set(id, Buffer.from(key));
  }
  if (!table.has(options.currentKeyId)) {
    throw new PayloadCodecError(
      `current codec key id "${options.currentKeyId}" is not among the configured keys (${[...table.keys()].join(', ')})`,
    );
  }
  return table;
}

export function createAesGcmCodec(options: AesGcmCodecOptions): PayloadCodec {
  const keys = keyTable(options);
  const currentKeyId = options.currentKeyId;
  const currentKey = keys.get(currentKeyId) as Buffer;
  const currentKeyIdBytes = utf8.encode(currentKeyId);

  function encryptOne(payload: Payload): Payload {
    // Serializing the whole Payload (not just data) keeps its metadata, e.g. the
    // json/plain encoding or a message type name, out of the history too.
    const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, currentKey, iv, { authTagLength: TAG_BYTES });
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [ENCODING_METADATA_KEY]: utf8.encode(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA_KEY]: currentKeyIdBytes,
      },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  function decryptOne(payload: Payload): Payload {
    // Histories written before encryption was switched on must stay readable.
    if (metadataString(payload, ENCODING_METADATA_KEY) !== ENCRYPTED_ENCODING) return payload;

    const keyId = metadataString(payload, KEY_ID_METADATA_KEY);
    if (keyId === undefined) {
      throw new PayloadCodecError(`encrypted payload has no "${KEY_ID_METADATA_KEY}" metadata`);
    }
    const key = keys.get(keyId);
    if (key === undefined) {
      throw new PayloadCodecError(
        `payload was encrypted with codec key id "${keyId}", which is not configured (configured: ${[...keys.keys()].join(', ')})`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadCodecError(`encrypted payload (key id "${keyId}") is too short to be valid`);
    }
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const iv = bytes.subarray(0, IV_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const ciphertext = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      // node:crypto's message ("unable to authenticate data") does not say which key or why.
      throw new PayloadCodecError(
        `cannot decrypt payload with codec key id "${keyId}": authentication failed (data altered, or a different key under the same id)`,
      );
    }
    let inner: temporal.api.common.v1.Payload;
    try {
      inner = temporal.api.common.v1.Payload.decode(plaintext);
    } catch {
      throw new PayloadCodecError(`decrypted payload (key id "${keyId}") is not a valid Payload message`);
    }
    // protobufjs leaves an absent bytes field as a plain [] default; callers expect bytes.
    const decoded: Payload = { metadata: inner.metadata, data: Uint8Array.from(inner.data) };
    if (inner.externalPayloads.length > 0) decoded.externalPayloads = inner.externalPayloads;
    return decoded;
  }

  return {
    async encode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map(encryptOne);
    },
    async decode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map(decryptOne);
    },
  };
}
