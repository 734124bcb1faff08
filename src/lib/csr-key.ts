/**
 * What kind of key a CSR carries, read synchronously. The order's door check uses it for the
 * key-strength rules, and the WoTrus adapter for the document's rule that "the parameter
 * follows the CSR's type" (an SM2 signing CSR goes in `Csr_Sign`, an RSA/ECC one in `csR_RSA`).
 */
import { createPublicKey } from 'node:crypto';
import { x509 } from './x509';

export type CsrKey =
  | { type: 'rsa'; bits: number }
  | { type: 'ec'; curve: string }
  | { type: 'sm2' }
  | { type: 'other'; algorithm: string };

/** 1.2.156.10197.1.301 (GM/T 0006: the SM2 curve), DER-encoded as an OBJECT IDENTIFIER. */
const SM2_CURVE_OID = '1.2.156.10197.1.301';
const SM2_CURVE_OID_DER = Buffer.from('06082a811ccf5501822d', 'hex');
/** OpenSSL's curve names for the NIST curves WebCrypto calls P-256 and P-384. */
const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** The key of a parsed CSR (or any SubjectPublicKeyInfo). */
export function keyOfPublicKey(publicKey: x509.PublicKey): CsrKey {
  // OpenSSL reads an SM2 key but Node names no type for it: tell it by its curve first.
  const alg = publicKey.algorithm as { name: string; parameters?: ArrayBuffer | null };
  if (alg.name === SM2_CURVE_OID || (alg.parameters instanceof ArrayBuffer && Buffer.from(alg.parameters).equals(SM2_CURVE_OID_DER))) return { type: 'sm2' };
  try {
    const key = createPublicKey({ key: Buffer.from(publicKey.rawData), format: 'der', type: 'spki' });
    const details = key.asymmetricKeyDetails ?? {};
    if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') return { type: 'rsa', bits: details.modulusLength ?? 0 };
    if (key.asymmetricKeyType === 'ec') return { type: 'ec', curve: CURVES[details.namedCurve ?? ''] ?? details.namedCurve ?? 'unknown' };
    return { type: 'other', algorithm: key.asymmetricKeyType ?? alg.name };
  } catch {
    return { type: 'other', algorithm: alg.name };
  }
}

/** The key of a PEM CSR, or undefined when the text does not parse as one. */
export function csrKeyOf(pem: string): CsrKey | undefined {
  try {
    return keyOfPublicKey(new x509.Pkcs10CertificateRequest(pem).publicKey);
  } catch {
    return undefined;
  }
}
