import type { Readable } from 'node:stream';
import { z } from 'zod';

/**
 * The document store: the port for documents that must never enter a workflow history —
 * source documents, ID pictures, stamps, signed files. They can be megabytes (Temporal
 * refuses payloads over 2 MiB) and are personal data, so workflows and activities pass a
 * `DocumentRef` (an id, the plaintext's SHA-256, its size, its kind) and the bytes stay in
 * the store, encrypted at rest with the codec keys. `fs-document-store.ts` is the default
 * implementation; another backend (S3-compatible, …) implements the same four operations
 * and keeps the same guarantees (docs/document-store.md).
 */

/** The kinds certflow stores; others are allowed when they match `documentKindSchema`. */
export const DOCUMENT_KINDS = ['source', 'signed', 'idPicture', 'stamp'] as const;
export type KnownDocumentKind = (typeof DOCUMENT_KINDS)[number];
/** A known kind, or another short identifier (`string & {}` keeps the editor's completion for the known ones). */
export type DocumentKind = KnownDocumentKind | (string & {});

/** A short identifier, never free text: it travels in histories. */
export const documentKindSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'must be a short identifier (a letter, then up to 31 letters, digits, "_" or "-")');

/**
 * A store's object id. The filesystem store makes 32 lowercase hex characters (128 random
 * bits); the port allows other backends a little more room.
 */
export const documentIdSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be a document id (16 to 64 letters, digits, "_" or "-")');

/** Lowercase hex SHA-256 of the plaintext. */
export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in lowercase hex (64 characters)');

/** `type/subtype` only (no parameters, no file names): e.g. `application/pdf`, `image/png`. */
export const documentContentTypeSchema = z
  .string()
  .max(127)
  .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/, 'must be a media type "type/subtype" without parameters');

/**
 * Who the document belongs to, e.g. the signing order's workflow id (`sign-<billingOrderId>`).
 * Kept in the store's encrypted metadata (not in the reference); an id, never a person's name.
 */
export const documentOwnerSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'must be an id of up to 128 letters, digits, "_", ".", ":" or "-"');

/**
 * What workflow histories hold instead of a document: small (about 150 bytes as JSON) and
 * free of personal data — a random id, the plaintext's hash and size, the kind and the media
 * type; never a customer's file name or any content.
 */
export const documentRefSchema = z.object({
  id: documentIdSchema,
  sha256: sha256HexSchema,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  kind: documentKindSchema,
  contentType: documentContentTypeSchema.optional(),
});
export type DocumentRef = z.infer<typeof documentRefSchema>;

export const documentMetaSchema = z.object({
  kind: documentKindSchema,
  contentType: documentContentTypeSchema.optional(),
  owner: documentOwnerSchema,
});

/** What `put` is told about a document besides its bytes. */
export interface DocumentMeta {
  readonly kind: DocumentKind;
  readonly contentType?: string;
  /** e.g. the signing order's workflow id; see `documentOwnerSchema`. */
  readonly owner: string;
}

/** What `stat` finds: the reference as stored, and the metadata kept beside it. */
export interface DocumentInfo {
  readonly ref: DocumentRef;
  readonly owner: string;
  /** ISO 8601, when `put` finished. */
  readonly createdAt: string;
  /** Bytes the object takes in the store (ciphertext, header, metadata). */
  readonly storedBytes: number;
}

/** A document's bytes: a stream (read once, with back-pressure) or bytes already in memory. */
export type DocumentContent = Readable | Uint8Array;

export interface DocumentStore {
  /**
   * Stores the content under a new random id and returns its reference once the object is
   * durably and completely written (never a partial object under that id). Streams: the
   * content is never held in memory whole. Rejects with `DocumentInvalidError` for bad
   * metadata and `DocumentTooLargeError` beyond the store's limit.
   */
  put(content: DocumentContent, meta: DocumentMeta): Promise<DocumentRef>;
  /**
   * The plaintext as a stream. Before it resolves, the object's header and metadata are
   * authenticated, its length checked and, for a `DocumentRef`, its hash and size compared
   * with the reference; it rejects with `DocumentNotFoundError`, `DocumentIntegrityError` or
   * `DocumentKeyError`. While streaming, every chunk is authenticated before it is emitted, and
   * the last is emitted only after the SHA-256 of everything matched: damage further in makes
   * the stream fail with `DocumentIntegrityError`, so a consumer must treat the content as
   * valid only when the stream ended without error. Consume or destroy the stream (it holds
   * the object open).
   */
  get(ref: DocumentRef | string): Promise<Readable>;
  /**
   * The stored reference and metadata (authenticated; the content is not read), or undefined
   * when no such document exists. A `DocumentRef` that does not match the stored one rejects
   * with `DocumentIntegrityError`.
   */
  stat(ref: DocumentRef | string): Promise<DocumentInfo | undefined>;
  /** Removes the document; false when there was none (so retries are harmless). */
  delete(ref: DocumentRef | string): Promise<boolean>;
}
