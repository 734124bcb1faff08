import { createHash } from 'node:crypto';
import type { RetrievedCertificate } from '../ca/issuer';
import { x509 } from '../lib/x509';
import type { CertificateBundle, CertificateMeta } from '../domain/certificate';

export interface VerifyInput {
  caOrderId: string;
  retrieved: RetrievedCertificate;
  csrPem: string;
  commonName: string;
  hosts?: string[];
  /** SSL products carry DNS names; document-signing products carry an organisation CN. */
  expectDnsNames: boolean;
}

export type VerifyResult =
  | { ok: true; bundle: CertificateBundle; certificate: CertificateMeta }
  | { ok: false; problems: string[]; certificate?: CertificateMeta };

const CLOCK_SKEW_MS = 24 * 3_600_000;

function sanNames(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return ext ? ext.names.items.filter((n) => n.type === 'dns').map((n) => n.value.toLowerCase()) : [];
}

function commonNameOf(cert: x509.X509Certificate): string | undefined {
  return cert.subjectName.getField('CN')[0];
}

function metaOf(caOrderId: string, leaf: x509.X509Certificate): CertificateMeta {
  return {
    caOrderId,
    serialNumber: leaf.serialNumber.toLowerCase(),
    notBefore: leaf.notBefore.toISOString(),
    notAfter: leaf.notAfter.toISOString(),
    sha256Fingerprint: createHash('sha256').update(Buffer.from(leaf.rawData)).digest('hex'),
    subject: leaf.subject,
    issuer: leaf.issuer,
    sans: sanNames(leaf),
  };
}

/**
 * Orders the CA's chain (documented root-first) as leaf → intermediate → root by issuer
 * links and signatures rather than trusting positions, since the documents themselves are
 * inconsistent about ordering across products.
 */
async function buildChain(leaf: x509.X509Certificate, pool: x509.X509Certificate[], problems: string[]): Promise<x509.X509Certificate[]> {
  const chain = [leaf];
  let current = leaf;
  for (let depth = 0; depth < 5; depth++) {
    if (current.subject === current.issuer && (await current.verify({ signatureOnly: true }))) return chain;
    let parent: x509.X509Certificate | undefined;
    for (const c of pool) {
      if (c.subject !== current.issuer || chain.includes(c)) continue;
      if (await current.verify({ publicKey: c.publicKey, signatureOnly: true })) {
        parent = c;
        break;
      }
    }
    if (!parent) {
      problems.push(`chain does not build: no certificate in the chain issued "${current.subject}" (issuer "${current.issuer}")`);
      return chain;
    }
    chain.push(parent);
    current = parent;
  }
  problems.push('chain does not build: deeper than 5 certificates');
  return chain;
}

export async function verifyCertificate(input: VerifyInput): Promise<VerifyResult> {
  const problems: string[] = [];
  let leaf: x509.X509Certificate;
  try {
    leaf = new x509.X509Certificate(input.retrieved.certificatePem);
  } catch (err) {
    return { ok: false, problems: [`the leaf certificate does not parse: ${(err as Error).message}`] };
  }
  const certificate = metaOf(input.caOrderId, leaf);
  const csr = new x509.Pkcs10CertificateRequest(input.csrPem);
  if (!Buffer.from(leaf.publicKey.rawData).equals(Buffer.from(csr.publicKey.rawData))) {
    problems.push("the certificate's public key is not the CSR's public key");
  }
  const cn = commonNameOf(leaf);
  if ((cn ?? '').toLowerCase() !== input.commonName.toLowerCase()) {
    problems.push(`subject CN is "${cn ?? ''}", the order's common name is "${input.commonName}"`);
  }
  if (input.expectDnsNames) {
    const sans = new Set(certificate.sans);
    const wanted = [input.commonName, ...(input.hosts ?? [])].map((h) => h.toLowerCase());
    const missing = wanted.filter((h) => !sans.has(h));
    if (missing.length > 0) problems.push(`names missing from subjectAltName: ${missing.join(', ')}`);
  }
  const now = Date.now();
  if (leaf.notAfter.getTime() <= leaf.notBefore.getTime()) problems.push('notAfter is not after notBefore');
  if (leaf.notBefore.getTime() > now + CLOCK_SKEW_MS) problems.push(`notBefore ${certificate.notBefore} is in the future`);
  if (leaf.notAfter.getTime() <= now) problems.push(`the certificate expired at ${certificate.notAfter}`);

  const pool: x509.X509Certificate[] = [];
  for (const pem of input.retrieved.chainPems) {
    try {
      pool.push(new x509.X509Certificate(pem));
    } catch (err) {
      problems.push(`a chain certificate does not parse: ${(err as Error).message}`);
    }
  }
  const chain = await buildChain(leaf, pool, problems);
  if (problems.length > 0) return { ok: false, problems, certificate };
  return {
    ok: true,
    certificate,
    bundle: {
      caOrderId: input.caOrderId,
      leafPem: leaf.toString('pem'),
      chainPems: chain.slice(1).map((c) => c.toString('pem')),
      encryptionLeafPem: input.retrieved.encryptionCertificatePem,
    },
  };
}
