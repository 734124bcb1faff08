/**
 * The checks a CA makes on a CSR, made before the order starts: a CSR the CA would refuse, or
 * one whose certificate would fail verification after the CA issued it (and was paid), is
 * refused at the door with the rule it breaks.
 */
import { verify } from 'node:crypto';
import { keyOfPublicKey } from './csr-key';
import type { FieldIssue } from './field-issue';
import { x509 } from './x509';

export interface CsrExpectation {
  /** The request field, for the issue's path (`csr`, `csrRsa`, `csrEncrypt`). */
  field: string;
  /** SM2 products take SM2 (国密) keys besides RSA and EC. */
  allowSm2: boolean;
  /** Host names the CSR must cover (SSL products); none for document signing. */
  names?: readonly string[];
}

/** SM2-with-SM3: WebCrypto has neither, so these self-signatures are verified through OpenSSL. */
const SM2_WITH_SM3 = '1.2.156.10197.1.501';

const normal = (name: string): string => name.trim().toLowerCase().replace(/\.$/, '');

/**
 * Whether a name the CSR carries covers a host the order asks for, as a certificate with that
 * name would (RFC 6125 §6.4.3): exactly, or as a wildcard `*.example.com` covering one label
 * in its place (`www.example.com`, but neither `example.com` nor `a.b.example.com`). A
 * wildcard host in the order is covered only by the same wildcard.
 */
export function covers(csrName: string, host: string): boolean {
  const have = normal(csrName);
  const want = normal(host);
  if (have === want) return true;
  if (!have.startsWith('*.') || want.startsWith('*.')) return false;
  const firstDot = want.indexOf('.');
  return firstDot > 0 && want.slice(firstDot) === have.slice(1);
}

/** The subject CN and the subjectAltName DNS names: what a certificate from the CSR could name. */
function namesOf(csr: x509.Pkcs10CertificateRequest): string[] {
  const names = csr.subjectName.getField('CN');
  for (const ext of csr.extensions) {
    if (!(ext instanceof x509.SubjectAlternativeNameExtension)) continue;
    for (const n of ext.names.items) if (n.type === 'dns') names.push(n.value);
  }
  return names;
}

function keyRule(key: ReturnType<typeof keyOfPublicKey>, allowSm2: boolean): string | undefined {
  const accepted = `RSA of 2048 bits or more, or EC on P-256 or P-384${allowSm2 ? ', or SM2' : ''}`;
  switch (key.type) {
    case 'rsa':
      return key.bits >= 2048 ? undefined : `must have a key the CA accepts (${accepted}); this RSA key has ${key.bits} bits`;
    case 'ec':
      return key.curve === 'P-256' || key.curve === 'P-384' ? undefined : `must have a key the CA accepts (${accepted}); this EC key is on ${key.curve}`;
    case 'sm2':
      return allowSm2 ? undefined : `must have a key the CA accepts (${accepted}); an SM2 key is only for SM2 products`;
    default:
      return `must have a key the CA accepts (${accepted}); this key is ${key.algorithm}`;
  }
}

/** The length of the DER header (tag and length octets) at `at`. */
function headerLength(der: Buffer, at: number): { header: number; length: number } {
  const first = der[at + 1]!;
  if (first < 0x80) return { header: 2, length: first };
  const n = first & 0x7f;
  return { header: 2 + n, length: der.subarray(at + 2, at + 2 + n).reduce((acc, b) => acc * 256 + b, 0) };
}

/** certificationRequestInfo: the first element of the request, the bytes its signature covers. */
function signedPart(der: Buffer): Buffer {
  const outer = headerLength(der, 0);
  const inner = headerLength(der, outer.header);
  return der.subarray(outer.header, outer.header + inner.header + inner.length);
}

async function selfSignatureValid(csr: x509.Pkcs10CertificateRequest, sm2: boolean): Promise<boolean> {
  try {
    if (!sm2) return await csr.verify();
    if ((csr.signatureAlgorithm as unknown as { name: string }).name !== SM2_WITH_SM3) return false;
    return verify('sm3', signedPart(Buffer.from(csr.rawData)), { key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' }, Buffer.from(csr.signature));
  } catch {
    return false;
  }
}

/** Every rule the CSR breaks (the first that makes the rest meaningless stops the list). */
export async function checkCsr(pem: string, expect: CsrExpectation): Promise<FieldIssue[]> {
  const issue = (rule: string): FieldIssue => ({ path: [expect.field], rule });
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch {
    return [issue('must be a PKCS#10 certificate signing request; this one does not parse')];
  }
  const key = keyOfPublicKey(csr.publicKey);
  const weak = keyRule(key, expect.allowSm2);
  if (weak) return [issue(weak)];
  const issues: FieldIssue[] = [];
  if (!(await selfSignatureValid(csr, key.type === 'sm2'))) issues.push(issue('must be signed with its own key; its self-signature does not verify'));
  if (expect.names?.length) {
    const names = namesOf(csr);
    const missing = [...new Set(expect.names.map(normal))].filter((host) => !names.some((n) => covers(n, host)));
    if (missing.length > 0) {
      issues.push(issue(`must cover every host of the order in its subject CN or subjectAltName DNS names; it does not cover ${missing.join(', ')} (it names ${names.join(', ') || 'nothing'})`));
    }
  }
  return issues;
}
