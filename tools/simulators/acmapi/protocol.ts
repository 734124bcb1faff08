/**
 * ACMAPI's wire format as the WoSign document (seed 002) shows it: one JSON request, one JSON
 * answer, error codes 101–111. The document's examples are sloppy — keys and values padded
 * with spaces, `req_type` missing from the pending example — so requests are read tolerantly.
 */

export const ACMAPI_ERRORS = {
  customerId: 101,
  authToken: 102,
  reqType: 103,
  csr: 104,
  domainFormat: 105,
  domainCount: 106,
  domainVerify: 107,
  handleId: 108,
  refused: 109,
  ipNotPermitted: 110,
  unknown: 111,
} as const;
export type AcmapiErrorCode = (typeof ACMAPI_ERRORS)[keyof typeof ACMAPI_ERRORS];

/** The document's own descriptions, for logs and the admin view. */
export const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  101: 'customer_id error',
  102: 'auth_token error',
  103: 'req_type error',
  104: 'csr error',
  105: 'domain format error',
  106: 'domain number error>5',
  107: 'domain verify error',
  108: 'handle_id error',
  109: 'refused',
  110: 'IP is not permitted',
  111: 'unknow error',
};

export const REQ_TYPE_APPLY = 'cert_apply';
export const SIGNFILE_PATH = '/.well-known/pki-validation/signfile';

/** A request with its keys and string values trimmed; anything may be missing or mistyped. */
export interface AcmapiRequest {
  customerId?: unknown;
  authToken?: unknown;
  reqType?: unknown;
  handleId?: unknown;
  domainName?: unknown;
  csr?: unknown;
}

const trimDeep = (v: unknown): unknown => (typeof v === 'string' ? v.trim() : Array.isArray(v) ? v.map(trimDeep) : v);

/**
 * `{"customer_id ":" customer_XXXXX01 "}` reads as customer_id = "customer_XXXXX01": the
 * document's request examples pad both. A body that is not a JSON object reads as empty.
 */
export function readRequest(body: unknown): AcmapiRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  const fields = new Map<string, unknown>();
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) fields.set(key.trim(), trimDeep(value));
  return {
    customerId: fields.get('customer_id'),
    authToken: fields.get('auth_token'),
    reqType: fields.get('req_type'),
    handleId: fields.get('handle_id'),
    domainName: fields.get('domain_name'),
    csr: fields.get('csr'),
  };
}

/** `handle_id` "默认为空" (empty by default): absent, null or blank all mean "a new application". */
export function handleIdOf(req: AcmapiRequest): string | undefined {
  return typeof req.handleId === 'string' && req.handleId !== '' ? req.handleId : undefined;
}

/**
 * The answer. `status` is documented as int but every example sends a string ("0", "1",
 * "107"): the simulator sends strings, as the examples do.
 */
export type AcmapiAnswer =
  | { result: 'success'; status: '0'; handle_id: string; certificate: string }
  | { result: 'pending'; status: '1'; handle_id: string }
  | { result: 'error'; status: string; other_msg?: string };

export const successAnswer = (handleId: string, certificate: string): AcmapiAnswer => ({ result: 'success', status: '0', handle_id: handleId, certificate });
export const pendingAnswer = (handleId: string): AcmapiAnswer => ({ result: 'pending', status: '1', handle_id: handleId });
export const errorAnswer = (code: number, otherMsg?: string): AcmapiAnswer =>
  otherMsg === undefined ? { result: 'error', status: String(code) } : { result: 'error', status: String(code), other_msg: otherMsg };
