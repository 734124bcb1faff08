import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { CodecKeyConfigError } from '../../src/codec/errors';
import { type DocumentRef, documentRefSchema } from '../../src/storage/document-store';
import {
  DocumentIntegrityError,
  DocumentInvalidError,
  DocumentKeyError,
  DocumentNotFoundError,
  DocumentStoreErrorType,
  DocumentTooLargeError,
  NON_RETRYABLE_DOCUMENT_ERRORS,
} from '../../src/storage/errors';
import { createFsDocumentStore, DEFAULT_CHUNK_BYTES, type FsDocumentStoreOptions } from '../../src/storage/fs-document-store';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const OWNER = 'sign-B-20260101-0001';
const MiB = 1024 * 1024;

let base: string;
beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-docstore-'));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

let rootCount = 0;
/** A fresh, not yet existing root per store: the store creates it. */
function newRoot(): string {
  rootCount += 1;
  return path.join(base, `store-${rootCount}`, 'documents');
}

function store(overrides: Partial<FsDocumentStoreOptions> = {}): ReturnType<typeof createFsDocumentStore> {
  return createFsDocumentStore({ root: overrides.root ?? newRoot(), keys: [k1], currentKeyId: 'k1', ...overrides });
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/**
 * What a consumer in flowing mode saw before the stream failed, and the failure. ('data'
 * events, not `for await`: an async iterator drops what is buffered when the stream fails.)
 */
function readUntilError(stream: Readable): Promise<{ received: Buffer; error: unknown }> {
  const parts: Buffer[] = [];
  return new Promise((resolve) => {
    stream.on('data', (part: Buffer) => parts.push(part));
    stream.on('error', (error) => resolve({ received: Buffer.concat(parts), error }));
    stream.on('end', () => resolve({ received: Buffer.concat(parts), error: undefined }));
  });
}

function objectFile(root: string, id: string): string {
  return path.join(root, 'objects', id.slice(0, 2), id);
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Pieces of odd sizes, so chunk boundaries never line up with the writes. */
function streamOf(bytes: Buffer, piece = 777): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= bytes.length) {
        this.push(null);
        return;
      }
      this.push(bytes.subarray(offset, offset + piece));
      offset += piece;
    },
  });
}

const HEADER_BYTES = 49 + 'k1'.length;
const TAG = 16;

describe('DocumentRef', () => {
  it('is small, carries no content or names, and parses with its schema', async () => {
    const s = store();
    const content = Buffer.from('%PDF-1.7 Erika Mustermann, ID 110101199003077777');
    const ref = await s.put(content, { kind: 'source', contentType: 'application/pdf', owner: OWNER });
    expect(documentRefSchema.parse(ref)).toEqual(ref);
    expect(Object.keys(ref).sort()).toEqual(['contentType', 'id', 'kind', 'sha256', 'size']);
    expect(ref).toMatchObject({ sha256: sha256(content), size: content.length, kind: 'source', contentType: 'application/pdf' });
    expect(ref.id).toMatch(/^[0-9a-f]{32}$/);
    const json = JSON.stringify(ref);
    expect(json.length).toBeLessThan(200);
    for (const secret of ['Erika', '110101199003077777', OWNER]) expect(json).not.toContain(secret);
  });

  it('ids are random: the same content from two owners makes two objects', async () => {
    const s = store();
    const content = Buffer.from('the same contract, uploaded twice');
    const a = await s.put(content, { kind: 'source', owner: 'sign-a' });
    const b = await s.put(content, { kind: 'source', owner: 'sign-b' });
    expect(a.sha256).toBe(b.sha256);
    expect(a.id).not.toBe(b.id);
    expect(fs.readFileSync(objectFile(s.root, a.id)).equals(fs.readFileSync(objectFile(s.root, b.id)))).toBe(false);
    expect((await s.stat(a))?.owner).toBe('sign-a');
    expect((await s.stat(b))?.owner).toBe('sign-b');
  });
});

describe('filesystem document store: round trips', () => {
  it('stores and returns a small document, by reference and by id, with its metadata', async () => {
    const createdAt = new Date('2026-12-01T10:00:00.000Z');
    const s = store({ now: () => createdAt });
    const content = Buffer.from('a small stamp image');
    const ref = await s.put(content, { kind: 'stamp', contentType: 'image/png', owner: OWNER });
    expect((await readAll(await s.get(ref))).equals(content)).toBe(true);
    expect((await readAll(await s.get(ref.id))).equals(content)).toBe(true);
    expect(await s.stat(ref)).toEqual({
      ref,
      owner: OWNER,
      createdAt: createdAt.toISOString(),
      storedBytes: fs.statSync(objectFile(s.root, ref.id)).size,
    });
    expect(await s.stat(ref.id)).toEqual(await s.stat(ref));
  });

  it('stores an empty document', async () => {
    const s = store();
    const ref = await s.put(Buffer.alloc(0), { kind: 'signed', owner: OWNER });
    expect(ref).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)) });
    expect(ref).not.toHaveProperty('contentType');
    expect((await readAll(await s.get(ref))).length).toBe(0);
  });

  it.each([1, 1023, 1024, 1025, 2048, 5000])('round-trips %i bytes around 1 KiB chunk boundaries, from bytes and from a stream', async (size) => {
    const s = store({ chunkBytes: 1024 });
    const content = randomBytes(size);
    for (const input of [content, streamOf(content, 300)]) {
      const ref = await s.put(input, { kind: 'source', owner: OWNER });
      expect(ref).toMatchObject({ size, sha256: sha256(content) });
      const segments = Math.max(1, Math.ceil(size / 1024));
      // header ‖ segments (content + one tag each) ‖ metadata record ‖ its length
      const file = fs.readFileSync(objectFile(s.root, ref.id));
      const record = file.readUInt32BE(file.length - 4);
      expect(file.length).toBe(HEADER_BYTES + size + segments * TAG + record + 4);
      expect((await readAll(await s.get(ref))).equals(content)).toBe(true);
    }
  });
});

describe('filesystem document store: a 20 MB document streams in bounded memory', () => {
  // Retained memory after a full collection: what the store keeps reachable at that moment,
  // whatever garbage the stream left behind (collecting first is what makes this not flaky).
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const retained = (): number => {
    // Twice: a collection first finishes sweeping the array buffers the previous one freed.
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const SIZE = 20 * MiB;
  const HALF = 10 * MiB;
  const BOUND = 4 * MiB;

  it('the probe sees a document held whole (control)', () => {
    const before = retained();
    const held = Buffer.alloc(SIZE, 1);
    expect(retained() - before).toBeGreaterThan(SIZE - MiB);
    expect(held.length).toBe(SIZE);
  });

  it('put and get hold well under 20 MB at once, and the reference and the content match', async () => {
    const s = store();
    const expected = createHash('sha256');
    let produced = 0;
    let duringPut = Number.NaN;
    const baseline = retained();
    const source = new Readable({
      read() {
        if (produced >= SIZE) {
          this.push(null);
          return;
        }
        const piece = randomBytes(Math.min(50_000, SIZE - produced));
        expected.update(piece);
        produced += piece.length;
        // Half-way through the upload: everything the store still holds of the first 10 MB shows here.
        if (Number.isNaN(duringPut) && produced >= HALF) duringPut = retained() - baseline;
        this.push(piece);
      },
    });
    const ref = await s.put(source, { kind: 'source', contentType: 'application/pdf', owner: OWNER });
    const digest = expected.digest('hex');
    expect(ref).toMatchObject({ size: SIZE, sha256: digest });
    expect(duringPut).toBeLessThan(BOUND);

    const got = createHash('sha256');
    let consumed = 0;
    let largestPiece = 0;
    let duringGet = Number.NaN;
    const getBaseline = retained();
    for await (const piece of await s.get(ref)) {
      const bytes = piece as Buffer;
      got.update(bytes);
      consumed += bytes.length;
      largestPiece = Math.max(largestPiece, bytes.length);
      if (Number.isNaN(duringGet) && consumed >= HALF) duringGet = retained() - getBaseline;
    }
    expect(consumed).toBe(SIZE);
    expect(got.digest('hex')).toBe(digest);
    expect(duringGet).toBeLessThan(BOUND);
    expect(largestPiece).toBeLessThanOrEqual(DEFAULT_CHUNK_BYTES);
    // 320 segments of 64 KiB, 16 bytes of tag each, plus header and metadata.
    expect(fs.statSync(objectFile(s.root, ref.id)).size).toBeGreaterThan(SIZE + 320 * TAG);
    expect(fs.statSync(objectFile(s.root, ref.id)).size).toBeLessThan(SIZE + 320 * TAG + 1024);
  });
});

describe('filesystem document store: at rest', () => {
  it('writes no plaintext, no owner and no metadata in clear, and names files by random id only', async () => {
    const s = store({ chunkBytes: 1024 });
    const marker = 'CERTFLOW-PLAINTEXT-MARKER ID 110101199003077777 Erika Mustermann';
    const content = Buffer.from(Array.from({ length: 200 }, () => marker).join('\n'));
    const ref = await s.put(streamOf(content), { kind: 'idPicture', contentType: 'image/jpeg', owner: 'sign-owner-marker-4242' });
    const files = filesUnder(s.root);
    expect(files.map((f) => path.relative(s.root, f))).toEqual([path.join('objects', ref.id.slice(0, 2), ref.id)]);
    for (const file of files) {
      const raw = fs.readFileSync(file);
      for (const needle of ['CERTFLOW-PLAINTEXT-MARKER', '110101199003077777', 'Mustermann', 'sign-owner-marker-4242', 'image/jpeg', 'idPicture', ref.sha256]) {
        expect(raw.toString('latin1')).not.toContain(needle);
        expect(raw.includes(Buffer.from(needle, 'utf16le'))).toBe(false);
      }
      expect(raw.includes(Buffer.from(ref.sha256, 'hex'))).toBe(false);
    }
  });

  it('creates directories 0700 and files 0600', async () => {
    const s = store();
    const ref = await s.put(Buffer.from('x'), { kind: 'stamp', owner: OWNER });
    const mode = (p: string): number => fs.statSync(p).mode & 0o777;
    for (const dir of [s.root, path.join(s.root, 'objects'), path.join(s.root, 'objects', ref.id.slice(0, 2)), path.join(s.root, 'tmp')]) {
      expect([dir, mode(dir).toString(8)]).toEqual([dir, '700']);
    }
    expect(mode(objectFile(s.root, ref.id)).toString(8)).toBe('600');
  });

  it('leaves no object and no temporary file when the content stream fails or is too large', async () => {
    const s = store({ maxBytes: 10_000 });
    const failing = new Readable({
      read() {
        this.destroy(new Error('upload aborted by the client'));
      },
    });
    await expect(s.put(failing, { kind: 'source', owner: OWNER })).rejects.toThrow('upload aborted by the client');
    const tooLarge = s.put(streamOf(randomBytes(10_001)), { kind: 'source', owner: OWNER });
    await expect(tooLarge).rejects.toThrow(DocumentTooLargeError);
    await expect(tooLarge).rejects.toMatchObject({ name: DocumentStoreErrorType.TooLarge, message: 'document is larger than the 10000 bytes the store accepts' });
    expect(filesUnder(s.root)).toEqual([]);
    await expect(s.put(randomBytes(10_000), { kind: 'source', owner: OWNER })).resolves.toMatchObject({ size: 10_000 });
  });

  it('removes stale temporary files of puts that never finished', async () => {
    const s = store();
    await s.put(Buffer.from('x'), { kind: 'stamp', owner: OWNER });
    const stale = path.join(s.root, 'tmp', `${'a'.repeat(32)}.part`);
    const fresh = path.join(s.root, 'tmp', `${'b'.repeat(32)}.part`);
    fs.writeFileSync(stale, 'partial');
    fs.writeFileSync(fresh, 'partial');
    const hourAgo = new Date(Date.now() - 3_600_000);
    fs.utimesSync(stale, hourAgo, hourAgo);
    expect(await s.removeStaleTemporaryFiles(new Date(Date.now() - 60_000))).toBe(1);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
  });
});

describe('filesystem document store: damage is detected', () => {
  const CHUNK = 1024;
  const SEGMENT = CHUNK + TAG;
  const SIZE = 5000; // 4 full chunks and one of 904 bytes
  const content = randomBytes(SIZE);
  let s: ReturnType<typeof createFsDocumentStore>;
  let ref: DocumentRef;
  let file: string;
  let original: Buffer;

  beforeEach(async () => {
    s = store({ chunkBytes: CHUNK });
    ref = await s.put(content, { kind: 'signed', contentType: 'application/pdf', owner: OWNER });
    file = objectFile(s.root, ref.id);
    original = fs.readFileSync(file);
  });

  const segmentAt = (i: number): number => HEADER_BYTES + i * SEGMENT;
  const rewrite = (bytes: Buffer): void => fs.writeFileSync(file, bytes);
  const integrity = (message: string | RegExp): DocumentIntegrityError => expect.objectContaining({ name: DocumentStoreErrorType.Integrity, documentId: ref.id, message: expect.stringMatching(message) }) as DocumentIntegrityError;

  it('one altered byte in a chunk: the chunks before it arrive, then the stream fails naming the chunk', async () => {
    const bytes = Buffer.from(original);
    bytes[segmentAt(2) + 100] = (bytes[segmentAt(2) + 100] as number) ^ 0x01;
    rewrite(bytes);
    const { received, error } = await readUntilError(await s.get(ref));
    expect(error).toBeInstanceOf(DocumentIntegrityError);
    expect(error).toEqual(integrity(/chunk 3 of 5 failed authentication \(altered, reordered or truncated content, or a different key under key id "k1"\)/));
    expect(received.equals(content.subarray(0, 2 * CHUNK))).toBe(true);
  });

  it('one altered byte in the last chunk: nothing of it is emitted', async () => {
    const bytes = Buffer.from(original);
    bytes[segmentAt(4) + 3] = (bytes[segmentAt(4) + 3] as number) ^ 0x80;
    rewrite(bytes);
    const { received, error } = await readUntilError(await s.get(ref.id));
    expect(error).toEqual(integrity(/chunk 5 of 5 failed authentication/));
    expect(received.length).toBe(4 * CHUNK);
  });

  it.each([
    ['the magic bytes', 0, /not a document store object/],
    ['the version', 4, /unsupported object format version/],
    ['the chunk size', 6, /metadata failed authentication|chunk size out of range/],
    ['the salt', 20, /metadata failed authentication: the object was altered, truncated or moved from another id, or a different key is configured under key id "k1"/],
    ['the nonce prefix', 45, /metadata failed authentication/],
    ['the metadata record', -10, /metadata failed authentication/],
    ['the metadata length', -1, /metadata record at the end is missing|metadata failed authentication/],
  ])('one altered byte in %s: get and stat refuse before any content', async (_what, offset, message) => {
    const bytes = Buffer.from(original);
    const at = offset < 0 ? bytes.length + offset : offset;
    bytes[at] = (bytes[at] as number) ^ 0x04;
    rewrite(bytes);
    await expect(s.get(ref)).rejects.toEqual(integrity(message));
    await expect(s.stat(ref)).rejects.toEqual(integrity(message));
  });

  it('swapped chunks fail at the first of them', async () => {
    const bytes = Buffer.from(original);
    original.copy(bytes, segmentAt(1), segmentAt(2), segmentAt(3));
    original.copy(bytes, segmentAt(2), segmentAt(1), segmentAt(2));
    rewrite(bytes);
    const { received, error } = await readUntilError(await s.get(ref));
    expect(error).toEqual(integrity(/chunk 2 of 5 failed authentication/));
    expect(received.equals(content.subarray(0, CHUNK))).toBe(true);
  });

  it.each([
    ['by one byte', (b: Buffer) => b.subarray(0, b.length - 1), /metadata record at the end is missing|metadata failed authentication/],
    ['to half', (b: Buffer) => b.subarray(0, Math.floor(b.length / 2)), /metadata record at the end is missing|metadata failed authentication/],
    ['to its header', (b: Buffer) => b.subarray(0, HEADER_BYTES), /too short for its content and metadata \(truncated\)/],
    ['to nothing', (b: Buffer) => b.subarray(0, 0), /the object is 0 bytes, too short for a header \(truncated\)/],
  ])('a file truncated %s is refused', async (_how, cut, message) => {
    rewrite(cut(original));
    await expect(s.get(ref)).rejects.toEqual(integrity(message));
  });

  it('dropped chunks with the metadata record kept are refused before any content', async () => {
    const trailer = original.subarray(segmentAt(4) + (SIZE - 4 * CHUNK) + TAG);
    // The last chunk gone: the others are intact and the metadata authentic, but it fixes the size.
    rewrite(Buffer.concat([original.subarray(0, segmentAt(4)), trailer]));
    await expect(s.get(ref)).rejects.toEqual(integrity(/920 of its 5080 bytes of encrypted content are missing \(truncated\)/));
    // A middle chunk gone.
    rewrite(Buffer.concat([original.subarray(0, segmentAt(1)), original.subarray(segmentAt(2))]));
    await expect(s.get(ref)).rejects.toEqual(integrity(/1040 of its 5080 bytes of encrypted content are missing \(truncated\)/));
    // A chunk repeated.
    rewrite(Buffer.concat([original.subarray(0, segmentAt(2)), original.subarray(segmentAt(1), segmentAt(2)), original.subarray(segmentAt(2))]));
    await expect(s.get(ref)).rejects.toEqual(integrity(/1040 bytes more encrypted content than were written \(altered\)/));
  });

  it('a file cut while it is being read fails the stream as truncated', async () => {
    const large = randomBytes(300 * CHUNK);
    const big = await s.put(large, { kind: 'signed', owner: OWNER });
    const stream = await s.get(big);
    // The layout was checked when get resolved; the content is read afterwards (at most one read has started).
    fs.truncateSync(objectFile(s.root, big.id), segmentAt(100) + 10);
    const { received, error } = await readUntilError(stream);
    expect(error).toEqual(expect.objectContaining({ name: DocumentStoreErrorType.Integrity, message: `document ${big.id} failed its integrity check: the content ends after 100 of 300 chunks (truncated)` }));
    expect(received.equals(large.subarray(0, 100 * CHUNK))).toBe(true);
  });

  it('an object moved under another id is refused (the id is bound to its key)', async () => {
    const other = await s.put(randomBytes(SIZE), { kind: 'signed', contentType: 'application/pdf', owner: OWNER });
    fs.copyFileSync(file, objectFile(s.root, other.id));
    await expect(s.get(other.id)).rejects.toMatchObject({ name: DocumentStoreErrorType.Integrity, message: expect.stringContaining('moved from another id') });
  });

  it('a reference that does not match the object is refused', async () => {
    const wrong = { ...ref, sha256: sha256(Buffer.from('another document')), size: ref.size + 1 };
    await expect(s.get(wrong)).rejects.toEqual(integrity(/the stored object does not match the reference \(sha256, size differ\)/));
    await expect(s.stat({ ...ref, kind: 'source' })).rejects.toEqual(integrity(/\(kind differ\)/));
  });
});

describe('filesystem document store: keys', () => {
  it('refuses to read with a different key under the same key id', async () => {
    const root = newRoot();
    const ref = await store({ root }).put(Buffer.from('contract'), { kind: 'source', owner: OWNER });
    const impostor = store({ root, keys: [{ id: 'k1', key: randomBytes(32) }] });
    await expect(impostor.get(ref)).rejects.toThrow(DocumentIntegrityError);
    await expect(impostor.get(ref)).rejects.toThrow(/metadata failed authentication: .*or a different key is configured under key id "k1"/);
  });

  it('names a key id that is not configured, and the ones that are', async () => {
    const root = newRoot();
    const ref = await store({ root }).put(Buffer.from('contract'), { kind: 'source', owner: OWNER });
    const other = store({ root, keys: [k2], currentKeyId: 'k2' });
    await expect(other.get(ref)).rejects.toThrow(DocumentKeyError);
    await expect(other.get(ref)).rejects.toMatchObject({
      name: DocumentStoreErrorType.Key,
      message: `document ${ref.id} was encrypted with codec key id "k1", which is not configured (configured: k2)`,
    });
    await expect(other.stat(ref)).rejects.toThrow(DocumentKeyError);
    // Deploying the key heals it, so retry policies keep retrying this one (and no other).
    expect(NON_RETRYABLE_DOCUMENT_ERRORS).not.toContain(DocumentStoreErrorType.Key);
    expect([...NON_RETRYABLE_DOCUMENT_ERRORS].sort()).toEqual(Object.values(DocumentStoreErrorType).filter((t) => t !== DocumentStoreErrorType.Key).sort());
  });

  it('rotates: objects written with the old key stay readable, new ones use the current key', async () => {
    const root = newRoot();
    const oldContent = randomBytes(70_000);
    const newContent = randomBytes(70_000);
    const before = store({ root, keys: [k1], currentKeyId: 'k1' });
    const old = await before.put(oldContent, { kind: 'source', owner: OWNER });

    const rotated = store({ root, keys: [k1, k2], currentKeyId: 'k2' });
    expect((await readAll(await rotated.get(old))).equals(oldContent)).toBe(true);
    const fresh = await rotated.put(newContent, { kind: 'signed', owner: OWNER });
    expect((await readAll(await rotated.get(fresh))).equals(newContent)).toBe(true);

    const keyIdOf = (ref: DocumentRef): string => {
      const bytes = fs.readFileSync(objectFile(root, ref.id));
      return bytes.subarray(49, 49 + (bytes[48] as number)).toString('ascii');
    };
    expect(keyIdOf(old)).toBe('k1');
    expect(keyIdOf(fresh)).toBe('k2');
    // The inventory that says when k1 can go.
    expect(await rotated.countObjectsByKeyId()).toEqual(new Map([['k1', 1], ['k2', 1]]));

    // k1 retired: the new object reads with k2 alone, the old one names the missing key.
    const retired = store({ root, keys: [k2], currentKeyId: 'k2' });
    expect((await readAll(await retired.get(fresh))).equals(newContent)).toBe(true);
    await expect(retired.get(old)).rejects.toThrow(DocumentKeyError);
  });

  it('refuses unusable keys at construction, without echoing key material', () => {
    const make = (keys: FsDocumentStoreOptions['keys'], currentKeyId: string) => () => createFsDocumentStore({ root: newRoot(), keys, currentKeyId });
    expect(make([], 'k1')).toThrow(new CodecKeyConfigError('the document store needs at least one codec key'));
    expect(make([{ id: 'k1', key: Buffer.alloc(16, 7) }], 'k1')).toThrow(new CodecKeyConfigError('codec key "k1" must be 32 bytes, got 16'));
    expect(make([k1], 'k2')).toThrow(new CodecKeyConfigError('current codec key id "k2" is not among the configured keys (k1)'));
    expect(make([k1, { ...k1 }], 'k1')).toThrow(new CodecKeyConfigError('codec key id "k1" is configured twice'));
    expect(() => store({ chunkBytes: 100 })).toThrow(RangeError);
  });
});

describe('filesystem document store: references, ids and deletion', () => {
  it('deletes: the document is gone, a second delete is harmless', async () => {
    const s = store();
    const ref = await s.put(Buffer.from('to be erased'), { kind: 'idPicture', owner: OWNER });
    expect(await s.delete(ref)).toBe(true);
    expect(fs.existsSync(objectFile(s.root, ref.id))).toBe(false);
    expect(await s.delete(ref)).toBe(false);
    expect(await s.stat(ref)).toBeUndefined();
    await expect(s.get(ref)).rejects.toThrow(DocumentNotFoundError);
    await expect(s.get(ref.id)).rejects.toMatchObject({ name: DocumentStoreErrorType.NotFound, message: `document ${ref.id} does not exist (never stored, or deleted)` });
  });

  it('refuses malformed ids and references before touching the filesystem', async () => {
    const s = store();
    for (const bad of ['../../../etc/passwd', `${'a'.repeat(31)}/`, 'A'.repeat(32), '']) {
      await expect(s.get(bad)).rejects.toThrow(DocumentInvalidError);
      await expect(s.delete(bad)).rejects.toThrow(DocumentInvalidError);
    }
    await expect(s.get({ id: 'a'.repeat(32), sha256: 'nope', size: 1, kind: 'source' })).rejects.toThrow('document reference.sha256: must be a SHA-256 in lowercase hex (64 characters)');
  });

  it('refuses bad metadata, naming the field but not the value', async () => {
    const s = store();
    const put = (meta: Record<string, unknown>) => s.put(Buffer.from('x'), meta as never);
    await expect(put({ kind: 'source', owner: 'Erika Mustermann <erika@example.com>' })).rejects.toThrow(
      new DocumentInvalidError('meta.owner: must be an id of up to 128 letters, digits, "_", ".", ":" or "-"'),
    );
    await expect(put({ kind: 'Passport of Erika.pdf', owner: OWNER })).rejects.toThrow(/^meta\.kind: must be a short identifier/);
    await expect(put({ kind: 'source', contentType: 'application/pdf; name="Erika.pdf"', owner: OWNER })).rejects.toThrow(/^meta\.contentType: must be a media type/);
    expect(filesUnder(s.root).length).toBe(0);
  });
});
