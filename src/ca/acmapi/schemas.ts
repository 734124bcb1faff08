import { z } from 'zod';
import type { CreateOrderRequest } from '../issuer';
import { certificatePems } from './pem';

/**
 * The WoSign ACMAPI wire format (seed 002 §3.2.1, ca-apis.md §2): one JSON request,
 * `cert_apply`, and one answer `{ result, status, certificate?, handle_id?, other_msg? }`.
 *
 * - We WRITE strictly, every field of the table in its spelling, unpadded (`*BodySchema` are
 *   strict objects; the builders below produce exactly that).
 * - We READ tolerantly, as the document's examples are written: keys and string values padded
 *   with spaces (`"customer_id "`, `" pending"`), `status` documented as int but sent as a
 *   string (`"0"`), the certificate as PEM or base64 DER, unknown keys ignored.
 */

export const ACMAPI_REQ_TYPE = 'cert_apply';
export const ACMAPI_RESULTS = ['success', 'pending', 'error'] as const;
/** `status` with `result: success` (issued) and `result: pending` (delayed issuance); anything else is an error code. */
export const ACMAPI_STATUS_ISSUED = 0;
export const ACMAPI_STATUS_PENDING = 1;

// ---------------------------------------------------------------- tolerant-read helpers

/**
 * Trims (and lower-cases) every key and trims every string value of an object. An exactly
 * spelled key wins over a padded variant of it when both are present.
 */
function trimObject(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const source = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    const target = key.trim().toLowerCase();
    if (target === '__proto__' || (target !== key && Object.hasOwn(source, target))) continue;
    out[target] = typeof value === 'string' ? value.trim() : value;
  }
  return out;
}

/** Null, missing and blank all read as undefined. */
const optionalText = z
  .string()
  .nullish()
  .transform((v) => v?.trim() || undefined);

/** Documented as int; the examples send strings ("0", "107"). */
const statusCode = z.union([z.number().int().nonnegative(), z.string().trim().regex(/^\d+$/, 'must be a number').transform(Number)]);

/**
 * PEM or base64 DER, always read as PEM: the leaf, and any further certificates the value
 * carries (the document promises only the leaf; a chain sent along is kept, not dropped).
 */
const certificateText = z
  .string()
  .nullish()
  .transform((v, ctx) => {
    if (!v?.trim()) return undefined;
    const [leaf, ...more] = certificatePems(v) ?? [];
    if (leaf === undefined) {
      ctx.addIssue({ code: 'custom', message: 'neither a PEM certificate nor base64 DER' });
      return z.NEVER;
    }
    return { leaf, more };
  });

// ---------------------------------------------------------------- request

const domainName = z.string().trim().min(1);
const credentialsShape = {
  customer_id: z.string().min(1),
  auth_token: z.string().min(1),
  req_type: z.literal(ACMAPI_REQ_TYPE),
};

/** A new apply: `handle_id` empty ("默认为空"), 1–5 domains, the CSR. */
export const applyBodySchema = z.strictObject({
  ...credentialsShape,
  handle_id: z.literal(''),
  domain_name: z.array(domainName).min(1).max(5),
  csr: z.string().min(1),
});
/**
 * Asking again for a `pending` apply by its `handle_id`: domains and CSR empty ("pending
 * 状态下获取证书，此项为空"). The table marks `req_type` required; the example omits it. We send it.
 */
export const askBodySchema = z.strictObject({
  ...credentialsShape,
  handle_id: z.string().trim().min(1),
  domain_name: z.array(domainName).max(0),
  csr: z.literal(''),
});
export const requestBodySchema = z.union([applyBodySchema, askBodySchema]);
export type ApplyBody = z.input<typeof applyBodySchema>;
export type AskBody = z.input<typeof askBodySchema>;
export type RequestBody = z.input<typeof requestBodySchema>;

/**
 * A request as the CA (or the simulator) may receive it: the examples' padded keys and
 * values, `req_type` absent on an ask, `handle_id`, `domain_name` and `csr` absent when empty.
 */
export const requestReadSchema = z.preprocess(
  trimObject,
  z.object({
    customer_id: z.string().min(1),
    auth_token: z.string().min(1),
    req_type: optionalText,
    handle_id: optionalText,
    domain_name: z
      .array(z.string())
      .nullish()
      .transform((v) => (v ?? []).map((d) => d.trim())),
    csr: optionalText,
  }),
);
export type RequestRead = z.output<typeof requestReadSchema>;

export interface AcmapiCredentials {
  customerId: string;
  authToken: string;
}

/** The names to certify: the common name first, then the hosts; trimmed, each once (names are case-insensitive). */
export function domainNamesOf(req: Pick<CreateOrderRequest, 'commonName' | 'hosts'>): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const raw of [req.commonName, ...(req.hosts ?? [])]) {
    const name = raw.trim();
    if (name === '' || seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    names.push(name);
  }
  return names;
}

export function buildApplyBody(credentials: AcmapiCredentials, req: Pick<CreateOrderRequest, 'commonName' | 'hosts' | 'csr'>): ApplyBody {
  return {
    customer_id: credentials.customerId,
    auth_token: credentials.authToken,
    req_type: ACMAPI_REQ_TYPE,
    handle_id: '',
    domain_name: domainNamesOf(req),
    csr: req.csr,
  };
}

export function buildAskBody(credentials: AcmapiCredentials, handleId: string): AskBody {
  return {
    customer_id: credentials.customerId,
    auth_token: credentials.authToken,
    req_type: ACMAPI_REQ_TYPE,
    handle_id: handleId.trim(),
    domain_name: [],
    csr: '',
  };
}

// ---------------------------------------------------------------- answer

/**
 * The answer, read as what it means. `result` and `status` must agree (success 0, pending 1,
 * error anything else): an answer that contradicts itself is not one we can act on. A
 * success must carry the certificate; a pending its handle_id (we could never ask again).
 */
export const answerSchema = z.preprocess(
  trimObject,
  z
    .object({
      result: z.string().toLowerCase().pipe(z.enum(ACMAPI_RESULTS)),
      status: statusCode,
      certificate: certificateText,
      handle_id: optionalText,
      other_msg: optionalText,
    })
    .transform((a, ctx) => {
      const issue = (path: string, message: string) => {
        ctx.addIssue({ code: 'custom', path: [path], message });
        return z.NEVER;
      };
      switch (a.result) {
        case 'success':
          if (a.status !== ACMAPI_STATUS_ISSUED) return issue('status', `is ${a.status}, but result "success" goes with ${ACMAPI_STATUS_ISSUED}`);
          if (a.certificate === undefined) return issue('certificate', 'is required with result "success"');
          return { result: 'success' as const, certificatePem: a.certificate.leaf, morePems: a.certificate.more, handleId: a.handle_id };
        case 'pending':
          if (a.status !== ACMAPI_STATUS_PENDING) return issue('status', `is ${a.status}, but result "pending" goes with ${ACMAPI_STATUS_PENDING}`);
          if (a.handle_id === undefined) return issue('handle_id', 'is required with result "pending"');
          return { result: 'pending' as const, handleId: a.handle_id };
        case 'error':
          if (a.status === ACMAPI_STATUS_ISSUED || a.status === ACMAPI_STATUS_PENDING) {
            return issue('status', `is ${a.status}, but result "error" goes with an error code`);
          }
          return { result: 'error' as const, code: a.status, otherMsg: a.other_msg };
      }
    }),
);
export type Answer = z.output<typeof answerSchema>;
export type IssuedAnswer = Extract<Answer, { result: 'success' }>;
export type PendingAnswer = Extract<Answer, { result: 'pending' }>;
export type ErrorAnswer = Extract<Answer, { result: 'error' }>;
