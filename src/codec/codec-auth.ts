import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/**
 * Who may decode. Two credentials reach the codec endpoint: the static operator token (the
 * CLI, scripts) and, from the Temporal Web UI, the signed-in user's own OIDC access token
 * (the UI's "pass access token" setting forwards it as a bearer token).
 */
export type CodecAuthResult = { ok: true; who: string } | { ok: false; status: 401 | 403; message: string };
export type CodecAuthorizer = (authorization: string | undefined) => Promise<CodecAuthResult>;

export const MIN_OPERATOR_TOKEN_LENGTH = 16;

/** Asymmetric algorithms only: a shared-secret (HS*) or unsigned (`none`) token is never taken. */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export interface OidcCodecAuth {
  /** The token's `iss`, exactly. */
  issuer: string;
  /** Must be in the token's `aud`. */
  audience: string;
  /** The issuer's signing keys: a JWKS URL in production, a local set in tests. */
  keys: URL | JWTVerifyGetKey;
  /** Who may decode: a claim that must hold this value (a string equal to it, or an array containing it), e.g. groups=certflow-operators. */
  requiredClaim?: { name: string; value: string };
  clockToleranceSec?: number;
}

const bearer = (header: string | undefined): string | undefined => /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '')?.[1];
const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const looksLikeJwt = (token: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);

const unauthorized = (message: string): CodecAuthResult => ({ ok: false, status: 401, message });

/** The static operator token, compared as fixed-size digests so neither content nor length leaks through timing. */
export function operatorTokenAuth(expected: string): CodecAuthorizer {
  if (expected.length < MIN_OPERATOR_TOKEN_LENGTH) {
    throw new Error(`codec server: the operator token must be at least ${MIN_OPERATOR_TOKEN_LENGTH} characters`);
  }
  const expectedDigest = digest(expected);
  return async (header) => {
    const token = bearer(header);
    const match = timingSafeEqual(digest(token ?? ''), expectedDigest) && token !== undefined;
    return match ? { ok: true, who: 'operator token' } : unauthorized('an operator token or an OIDC access token is required: Authorization: Bearer <token>');
  };
}

function claimHolds(payload: JWTPayload, claim: { name: string; value: string }): boolean {
  const v = payload[claim.name];
  return v === claim.value || (Array.isArray(v) && v.includes(claim.value));
}

/** The Web UI user's OIDC access token: signature (issuer's JWKS), issuer, audience, expiry, then the claim that grants decoding. */
export function oidcAuth(o: OidcCodecAuth): CodecAuthorizer {
  const keys = o.keys instanceof URL ? createRemoteJWKSet(o.keys) : o.keys;
  return async (header) => {
    const token = bearer(header);
    if (!token || !looksLikeJwt(token)) return unauthorized('an OIDC access token is required: Authorization: Bearer <JWT>');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer: o.issuer, audience: o.audience, algorithms: [...OIDC_ALGORITHMS], clockTolerance: o.clockToleranceSec ?? 30, requiredClaims: ['exp'] }));
    } catch (err) {
      // The reason, never the token: expired, wrong issuer or audience, bad signature, unknown key.
      return unauthorized(`the access token was refused: ${reasonOf(err)}`);
    }
    if (o.requiredClaim && !claimHolds(payload, o.requiredClaim)) {
      return { ok: false, status: 403, message: `the access token does not grant decoding: claim "${o.requiredClaim.name}" must hold "${o.requiredClaim.value}"` };
    }
    return { ok: true, who: `oidc:${typeof payload.sub === 'string' ? payload.sub : 'unknown'}` };
  };
}

function reasonOf(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim "${err.claim}" ${err.reason === 'check_failed' ? 'does not match' : err.reason}`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'signed by a key the issuer does not publish';
  if (err instanceof joseErrors.JOSEError) return err.code;
  return 'not a valid token';
}

/**
 * Any of the given credentials: the operator token first (constant time, no parsing), then
 * a JWT to the OIDC check. The refusal is the one of the credential that was presented.
 */
export function anyCodecAuth(o: { operatorToken?: CodecAuthorizer; oidc?: CodecAuthorizer }): CodecAuthorizer {
  if (!o.operatorToken && !o.oidc) throw new Error('codec server: an operator token or OIDC settings are required');
  return async (header) => {
    const operator = o.operatorToken ? await o.operatorToken(header) : undefined;
    if (operator?.ok) return operator;
    const token = bearer(header);
    if (o.oidc && (!operator || (token !== undefined && looksLikeJwt(token)))) return o.oidc(header);
    return operator!;
  };
}
