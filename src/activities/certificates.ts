import { createHash } from 'node:crypto';
import type { RetrievedCertificate } from '../ca/issuer';
import { isSm2Key, signedBy, x509 } from '../lib/x509';
import type { CertificateBundle, CertificateMeta } from '../domain/certificate';

export interface VerifyInput {
  caOrderId: string;
  retrieved: RetrievedCertificate;
  /** The order's CSR: for SM2 orders, of the signing key. Its key type says which certificate is the order's. */
  csrPem: string;
  /** SM2 orders whose encryption key the customer made: the encryption certificate must carry its key. */
  csrEncryptPem?: string;
  commonName: string;
  hosts?: string[];
  /** SSL products carry DNS names; document-signing products carry an organisation CN. */
  expectDnsNames: boolean;
}

export type VerifyResult =
  | { ok: true; bundle: CertificateBundle; certificate: CertificateMeta }
  | { ok: false; problems: string[]; certificate?: CertificateMeta };

const CLOCK_SKEW_MS = 24 * 3_600_000;
const KU = x509.KeyUsageFlags;
/** What an SM2 encryption certificate's key may do: any one of these. */
const ENCRYPTION_USAGES = KU.keyEncipherment | KU.keyAgreement | KU.dataEncipherment;

function sanNames(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return ext ? ext.names.items.filter((n) => n.type === 'dns').map((n) => n.value.toLowerCase()) : [];
}

function commonNameOf(cert: x509.X509Certificate): string | undefined {
  return cert.subjectName.getField('CN')[0];
}

function fieldsOf(leaf: x509.X509Certificate): Omit<CertificateMeta, 'caOrderId' | 'encryption'> {
  return {
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
async function buildChain(leaf: x509.X509Certificate, pool: x509.X509Certificate[], problems: string[], label: string): Promise<x509.X509Certificate[]> {
  const chain = [leaf];
  let current = leaf;
  for (let depth = 0; depth < 5; depth++) {
    if (current.subject === current.issuer && (await signedBy(current, current))) return chain;
    let parent: x509.X509Certificate | undefined;
    for (const c of pool) {
      if (c.subject !== current.issuer || chain.includes(c)) continue;
      if (await signedBy(current, c)) {
        parent = c;
        break;
      }
    }
    if (!parent) {
      problems.push(`${label}chain does not build: no certificate in the chain issued "${current.subject}" (issuer "${current.issuer}")`);
      return chain;
    }
    chain.push(parent);
    current = parent;
  }
  problems.push(`${label}chain does not build: deeper than 5 certificates`);
  return chain;
}

/** One certificate the order must deliver, and what it is checked against. */
interface Checked {
  /** Prefix of its problems: '' for the order's (signing) certificate. */
  label: string;
  pem: string;
  chainPems: readonly string[];
  /** The CSR whose key it must carry, when there is one. */
  csr?: x509.Pkcs10CertificateRequest;
  /** At least one of these key usages, when the certificate restricts them. */
  usages?: { flags: number; words: string };
}

interface CheckedOk {
  leaf: x509.X509Certificate;
  chain: x509.X509Certificate[];
}

async function check(c: Checked, input: VerifyInput, problems: string[]): Promise<CheckedOk | undefined> {
  let leaf: x509.X509Certificate;
  try {
    leaf = new x509.X509Certificate(c.pem);
  } catch (err) {
    problems.push(`${c.label || 'the leaf '}certificate does not parse: ${(err as Error).message}`);
    return undefined;
  }
  const what = c.label || "the certificate's ";
  if (c.csr && !Buffer.from(leaf.publicKey.rawData).equals(Buffer.from(c.csr.publicKey.rawData))) {
    problems.push(`${what}public key is not the CSR's public key`);
  }
  if (c.usages) {
    const ku = leaf.getExtension(x509.KeyUsagesExtension);
    if (ku && (ku.usages & c.usages.flags) === 0) problems.push(`${c.label}key usage lacks ${c.usages.words}`);
  }
  const cn = commonNameOf(leaf);
  if ((cn ?? '').toLowerCase() !== input.commonName.toLowerCase()) {
    problems.push(`${c.label}subject CN is "${cn ?? ''}", the order's common name is "${input.commonName}"`);
  }
  const fields = fieldsOf(leaf);
  if (input.expectDnsNames) {
    const sans = new Set(fields.sans);
    const wanted = [input.commonName, ...(input.hosts ?? [])].map((h) => h.toLowerCase());
    const missing = wanted.filter((h) => !sans.has(h));
    if (missing.length > 0) problems.push(`${c.label}names missing from subjectAltName: ${missing.join(', ')}`);
  }
  const now = Date.now();
  if (leaf.notAfter.getTime() <= leaf.notBefore.getTime()) problems.push(`${c.label}notAfter is not after notBefore`);
  if (leaf.notBefore.getTime() > now + CLOCK_SKEW_MS) problems.push(`${c.label}notBefore ${fields.notBefore} is in the future`);
  if (leaf.notAfter.getTime() <= now) problems.push(`${c.label}the certificate expired at ${fields.notAfter}`);

  const pool: x509.X509Certificate[] = [];
  for (const pem of c.chainPems) {
    try {
      pool.push(new x509.X509Certificate(pem));
    } catch (err) {
      problems.push(`${c.label}a chain certificate does not parse: ${(err as Error).message}`);
    }
  }
  return { leaf, chain: await buildChain(leaf, pool, problems, c.label) };
}

/**
 * Checks what the CA issued against the order before anything is delivered: key matches the
 * CSR, names, dates, and the chain up to a self-signed root, signature by signature.
 *
 * The CSR's key type says which certificate is the order's. An SM2 CSR: the SM2 signing
 * certificate (key usage digitalSignature) and the encryption certificate the CA issues with
 * it (keyEncipherment, keyAgreement or dataEncipherment), each with its own chain; both are
 * SM2-with-SM3 signed and checked by node:crypto. Any other CSR: the RSA/ECC certificate —
 * `rsaCertificatePem` when the CA answered one beside an SM2 pair (the bundled RSA order).
 */
export async function verifyCertificate(input: VerifyInput): Promise<VerifyResult> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(input.csrPem);
  } catch (err) {
    return { ok: false, problems: [`the order's CSR does not parse: ${(err as Error).message}`] };
  }
  const r = input.retrieved;
  const sm2 = isSm2Key(csr.publicKey);
  const problems: string[] = [];

  const main: Checked = sm2
    ? { label: '', pem: r.certificatePem, chainPems: r.chainPems, csr, usages: { flags: KU.digitalSignature, words: 'digitalSignature' } }
    : { label: '', pem: r.rsaCertificatePem ?? r.certificatePem, chainPems: r.rsaCertificatePem !== undefined ? (r.rsaChainPems ?? []) : r.chainPems, csr };
  const signing = await check(main, input, problems);
  if (!signing) return { ok: false, problems };
  const certificate: CertificateMeta = { caOrderId: input.caOrderId, ...fieldsOf(signing.leaf) };

  let encryption: CheckedOk | undefined;
  if (sm2) {
    if (r.encryptionCertificatePem === undefined) {
      problems.push('an SM2 order needs its encryption certificate, and the CA returned none');
    } else {
      let encCsr: x509.Pkcs10CertificateRequest | undefined;
      if (input.csrEncryptPem !== undefined) {
        try {
          encCsr = new x509.Pkcs10CertificateRequest(input.csrEncryptPem);
        } catch (err) {
          problems.push(`the order's encryption CSR does not parse: ${(err as Error).message}`);
        }
      }
      encryption = await check(
        {
          label: 'encryption certificate: ',
          pem: r.encryptionCertificatePem,
          chainPems: r.encryptionChainPems ?? [],
          csr: encCsr,
          usages: { flags: ENCRYPTION_USAGES, words: 'keyEncipherment, keyAgreement and dataEncipherment' },
        },
        input,
        problems,
      );
      if (encryption) {
        certificate.encryption = fieldsOf(encryption.leaf);
        if (!isSm2Key(encryption.leaf.publicKey)) problems.push('encryption certificate: its key is not an SM2 key');
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems, certificate };

  const bundle: CertificateBundle = {
    caOrderId: input.caOrderId,
    leafPem: signing.leaf.toString('pem'),
    chainPems: signing.chain.slice(1).map((c) => c.toString('pem')),
  };
  if (encryption) {
    bundle.encryptionLeafPem = encryption.leaf.toString('pem');
    bundle.encryptionChainPems = encryption.chain.slice(1).map((c) => c.toString('pem'));
  }
  return { ok: true, certificate, bundle };
}
