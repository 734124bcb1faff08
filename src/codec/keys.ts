import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import type { Config } from '../config';
import { type CodecKey, KEY_BYTES } from './aes-gcm-codec';
import { CodecKeyConfigError } from './errors';

/**
 * Codec keys come from CODEC_KEYS (env, `id:base64,…`) and/or CODEC_KEYS_FILE (JSON, so
 * keys can live in a mounted secret instead of the environment). Encryption uses one
 * current key; decryption accepts every listed key, which is what makes rotation possible.
 */

const keyId = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a key id of letters, digits, "_", "." or "-"');

// Strict base64 (Buffer.from silently skips junk), then an exact length check that reports
// the decoded size: "got 16 bytes" tells an operator what went wrong without echoing the key.
const keyMaterial = z
  .string()
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be standard base64')
  .transform((s) => Buffer.from(s, 'base64'))
  .refine((b) => b.length === KEY_BYTES, {
    error: (issue) => `must be base64 of exactly ${KEY_BYTES} bytes (got ${(issue.input as Buffer).length} bytes)`,
  });

export const keysFileSchema = z
  .strictObject({
    currentKeyId: keyId.optional(),
    keys: z.array(z.strictObject({ id: keyId, key: keyMaterial })).min(1, 'must list at least one key'),
  })
  .superRefine((file, ctx) => {
    file.keys.forEach(({ id }, i) => {
      const first = file.keys.findIndex((k) => k.id === id);
      if (first !== i) ctx.addIssue({ code: 'custom', path: ['keys', i, 'id'], message: `"${id}" is already used by keys[${first}]` });
    });
  });
export type KeysFile = z.output<typeof keysFileSchema>;

export interface CodecKeyring {
  readonly keys: readonly CodecKey[];
  readonly currentKeyId: string;
}

export interface KeyLoaderDeps {
  readonly readFile: (path: string) => string;
}

const defaultDeps: KeyLoaderDeps = { readFile: (path) => fs.readFileSync(path, 'utf8') };

/** `keys[1].key` rather than zod's `["keys",1,"key"]`: the form people write in JSON paths. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  ) || '(file)';
}

export function parseKeysFile(text: string, file: string): KeysFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the text around the error, which may be key material.
    throw new CodecKeyConfigError(`CODEC_KEYS_FILE ${file}: not valid JSON`);
  }
  const result = keysFileSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`);
    throw new CodecKeyConfigError(`CODEC_KEYS_FILE ${file}: ${issues.join('; ')}`);
  }
  return result.data;
}

function readKeysFile(file: string, deps: KeyLoaderDeps): KeysFile {
  let text: string;
  try {
    text = deps.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new CodecKeyConfigError(`CODEC_KEYS_FILE ${file}: cannot be read (${code})`);
  }
  return parseKeysFile(text, file);
}

function envKeys(config: Config): CodecKey[] {
  return (config.CODEC_KEYS ?? []).map(({ id, key }, i) => {
    const bytes = keyMaterial.safeParse(key);
    if (!bytes.success) {
      throw new CodecKeyConfigError(`CODEC_KEYS[${i}] (key id "${id}"): ${bytes.error.issues[0]?.message ?? 'invalid key'}`);
    }
    return { id, key: bytes.data };
  });
}

/**
 * The configured keyring, or undefined when no keys are configured (encryption off).
 * Order is file keys then CODEC_KEYS; the current key is CODEC_CURRENT_KEY_ID, else the
 * file's currentKeyId, else the last key in that order.
 */
export function loadCodecKeys(config: Config, deps: KeyLoaderDeps = defaultDeps): CodecKeyring | undefined {
  const file = config.CODEC_KEYS_FILE ? readKeysFile(config.CODEC_KEYS_FILE, deps) : undefined;
  const keys: CodecKey[] = [...(file?.keys ?? []), ...envKeys(config)];
  if (keys.length === 0) return undefined;

  const seen = new Map<string, Buffer>();
  for (const { id, key } of keys) {
    const previous = seen.get(id);
    // The same key listed in both places is harmless; two different keys under one id would
    // make decryption depend on which one wins.
    if (previous && !previous.equals(key)) {
      throw new CodecKeyConfigError(
        `codec key id "${id}" is in both CODEC_KEYS_FILE ${config.CODEC_KEYS_FILE} and CODEC_KEYS, with different keys`,
      );
    }
    seen.set(id, key);
  }
  const unique = [...seen].map(([id, key]) => ({ id, key }));

  const currentKeyId = config.CODEC_CURRENT_KEY_ID ?? file?.currentKeyId ?? (keys[keys.length - 1] as CodecKey).id;
  if (!seen.has(currentKeyId)) {
    const source = config.CODEC_CURRENT_KEY_ID ? 'CODEC_CURRENT_KEY_ID' : `CODEC_KEYS_FILE ${config.CODEC_KEYS_FILE}: currentKeyId`;
    throw new CodecKeyConfigError(`${source}: "${currentKeyId}" is not one of the configured key ids (${[...seen.keys()].join(', ')})`);
  }
  return { keys: unique, currentKeyId };
}

/** A fresh key for CODEC_KEYS / a keys file: base64 of 32 random bytes. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}
