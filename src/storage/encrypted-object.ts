import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { z } from 'zod';
import { type CodecKey, KEY_BYTES } from '../codec/aes-gcm-codec';
import { CodecKeyConfigError } from '../codec/errors';
import {
  type DocumentKind,
  type DocumentRef,
  documentContentTypeSchema,
  documentKindSchema,
  documentOwnerSchema,
  sha256HexSchema,
} from './document-store';
import { DocumentIntegrityError, DocumentKeyError, DocumentTooLargeError } from './errors';

/**
 * The encrypted object format of the document store, whatever holds the bytes (a file here;
 * an S3 object would take the same bytes, written by a streamed upload and read with ranged
 * GETs through `RandomAccessObject`). docs/document-store.md describes it for operators.
 *
 * ## Version 1: a STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, "Online
 * authenticated-encryption and its nonce-reuse misuse-resistance", 2015), laid out like
 * Tink's AES-GCM-HKDF streaming AEAD
 *
 * ```
 * header     "CFDS" | version 0x01 | chunk size C (uint32 BE) | salt (32) | nonce prefix (7)
 *            | key id length (uint8) | key id (ASCII)
 * segment i  AES-256-GCM(plaintext bytes [i·C, (i+1)·C)) ‖ tag (16)     for i = 0 … n−1
 * metadata   AES-256-GCM(JSON { v, sha256, size, kind, contentType?, owner, createdAt }) ‖ tag (16)
 * length     byte length of the metadata record, tag included (uint32 BE)
 * ```
 *
 * - Every object has its own AES-256 key, HKDF-SHA256(codec key, salt, "certflow document
 *   store v1" ‖ 0 ‖ object id ‖ 0 ‖ header): the header (version, chunk size, key id, salt,
 *   prefix) and the object's id are bound to every segment, so an altered header, or an
 *   object moved to another id, fails authentication. A key per object also keeps the GCM
 *   nonces of millions of objects from ever meeting, and separates this use of the codec
 *   keys from the payload codec's.
 * - Nonce of segment i: prefix (7) ‖ i (uint32 BE) ‖ flag (1): 0x00 for a segment, 0x01 for
 *   the last segment, 0x02 (with i = 0xFFFFFFFF) for the metadata record. Reordered or
 *   swapped segments fail (wrong counter); a cut after a non-final segment fails (it was not
 *   sealed as the last); the authenticated metadata carries the size, which fixes the number
 *   of segments, so dropped or repeated segments are seen before any byte is read.
 * - Every segment holds C plaintext bytes but the last, which holds 0 … C (one empty segment
 *   for an empty document): n = max(1, ceil(size / C)), and the encrypted content is
 *   size + 16·n bytes.
 * - Writing streams: one chunk buffer of C bytes, the SHA-256 computed on the way. Reading
 *   streams too, and emits each chunk only after its tag verified, the last only after the
 *   SHA-256 of the whole matched.
 * - The key id in the header picks the codec key (rotation: any configured key decrypts; new
 *   objects use the current one). Only the key id, the chunk size and random values are in
 *   clear: no content, no metadata.
 */

const MAGIC = Buffer.from('CFDS', 'ascii');
const FORMAT_VERSION = 1;
const SALT_BYTES = 32;
const NONCE_PREFIX_BYTES = 7;
const TAG_BYTES = 16;
const LENGTH_BYTES = 4;
/** magic, version, chunk size, salt, nonce prefix, key id length; the key id follows. */
export const FIXED_HEADER_BYTES = 4 + 1 + 4 + SALT_BYTES + NONCE_PREFIX_BYTES + 1;
const FLAG_SEGMENT = 0x00;
const FLAG_LAST_SEGMENT = 0x01;
const FLAG_METADATA = 0x02;
const METADATA_INDEX = 0xffffffff;
const MAX_METADATA_BYTES = 4096;
const HKDF_LABEL = Buffer.from('certflow document store v1', 'ascii');
const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,255}$/;

export const DEFAULT_CHUNK_BYTES = 64 * 1024;
export const MIN_CHUNK_BYTES = 1024;
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024;

/** The codec keys as the document store uses them: any decrypts, the current one encrypts. */
export interface ObjectKeyring {
  readonly currentKeyId: string;
  readonly keyIds: readonly string[];
  key(id: string): Buffer | undefined;
}

/** Validates and copies the keys (the same rules as the payload codec, plus an id of at most 255 characters). */
export function createObjectKeyring(keys: readonly CodecKey[], currentKeyId: string): ObjectKeyring {
  if (keys.length === 0) throw new CodecKeyConfigError('the document store needs at least one codec key');
  const table = new Map<string, Buffer>();
  for (const { id, key } of keys) {
    if (!KEY_ID_PATTERN.test(id)) throw new CodecKeyConfigError(`codec key id "${id}" is not usable by the document store (1 to 255 letters, digits, "_", "." or "-")`);
    if (table.has(id)) throw new CodecKeyConfigError(`codec key id "${id}" is configured twice`);
    if (key.length !== KEY_BYTES) throw new CodecKeyConfigError(`codec key "${id}" must be ${KEY_BYTES} bytes, got ${key.length}`);
    // A private copy: the caller's buffer may be zeroed or reused after construction.
    table.set(id, Buffer.from(key));
  }
  if (!table.has(currentKeyId)) {
    throw new CodecKeyConfigError(`current codec key id "${currentKeyId}" is not among the configured keys (${[...table.keys()].join(', ')})`);
  }
  return { currentKeyId, keyIds: Object.freeze([...table.keys()]), key: (id) => table.get(id) };
}

const storedMetadataSchema = z.object({
  v: z.literal(1),
  sha256: sha256HexSchema,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  kind: documentKindSchema,
  contentType: documentContentTypeSchema.optional(),
  owner: documentOwnerSchema,
  createdAt: z.string(),
});
/** The encrypted metadata record at the end of every object. */
export type StoredMetadata = z.infer<typeof storedMetadataSchema>;

/** What `readObjectLayout` learnt from an object's header and metadata, authenticated. */
export interface ObjectLayout {
  readonly keyId: string;
  readonly chunkBytes: number;
  /** The encrypted content is bytes [dataStart, dataEnd) of the object. */
  readonly dataStart: number;
  readonly dataEnd: number;
  readonly objectBytes: number;
  readonly metadata: StoredMetadata;
  readonly key: Buffer;
  readonly noncePrefix: Buffer;
}

/** An object's bytes by position: a file handle, or ranged GETs on an object store. */
export interface RandomAccessObject {
  readonly size: number;
  /** Exactly `length` bytes at `position`, or fewer when the object is shorter. */
  read(position: number, length: number): Promise<Buffer>;
}

function buildHeader(chunkBytes: number, salt: Buffer, noncePrefix: Buffer, keyId: string): Buffer {
  const keyIdBytes = Buffer.from(keyId, 'ascii');
  const header = Buffer.alloc(FIXED_HEADER_BYTES + keyIdBytes.length);
  MAGIC.copy(header, 0);
  header[4] = FORMAT_VERSION;
  header.writeUInt32BE(chunkBytes, 5);
  salt.copy(header, 9);
  noncePrefix.copy(header, 9 + SALT_BYTES);
  header[FIXED_HEADER_BYTES - 1] = keyIdBytes.length;
  keyIdBytes.copy(header, FIXED_HEADER_BYTES);
  return header;
}

function objectKey(codecKey: Buffer, salt: Buffer, id: string, header: Buffer): Buffer {
  const info = Buffer.concat([HKDF_LABEL, Buffer.of(0), Buffer.from(id, 'utf8'), Buffer.of(0), header]);
  return Buffer.from(hkdfSync('sha256', codecKey, salt, info, KEY_BYTES));
}

function nonce(prefix: Buffer, index: number, flag: number): Buffer {
  const n = Buffer.alloc(NONCE_PREFIX_BYTES + 5);
  prefix.copy(n, 0);
  n.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  n[NONCE_PREFIX_BYTES + 4] = flag;
  return n;
}

function seal(key: Buffer, prefix: Buffer, index: number, flag: number, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce(prefix, index, flag), { authTagLength: TAG_BYTES });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** The plaintext, or undefined when the tag does not verify. */
function open(key: Buffer, prefix: Buffer, index: number, flag: number, sealed: Buffer): Buffer | undefined {
  if (sealed.length < TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce(prefix, index, flag), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

function segmentCount(size: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(size / chunkBytes));
}

export interface ObjectEncryptorOptions {
  readonly id: string;
  readonly keyring: ObjectKeyring;
  readonly chunkBytes: number;
  readonly maxBytes: number | undefined;
  readonly kind: DocumentKind;
  readonly contentType: string | undefined;
  readonly owner: string;
  readonly now: () => Date;
}

/**
 * Plaintext in, the whole object out (header ‖ segments ‖ metadata record ‖ length), holding
 * one chunk whatever the size. `reference()` is the document's reference once the stream
 * has finished.
 */
export class ObjectEncryptor extends Transform {
  private readonly chunk: Buffer;
  private readonly header: Buffer;
  private readonly key: Buffer;
  private readonly noncePrefix: Buffer;
  private filled = 0;
  private index = 0;
  private bytes = 0;
  private headerSent = false;
  private readonly hash = createHash('sha256');
  private finished: DocumentRef | undefined;

  constructor(private readonly o: ObjectEncryptorOptions) {
    super();
    const salt = randomBytes(SALT_BYTES);
    this.noncePrefix = randomBytes(NONCE_PREFIX_BYTES);
    const { currentKeyId } = o.keyring;
    this.header = buildHeader(o.chunkBytes, salt, this.noncePrefix, currentKeyId);
    this.key = objectKey(o.keyring.key(currentKeyId) as Buffer, salt, o.id, this.header);
    this.chunk = Buffer.allocUnsafe(o.chunkBytes);
  }

  reference(): DocumentRef {
    if (!this.finished) throw new Error('document store: the object is not completely written yet');
    return this.finished;
  }

  private sendHeader(): void {
    if (this.headerSent) return;
    this.headerSent = true;
    this.push(this.header);
  }

  private sealChunk(flag: number): void {
    if (this.index >= METADATA_INDEX - 1) throw new DocumentTooLargeError(this.o.chunkBytes * (METADATA_INDEX - 1));
    this.push(seal(this.key, this.noncePrefix, this.index, flag, this.chunk.subarray(0, this.filled)));
    this.index += 1;
    this.filled = 0;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.sendHeader();
      this.bytes += data.length;
      if (this.o.maxBytes !== undefined && this.bytes > this.o.maxBytes) {
        done(new DocumentTooLargeError(this.o.maxBytes));
        return;
      }
      this.hash.update(data);
      let offset = 0;
      while (offset < data.length) {
        // A full chunk is sealed only once more data shows it is not the last one.
        if (this.filled === this.o.chunkBytes) this.sealChunk(FLAG_SEGMENT);
        const copied = data.copy(this.chunk, this.filled, offset);
        this.filled += copied;
        offset += copied;
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.sendHeader();
      this.sealChunk(FLAG_LAST_SEGMENT);
      const { id, kind, contentType, owner } = this.o;
      const sha256 = this.hash.digest('hex');
      const size = this.bytes;
      const typed = contentType === undefined ? {} : { contentType };
      const metadata: StoredMetadata = { v: 1, sha256, size, kind, ...typed, owner, createdAt: this.o.now().toISOString() };
      const record = seal(this.key, this.noncePrefix, METADATA_INDEX, FLAG_METADATA, Buffer.from(JSON.stringify(metadata), 'utf8'));
      const length = Buffer.alloc(LENGTH_BYTES);
      length.writeUInt32BE(record.length, 0);
      this.push(record);
      this.push(length);
      this.finished = { id, sha256, size, kind, ...typed };
      done();
    } catch (err) {
      done(err as Error);
    }
  }
}

/** The key id an object names in its header, without authenticating anything (for inventories). */
export async function readObjectKeyId(object: RandomAccessObject): Promise<string | undefined> {
  const fixed = await object.read(0, FIXED_HEADER_BYTES);
  if (fixed.length < FIXED_HEADER_BYTES || !fixed.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const keyId = (await object.read(FIXED_HEADER_BYTES, fixed[FIXED_HEADER_BYTES - 1] as number)).toString('latin1');
  return KEY_ID_PATTERN.test(keyId) ? keyId : undefined;
}

/**
 * Authenticates an object's header and metadata and checks the length of its encrypted
 * content, without reading the content. `id` is the id the object is stored under.
 */
export async function readObjectLayout(id: string, keyring: ObjectKeyring, object: RandomAccessObject): Promise<ObjectLayout> {
  const damaged = (problem: string): DocumentIntegrityError => new DocumentIntegrityError(id, problem);
  const objectBytes = object.size;
  const readAt = async (position: number, length: number): Promise<Buffer> => {
    const bytes = await object.read(position, length);
    if (bytes.length !== length) throw damaged('the object ends inside its header or metadata (truncated or altered)');
    return bytes;
  };

  if (objectBytes < FIXED_HEADER_BYTES) throw damaged(`the object is ${objectBytes} bytes, too short for a header (truncated)`);
  const fixed = await readAt(0, FIXED_HEADER_BYTES);
  if (!fixed.subarray(0, MAGIC.length).equals(MAGIC)) throw damaged('not a document store object (unknown magic bytes)');
  if (fixed[4] !== FORMAT_VERSION) throw damaged(`unsupported object format version ${fixed[4]}`);
  const chunkBytes = fixed.readUInt32BE(5);
  if (chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) throw damaged('the header is altered (chunk size out of range)');
  const salt = fixed.subarray(9, 9 + SALT_BYTES);
  const noncePrefix = fixed.subarray(9 + SALT_BYTES, 9 + SALT_BYTES + NONCE_PREFIX_BYTES);
  const keyIdBytes = await readAt(FIXED_HEADER_BYTES, fixed[FIXED_HEADER_BYTES - 1] as number);
  const keyId = keyIdBytes.toString('latin1');
  if (!KEY_ID_PATTERN.test(keyId)) throw damaged('the header is altered (the key id is not a key id)');
  const codecKey = keyring.key(keyId);
  if (!codecKey) throw new DocumentKeyError(id, keyId, keyring.keyIds);
  const header = Buffer.concat([fixed, keyIdBytes]);
  const key = objectKey(codecKey, salt, id, header);

  const dataStart = header.length;
  if (objectBytes < dataStart + TAG_BYTES + TAG_BYTES + LENGTH_BYTES) throw damaged('the object is too short for its content and metadata (truncated)');
  const recordBytes = (await readAt(objectBytes - LENGTH_BYTES, LENGTH_BYTES)).readUInt32BE(0);
  if (recordBytes < TAG_BYTES || recordBytes > MAX_METADATA_BYTES + TAG_BYTES || dataStart + TAG_BYTES + recordBytes + LENGTH_BYTES > objectBytes) {
    throw damaged('the metadata record at the end is missing (truncated or altered)');
  }
  const dataEnd = objectBytes - LENGTH_BYTES - recordBytes;
  const plaintext = open(key, noncePrefix, METADATA_INDEX, FLAG_METADATA, await readAt(dataEnd, recordBytes));
  if (!plaintext) {
    throw damaged(
      `its metadata failed authentication: the object was altered, truncated or moved from another id, or a different key is configured under key id "${keyId}"`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(plaintext.toString('utf8'));
  } catch {
    json = undefined;
  }
  const parsed = storedMetadataSchema.safeParse(json);
  if (!parsed.success) throw damaged('its metadata is malformed');
  const metadata = parsed.data;

  const segments = segmentCount(metadata.size, chunkBytes);
  if (segments >= METADATA_INDEX) throw damaged('its metadata is malformed (too many chunks)');
  const expected = metadata.size + segments * TAG_BYTES;
  const actual = dataEnd - dataStart;
  if (actual < expected) throw damaged(`${expected - actual} of its ${expected} bytes of encrypted content are missing (truncated)`);
  if (actual > expected) throw damaged(`${actual - expected} bytes more encrypted content than were written (altered)`);
  return { keyId, chunkBytes, dataStart, dataEnd, objectBytes, metadata, key, noncePrefix };
}

/**
 * The object's encrypted content (bytes [dataStart, dataEnd)) in, plaintext out: each chunk
 * after its tag verified, the last after the SHA-256 of the whole matched; content that ends
 * early or runs on fails the stream with `DocumentIntegrityError`.
 */
export class ObjectDecryptor extends Transform {
  private readonly segment: Buffer;
  private filled = 0;
  private index = 0;
  private readonly segments: number;
  private readonly lastSegmentBytes: number;
  private readonly hash = createHash('sha256');

  constructor(
    private readonly id: string,
    private readonly layout: ObjectLayout,
  ) {
    super();
    const { size } = layout.metadata;
    this.segments = segmentCount(size, layout.chunkBytes);
    this.lastSegmentBytes = size - layout.chunkBytes * (this.segments - 1) + TAG_BYTES;
    this.segment = Buffer.allocUnsafe(layout.chunkBytes + TAG_BYTES);
  }

  private get wanted(): number {
    return this.index < this.segments - 1 ? this.layout.chunkBytes + TAG_BYTES : this.lastSegmentBytes;
  }

  private damaged(problem: string): DocumentIntegrityError {
    return new DocumentIntegrityError(this.id, problem);
  }

  private openSegment(): DocumentIntegrityError | undefined {
    const last = this.index === this.segments - 1;
    const { key, noncePrefix, keyId, metadata } = this.layout;
    const plaintext = open(key, noncePrefix, this.index, last ? FLAG_LAST_SEGMENT : FLAG_SEGMENT, this.segment.subarray(0, this.filled));
    if (!plaintext) {
      return this.damaged(
        `chunk ${this.index + 1} of ${this.segments} failed authentication (altered, reordered or truncated content, or a different key under key id "${keyId}")`,
      );
    }
    this.hash.update(plaintext);
    if (last && this.hash.digest('hex') !== metadata.sha256) return this.damaged('the SHA-256 of the content does not match the one recorded when it was stored');
    this.push(plaintext);
    this.index += 1;
    this.filled = 0;
    return undefined;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let offset = 0;
    while (offset < data.length) {
      if (this.index >= this.segments) {
        done(this.damaged('more encrypted content than was written'));
        return;
      }
      const copied = data.copy(this.segment, this.filled, offset, offset + Math.min(this.wanted - this.filled, data.length - offset));
      this.filled += copied;
      offset += copied;
      if (this.filled === this.wanted) {
        const error = this.openSegment();
        if (error) {
          done(error);
          return;
        }
      }
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    done(this.index < this.segments ? this.damaged(`the content ends after ${this.index} of ${this.segments} chunks (truncated)`) : undefined);
  }
}

/** The reference of a stored object, from its authenticated metadata. */
export function referenceOf(id: string, m: StoredMetadata): DocumentRef {
  return { id, sha256: m.sha256, size: m.size, kind: m.kind, ...(m.contentType === undefined ? {} : { contentType: m.contentType }) };
}

/** A `DocumentRef` must describe the stored object exactly; a bare id takes what is stored. */
export function checkReference(id: string, ref: DocumentRef | string, stored: StoredMetadata): void {
  if (typeof ref === 'string') return;
  const differ = [
    ref.sha256 !== stored.sha256 && 'sha256',
    ref.size !== stored.size && 'size',
    ref.kind !== stored.kind && 'kind',
    ref.contentType !== stored.contentType && 'contentType',
  ].filter((d): d is string => d !== false);
  if (differ.length > 0) throw new DocumentIntegrityError(id, `the stored object does not match the reference (${differ.join(', ')} differ)`);
}
