import { createHash } from 'node:crypto';
import type { ProtocolIssue } from '../../ca/errors';
import { toProtocolIssues } from '../../ca/http-answer';
import { isBase64, signedDocPushSchema, STATUS_OK } from './schemas';

/**
 * The platform's `PushSignedDoc` callback (seed 003 §3.2): the signed file in base64 and its
 * hash. "返回1接收表示接收成功且文件校验正确, 返回非1或未返回本平台会定时请求回调地址来推送数据":
 * answering `1` says "received, and the file checks out"; anything else, or no answer, and the
 * platform pushes again later. So the receiver answers `1` only once the hash is verified and
 * the result is durably handed on; until then anything else.
 */

/** The answer that ends the platform's pushes: exactly `1`. */
export const PUSH_ANSWER_RECEIVED = '1';
/** Any other answer makes the platform push again; `0` is the obvious one. */
export const PUSH_ANSWER_PUSH_AGAIN = '0';
/** The answer's content type: the document shows a bare `1`. */
export const PUSH_ANSWER_CONTENT_TYPE = 'text/plain; charset=utf-8';

export type HashAlgorithm = 'sha224' | 'sha256' | 'sha384' | 'sha512';

export interface SignedDocPush {
  /** `signid`: the platform's id of the signing order (the create's answer gave it). */
  signId: string | undefined;
  /** `ordernumber` (the example's spelling) or `orderNumber`: ours. The example sends it empty. */
  orderNumber: string | undefined;
  /** 1: signed; 0: failed, with `errorCodes`. */
  status: 0 | 1;
  /** `errorcode`, "&"-joined in the push, as numbers; empty when 0 or absent. */
  errorCodes: number[];
  /** The signed file: `content` base64-decoded. Empty when the push carries none. */
  content: Buffer;
  /** The hash the platform sent, as lower-case hex (a base64 hash converted); undefined when absent. */
  hashHex: string | undefined;
  /** The SHA-2 the sent hash's length names (SHA-256 unless the platform sent a longer one). */
  hashAlgorithm: HashAlgorithm;
  /** That hash of `content` as we computed it, hex. */
  computedHashHex: string;
  /**
   * The content is there, is well-formed base64, and its hash matches the one sent. Only then
   * may the receiver answer `1` for a signed document.
   */
  hashOk: boolean;
  /**
   * `decoded`: the hash is over the decoded bytes ("将 content 转为字节后再计算", our reading).
   * `base64Text`: it matched only over the base64 text's bytes — the other reading of that
   * sentence; it proves the same content, so it is accepted, and said here.
   */
  hashOver: 'decoded' | 'base64Text' | undefined;
  /**
   * What is wrong with the push as a signed document, for logs: no content, content that is
   * not base64, no or a malformed hash, a mismatch, `status` 1 with error codes. Empty for a
   * clean signed push.
   */
  problems: string[];
}

/** A push we cannot read at all: not JSON, not the shape, nothing to know the order by. Answer non-`1`. */
export class WosignDocPushError extends Error {
  override readonly name = 'WosignDocPushError';
  constructor(readonly issues: ProtocolIssue[]) {
    super(`unreadable PushSignedDoc: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
  }
}

const HASH_BYTES: Readonly<Record<number, HashAlgorithm>> = { 28: 'sha224', 32: 'sha256', 48: 'sha384', 64: 'sha512' };

/**
 * The sent hash as hex with the algorithm its length names. Hex in any case is the usual
 * form. A base64 value that decodes to a SHA-2 length (32 bytes for SHA-256) is accepted too:
 * "hash 值(sha2)" does not say how the bytes are written, and .NET and Java libraries often
 * hand out base64. A value of hex digits only is read as hex.
 */
function readHash(hash: string | undefined): { hex: string | undefined; algorithm: HashAlgorithm; problem?: string } {
  if (hash === undefined) return { hex: undefined, algorithm: 'sha256', problem: 'no hash' };
  const compact = hash.replace(/\s+/g, '');
  if (/^[0-9a-fA-F]+$/.test(compact) && compact.length % 2 === 0) {
    const algorithm = HASH_BYTES[compact.length / 2];
    return algorithm ? { hex: compact.toLowerCase(), algorithm } : { hex: compact.toLowerCase(), algorithm: 'sha256', problem: `hash is ${compact.length / 2} bytes, not a SHA-2 digest (SHA-256: 32)` };
  }
  if (isBase64(compact)) {
    const bytes = Buffer.from(compact, 'base64');
    const algorithm = HASH_BYTES[bytes.length];
    if (algorithm) return { hex: bytes.toString('hex'), algorithm };
  }
  return { hex: compact.toLowerCase(), algorithm: 'sha256', problem: 'hash is neither hex nor base64 of a SHA-2 digest' };
}

function textOf(raw: Buffer | string): string {
  const s = typeof raw === 'string' ? raw : new TextDecoder('utf-8').decode(raw);
  return s.replace(/^\uFEFF/, '');
}

/**
 * The body as a JSON value, whatever the declared content type says: the document says "json";
 * a body that is JSON text is read as such even under `text/plain` or a form type (platforms
 * mislabel). A true form body (`actiontype=…&extendData=…`) is read field by field, with
 * `extendData` as its JSON string.
 */
function bodyValue(raw: Buffer | string, contentType: string | undefined): unknown {
  const text = textOf(raw).trim();
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new WosignDocPushError([{ path: '', message: `body is not JSON (${(err as Error).message.slice(0, 80)})` }]);
    }
  }
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  throw new WosignDocPushError([{ path: '', message: text ? `body is not a JSON object (content type ${type || 'none'})` : 'body is empty' }]);
}

/**
 * Reads a push, decodes the signed file and checks its hash. Throws WosignDocPushError for a
 * push that cannot be read at all, or names neither `signid` nor `ordernumber` (nothing to
 * find the order by). A readable push whose file does not check out is returned with
 * `hashOk: false` and its `problems`: the receiver answers non-`1` and the platform pushes
 * again. A failed signing (`status: 0`) carries codes and, normally, no content.
 */
export function readSignedDocPush(raw: Buffer | string, contentType?: string): SignedDocPush {
  const read = signedDocPushSchema.safeParse(bodyValue(raw, contentType));
  if (!read.success) throw new WosignDocPushError(toProtocolIssues(read.error));
  const { status, errorcode, extendData } = read.data;
  if (extendData.signid === undefined && extendData.orderNumber === undefined) {
    throw new WosignDocPushError([{ path: 'extendData', message: 'names neither signid nor ordernumber: nothing to find the signing order by' }]);
  }

  const problems: string[] = [];
  const contentText = (extendData.content ?? '').replace(/\s+/g, '');
  let content: Buffer = Buffer.alloc(0);
  let contentWellFormed = false;
  if (contentText === '') {
    problems.push('no content');
  } else if (!isBase64(contentText)) {
    problems.push('content is not well-formed base64');
    content = Buffer.from(contentText, 'base64');
  } else {
    content = Buffer.from(contentText, 'base64');
    contentWellFormed = true;
  }

  const hash = readHash(extendData.hash);
  if (hash.problem) problems.push(hash.problem);
  const computedHashHex = createHash(hash.algorithm).update(content).digest('hex');
  let hashOver: SignedDocPush['hashOver'];
  if (hash.hex !== undefined && !hash.problem) {
    if (hash.hex === computedHashHex) hashOver = 'decoded';
    else if (contentText && createHash(hash.algorithm).update(contentText, 'ascii').digest('hex') === hash.hex) hashOver = 'base64Text';
    else problems.push(`hash mismatch: sent ${hash.hex}, the content's ${hash.algorithm} is ${computedHashHex}`);
  }
  const hashOk = contentWellFormed && hashOver !== undefined;
  if (status === STATUS_OK && errorcode.length > 0) problems.push(`status 1 with error codes ${errorcode.join('&')}`);

  return {
    signId: extendData.signid,
    orderNumber: extendData.orderNumber,
    status,
    errorCodes: errorcode,
    content,
    hashHex: hash.hex,
    hashAlgorithm: hash.algorithm,
    computedHashHex,
    hashOk,
    hashOver,
    problems,
  };
}
