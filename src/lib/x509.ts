/**
 * @peculiar/x509 wired to Node's WebCrypto, for production code (the simulator has its own
 * wiring so it can be lifted out). reflect-metadata must load before the library.
 *
 * WebCrypto knows no SM2 or SM3, so @peculiar/x509 parses SM2 certificates but cannot check
 * their signatures. Node's OpenSSL 3 can: `signedBy` checks SM2-with-SM3 links with
 * node:crypto's X509Certificate and every other link with @peculiar/x509, as before.
 */
import 'reflect-metadata';
import { X509Certificate as NodeX509Certificate, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

/** SM2 signature with SM3 (GM/T 0006). */
export const OID_SM2_WITH_SM3 = '1.2.156.10197.1.501';
/** The SM2 curve, as the parameter of an id-ecPublicKey SubjectPublicKeyInfo. */
export const OID_SM2_CURVE = '1.2.156.10197.1.301';
/** DER of OID_SM2_CURVE (06 08 2A 81 1C CF 55 01 82 2D). */
const SM2_CURVE_DER = Buffer.from('06082a811ccf5501822d', 'hex');

/** The certificate is signed with SM2-with-SM3 (by its issuer's SM2 key). */
export function isSm2Signed(cert: x509.X509Certificate): boolean {
  return (cert.signatureAlgorithm as { name?: string }).name === OID_SM2_WITH_SM3;
}

/** The public key (of a certificate or a CSR) is an SM2 key. */
export function isSm2Key(key: x509.PublicKey): boolean {
  // Not `instanceof ArrayBuffer`: jest runs tests in another realm than the library's buffers.
  const { parameters } = key.algorithm as { parameters?: ArrayBuffer | null };
  return typeof parameters?.byteLength === 'number' && Buffer.from(new Uint8Array(parameters)).equals(SM2_CURVE_DER);
}

/** `cert`'s signature verifies with `issuer`'s public key (a self-signed certificate: pass it twice). */
export async function signedBy(cert: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  if (!isSm2Signed(cert)) return cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  try {
    // OpenSSL uses the default SM2 distinguishing id (1234567812345678), as CAs do.
    return new NodeX509Certificate(Buffer.from(cert.rawData)).verify(new NodeX509Certificate(Buffer.from(issuer.rawData)).publicKey);
  } catch {
    return false;
  }
}
