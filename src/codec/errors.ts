/**
 * Errors raised by the payload codec and its key loading. Messages may name key ids, files
 * and field paths, never key material or payload contents: they end up in logs, in workflow
 * task failures and in codec-server answers.
 */

/** A payload could not be encoded or decoded (unknown key id, tampered data, malformed envelope). */
export class PayloadCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadCodecError';
  }
}

/** The codec keys in the configuration (CODEC_KEYS, CODEC_KEYS_FILE, CODEC_CURRENT_KEY_ID) are unusable. */
export class CodecKeyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecKeyConfigError';
  }
}
