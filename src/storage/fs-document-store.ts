import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline as pipelineWithCallback, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import type { CodecKey } from '../codec/aes-gcm-codec';
import { type DocumentContent, type DocumentInfo, type DocumentMeta, type DocumentRef, type DocumentStore, documentMetaSchema, documentRefSchema } from './document-store';
import {
  checkReference,
  createObjectKeyring,
  DEFAULT_CHUNK_BYTES,
  MAX_CHUNK_BYTES,
  MIN_CHUNK_BYTES,
  type ObjectLayout,
  ObjectDecryptor,
  ObjectEncryptor,
  type RandomAccessObject,
  readObjectKeyId,
  readObjectLayout,
  referenceOf,
} from './encrypted-object';
import { DocumentInvalidError, DocumentNotFoundError } from './errors';

export { DEFAULT_CHUNK_BYTES } from './encrypted-object';

/**
 * The filesystem document store, the default: one file per document, in the encrypted object
 * format of `encrypted-object.ts` (docs/document-store.md).
 *
 * ```
 * <root>/objects/<id[0..2]>/<id>    the objects (0600), in directories 0700
 * <root>/tmp/<id>.part              puts in progress, renamed into place when complete
 * ```
 *
 * Ids are 128 random bits (32 hex characters), not content hashes. Content addressing would
 * dedupe, but two customers storing the same document would then share one object: one
 * could learn that the other has it (the same id, or a put that costs nothing), deleting one
 * customer's copy would delete the other's, and an id equal to a document's SHA-256 would
 * let anyone who can list the directory confirm a guessed document. Documents are personal
 * and belong to one order; identical uploads are rare, so the space saved is not worth it.
 *
 * A put streams into the temporary file (created exclusively, 0600, flushed to disk before
 * it is closed), renames it into place and syncs the directory: an id never names a partial
 * object, and a crash leaves at most a `.part` file (`removeStaleTemporaryFiles`).
 */

const ID_BYTES = 16;
const ID_PATTERN = /^[0-9a-f]{32}$/;

export interface FsDocumentStoreOptions {
  /** The directory objects live under; created (0700) when missing. */
  readonly root: string;
  /** Every codec key that may have encrypted a stored object (`loadCodecKeys(config).keys`). */
  readonly keys: readonly CodecKey[];
  /** The key new objects are encrypted with (`loadCodecKeys(config).currentKeyId`). */
  readonly currentKeyId: string;
  /** Plaintext bytes per encrypted segment of new objects: 64 KiB by default, 1 KiB to 4 MiB. */
  readonly chunkBytes?: number;
  /** The largest document `put` accepts; unlimited when absent. */
  readonly maxBytes?: number;
  /** The clock for `createdAt`. */
  readonly now?: () => Date;
}

export interface FsDocumentStore extends DocumentStore {
  /** The absolute root directory. */
  readonly root: string;
  /**
   * Removes temporary files of puts that never finished (a crash between write and rename)
   * last written before `olderThan`; returns how many. Safe while other puts run when
   * `olderThan` lies further back than the slowest upload.
   */
  removeStaleTemporaryFiles(olderThan: Date): Promise<number>;
  /**
   * How many objects each key id encrypted (read from the headers, nothing decrypted):
   * a key can be retired once no object uses it.
   */
  countObjectsByKeyId(): Promise<Map<string, number>>;
}

/** Bytes in memory become a stream of chunk-sized views (no copy), so back-pressure applies to them too. */
function contentStream(content: DocumentContent, chunkBytes: number): Readable {
  if (content instanceof Readable) return content;
  if (content instanceof Uint8Array) {
    const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    return Readable.from(
      (function* slices() {
        for (let offset = 0; offset < bytes.length; offset += chunkBytes) yield bytes.subarray(offset, offset + chunkBytes);
      })(),
    );
  }
  throw new DocumentInvalidError('document content must be a Readable stream or bytes (Buffer, Uint8Array)');
}

function firstIssue(error: z.ZodError, what: string): DocumentInvalidError {
  const issue = error.issues[0];
  const at = issue && issue.path.length > 0 ? `${what}.${issue.path.join('.')}` : what;
  // The field and the rule, never the caller's value.
  return new DocumentInvalidError(`${at}: ${issue?.message ?? 'invalid'}`);
}

function idOf(ref: DocumentRef | string): string {
  let id: string;
  if (typeof ref === 'string') {
    id = ref;
  } else {
    const parsed = documentRefSchema.safeParse(ref);
    if (!parsed.success) throw firstIssue(parsed.error, 'document reference');
    id = parsed.data.id;
  }
  // Checked before the id becomes part of a path.
  if (!ID_PATTERN.test(id)) throw new DocumentInvalidError('not a document id of the filesystem store (32 lowercase hex characters)');
  return id;
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

async function randomAccess(file: FileHandle): Promise<RandomAccessObject> {
  const stats = await file.stat();
  return {
    size: stats.isFile() ? stats.size : 0,
    async read(position: number, length: number): Promise<Buffer> {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    },
  };
}

/** Makes a rename durable; not every platform lets a directory be synced, so best effort. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await fsp.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}

export function createFsDocumentStore(options: FsDocumentStoreOptions): FsDocumentStore {
  const keyring = createObjectKeyring(options.keys, options.currentKeyId);
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
    throw new RangeError(`document store chunkBytes must be an integer from ${MIN_CHUNK_BYTES} to ${MAX_CHUNK_BYTES}, got ${chunkBytes}`);
  }
  const maxBytes = options.maxBytes;
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) {
    throw new RangeError(`document store maxBytes must be a non-negative integer, got ${maxBytes}`);
  }
  const now = options.now ?? (() => new Date());
  const root = path.resolve(options.root);
  const objectsDir = path.join(root, 'objects');
  const tmpDir = path.join(root, 'tmp');
  const objectPath = (id: string): string => path.join(objectsDir, id.slice(0, 2), id);

  async function openObject(id: string): Promise<FileHandle> {
    try {
      return await fsp.open(objectPath(id), 'r');
    } catch (err) {
      if (isNotFound(err)) throw new DocumentNotFoundError(id);
      throw err;
    }
  }

  return {
    root,

    async put(content: DocumentContent, meta: DocumentMeta): Promise<DocumentRef> {
      const parsedMeta = documentMetaSchema.safeParse(meta);
      if (!parsedMeta.success) throw firstIssue(parsedMeta.error, 'meta');
      const { kind, contentType, owner } = parsedMeta.data;
      const source = contentStream(content, chunkBytes);
      const id = randomBytes(ID_BYTES).toString('hex');
      const encryptor = new ObjectEncryptor({ id, keyring, chunkBytes, maxBytes, kind, contentType, owner, now });

      await fsp.mkdir(tmpDir, { recursive: true, mode: 0o700 });
      const temporary = path.join(tmpDir, `${id}.part`);
      const target = objectPath(id);
      try {
        await pipeline(source, encryptor, fs.createWriteStream(temporary, { flags: 'wx', mode: 0o600, flush: true }));
        await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
        await fsp.rename(temporary, target);
      } catch (err) {
        await fsp.rm(temporary, { force: true });
        throw err;
      }
      await syncDirectory(path.dirname(target));
      return encryptor.reference();
    },

    async get(ref: DocumentRef | string): Promise<Readable> {
      const id = idOf(ref);
      const file = await openObject(id);
      let layout: ObjectLayout;
      try {
        layout = await readObjectLayout(id, keyring, await randomAccess(file));
        checkReference(id, ref, layout.metadata);
      } catch (err) {
        await file.close();
        throw err;
      }
      // The open file is read even if the object is deleted meanwhile; it is closed when the
      // content has been read or either stream is destroyed.
      const encrypted = file.createReadStream({ start: layout.dataStart, end: layout.dataEnd - 1 });
      const decryptor = new ObjectDecryptor(id, layout);
      pipelineWithCallback(encrypted, decryptor, () => {
        /* a failure reaches the consumer as the decryptor's 'error' */
      });
      return decryptor;
    },

    async stat(ref: DocumentRef | string): Promise<DocumentInfo | undefined> {
      const id = idOf(ref);
      let file: FileHandle;
      try {
        file = await openObject(id);
      } catch (err) {
        if (err instanceof DocumentNotFoundError) return undefined;
        throw err;
      }
      try {
        const { metadata, objectBytes } = await readObjectLayout(id, keyring, await randomAccess(file));
        checkReference(id, ref, metadata);
        return { ref: referenceOf(id, metadata), owner: metadata.owner, createdAt: metadata.createdAt, storedBytes: objectBytes };
      } finally {
        await file.close();
      }
    },

    async delete(ref: DocumentRef | string): Promise<boolean> {
      const id = idOf(ref);
      try {
        await fsp.unlink(objectPath(id));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },

    async removeStaleTemporaryFiles(olderThan: Date): Promise<number> {
      let names: string[];
      try {
        names = await fsp.readdir(tmpDir);
      } catch (err) {
        if (isNotFound(err)) return 0;
        throw err;
      }
      let removed = 0;
      for (const name of names.filter((n) => n.endsWith('.part'))) {
        const file = path.join(tmpDir, name);
        try {
          if ((await fsp.stat(file)).mtime < olderThan) {
            await fsp.unlink(file);
            removed += 1;
          }
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return removed;
    },

    async countObjectsByKeyId(): Promise<Map<string, number>> {
      const counts = new Map<string, number>();
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(objectsDir, { withFileTypes: true, recursive: true });
      } catch (err) {
        if (isNotFound(err)) return counts;
        throw err;
      }
      for (const entry of entries) {
        if (!entry.isFile() || !ID_PATTERN.test(entry.name)) continue;
        let file: FileHandle;
        try {
          file = await fsp.open(path.join(entry.parentPath, entry.name), 'r');
        } catch (err) {
          if (isNotFound(err)) continue; // deleted meanwhile
          throw err;
        }
        try {
          const keyId = (await readObjectKeyId(await randomAccess(file))) ?? '(unreadable header)';
          counts.set(keyId, (counts.get(keyId) ?? 0) + 1);
        } finally {
          await file.close();
        }
      }
      return counts;
    },
  };
}
