/**
 * Errors of the document store (`document-store.ts`). The type names are what Temporal
 * matches retry policies against (`error.name`), so workflow code imports the constants from
 * here (this module imports nothing) and never writes them as literals; they are recorded in
 * histories, so a name never changes. Messages name document ids (random, no personal data),
 * key ids, fields and positions, never key material, content or the caller's values.
 */
export const DocumentStoreErrorType = {
  /** No document under that id (never stored, or deleted). */
  NotFound: 'DocumentNotFoundError',
  /**
   * The stored object is not what was written: altered, truncated, reordered, swapped with
   * another object, not matching its reference, or decrypted with a different key under the
   * same key id. Retrying cannot help.
   */
  Integrity: 'DocumentIntegrityError',
  /**
   * The object names a key id that is not configured. Deploy the key and retry, as with the
   * payload codec. (The key id is read before any key is known, so a header altered to name
   * another id shows here too: if the key id is not one you ever had, treat it as damage.)
   */
  Key: 'DocumentKeyError',
  /** The content is larger than the store accepts. */
  TooLarge: 'DocumentTooLargeError',
  /** The caller's input is unusable: a malformed id or reference, a bad kind, content type or owner. */
  Invalid: 'DocumentInvalidError',
} as const;

export type DocumentStoreErrorTypeName = (typeof DocumentStoreErrorType)[keyof typeof DocumentStoreErrorType];

/**
 * Errors a retry cannot fix. Temporal's RetryPolicy wants `string[]`: spread it
 * (`[...NON_RETRYABLE_DOCUMENT_ERRORS]`). A missing key (`DocumentKeyError`) is retryable.
 */
export const NON_RETRYABLE_DOCUMENT_ERRORS: readonly DocumentStoreErrorTypeName[] = Object.freeze([
  DocumentStoreErrorType.NotFound,
  DocumentStoreErrorType.Integrity,
  DocumentStoreErrorType.TooLarge,
  DocumentStoreErrorType.Invalid,
]);

/** Base of every document store error; `documentId` when the error is about one stored object. */
export class DocumentStoreError extends Error {
  constructor(
    name: DocumentStoreErrorTypeName,
    message: string,
    readonly documentId?: string,
  ) {
    super(message);
    this.name = name;
  }
}

export class DocumentNotFoundError extends DocumentStoreError {
  constructor(documentId: string) {
    super(DocumentStoreErrorType.NotFound, `document ${documentId} does not exist (never stored, or deleted)`, documentId);
  }
}

export class DocumentIntegrityError extends DocumentStoreError {
  constructor(documentId: string, problem: string) {
    super(DocumentStoreErrorType.Integrity, `document ${documentId} failed its integrity check: ${problem}`, documentId);
  }
}

export class DocumentKeyError extends DocumentStoreError {
  constructor(documentId: string, keyId: string, configured: readonly string[]) {
    super(
      DocumentStoreErrorType.Key,
      `document ${documentId} was encrypted with codec key id "${keyId}", which is not configured (configured: ${configured.join(', ')})`,
      documentId,
    );
  }
}

export class DocumentTooLargeError extends DocumentStoreError {
  constructor(maxBytes: number) {
    super(DocumentStoreErrorType.TooLarge, `document is larger than the ${maxBytes} bytes the store accepts`);
  }
}

export class DocumentInvalidError extends DocumentStoreError {
  constructor(message: string) {
    super(DocumentStoreErrorType.Invalid, message);
  }
}
