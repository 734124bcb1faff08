import { createHmac, timingSafeEqual } from 'node:crypto';
import { toProtocolIssues } from './answer';
import { orderStatusPushSchema, pushActionSchema, type OrderStatusPush } from './schemas';

/**
 * Inbound WoTrus status pushes (ca-apis.md §1.7). WoTrus says it signs pushes since V1.04
 * but never documents how, and its example push is a bare JSON body: so verification is
 * pluggable and off by default (`CA_PUSH_VERIFY=none`). That is safe because a push never
 * changes an order: it only makes the order read its status from the CA's query API, and
 * the API bounds how often it does (docs/pushes.md). `hmac` is our own scheme, for a CA or
 * proxy that can sign: `x-wotrus-signature: sha256=<lowercase hex HMAC-SHA256(secret, raw body)>`.
 */

export const PUSH_SIGNATURE_HEADER = 'x-wotrus-signature';
const SIGNATURE_PREFIX = 'sha256=';
const SIGNATURE_PATTERN = /^sha256=([0-9a-f]{64})$/;

export type PushHeaders = Record<string, string | string[] | undefined>;

export interface PushVerifier {
  /** Must be given the body exactly as received: re-serialised JSON will not verify. */
  verify(rawBody: Buffer | string, headers: PushHeaders): boolean;
}

function hmac(secret: string | Buffer, rawBody: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(rawBody).digest();
}

/** The header value for a body: what the simulator sends and tests sign with. */
export function signPushBody(secret: string | Buffer, rawBody: Buffer | string): string {
  return SIGNATURE_PREFIX + hmac(secret, rawBody).toString('hex');
}

/** Header names are case-insensitive; a repeated signature header is ambiguous and rejected. */
function headerValue(headers: PushHeaders, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
    return value;
  }
  return undefined;
}

export function createHmacPushVerifier(secret: string | Buffer): PushVerifier {
  if (secret.length === 0) throw new Error('push secret must not be empty');
  return {
    verify(rawBody, headers) {
      const match = SIGNATURE_PATTERN.exec(headerValue(headers, PUSH_SIGNATURE_HEADER)?.trim() ?? '');
      if (!match?.[1]) return false;
      const given = Buffer.from(match[1], 'hex');
      const expected = hmac(secret, rawBody);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/** Takes every push: the document's unsigned pushes (`CA_PUSH_VERIFY=none`). */
export const acceptAllPushVerifier: PushVerifier = { verify: () => true };

export type PushVerifyMode = 'none' | 'hmac';

/** The configured verifier; `hmac` without a secret is refused here as in the configuration. */
export function createPushVerifier(o: { mode: PushVerifyMode; secret?: string }): PushVerifier {
  if (o.mode === 'none') return acceptAllPushVerifier;
  if (!o.secret) throw new Error('CA_PUSH_SECRET: required when CA_PUSH_VERIFY=hmac');
  return createHmacPushVerifier(o.secret);
}

/**
 * What a receiver does with a push: act on an order push, acknowledge one we have no use
 * for (the organisation-status push is unspecified), or answer 400 to an unreadable one.
 */
export type ParsedPush =
  | { kind: 'order'; push: OrderStatusPush }
  | { kind: 'ignored'; dataAction: string }
  | { kind: 'invalid'; error: string };

/** Reads a (verified) push body tolerantly: orderId/orderID, trimmed ids, string booleans. */
export function parsePush(rawBody: Buffer | string): ParsedPush {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString()) as unknown;
  } catch {
    return { kind: 'invalid', error: 'body is not JSON' };
  }
  const action = pushActionSchema.safeParse(json);
  if (!action.success) return { kind: 'invalid', error: describe(action.error) };
  if (action.data.dataAction.toLowerCase() !== 'order') {
    return { kind: 'ignored', dataAction: action.data.dataAction };
  }
  const push = orderStatusPushSchema.safeParse(json);
  return push.success ? { kind: 'order', push: push.data } : { kind: 'invalid', error: describe(push.error) };
}

function describe(error: Parameters<typeof toProtocolIssues>[0]): string {
  return toProtocolIssues(error)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
}
