/**
 * The simulator's private PKI: two hierarchies (root + intermediate each), created once and
 * persisted, that issue real leaves from submitted CSRs so that everything downstream
 * (chain assembly, `openssl verify`, key matching) is exercised against genuine X.509.
 *
 * - `rsa`: RSA-2048 / SHA-256, for RSA/ECC SSL and the document-signing products.
 * - `sm2`: an ECDSA P-256 stand-in for WoTrus's SM2 hierarchy. WebCrypto has no SM2/SM3, so
 *   SM2 orders get ECDSA-signed certificates from a separate chain; the shape of the answer
 *   (pem_Sign/pem_Encrypt with their own chains) is what matters to a client.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { CertProfile } from './catalog';
import { type CryptoKey, type CryptoKeyPair, subtle, x509 } from './x509';

export type HierarchyName = 'rsa' | 'sm2';

export const caMaterialSchema = z.object({
  rootPem: z.string(),
  rootKeyPem: z.string(),
  intermediatePem: z.string(),
  intermediateKeyPem: z.string(),
});
export type CaMaterial = z.infer<typeof caMaterialSchema>;

export const persistedCaSchema = z.object({ version: z.literal(1), rsa: caMaterialSchema, sm2: caMaterialSchema });
export type PersistedCa = z.infer<typeof persistedCaSchema>;

const DAY = 86_400_000;
const ORG = 'Certflow WoTrus Simulator';

const RSA_ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;

function keyAlg(h: HierarchyName): typeof RSA_ALG | typeof EC_ALG {
  return h === 'rsa' ? RSA_ALG : EC_ALG;
}

async function generateCaKeys(h: HierarchyName): Promise<CryptoKeyPair> {
  const params = h === 'rsa' ? { ...RSA_ALG, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) } : EC_ALG;
  return (await subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** Positive, non-zero-leading 128-bit serial (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

function skiOf(cert: x509.X509Certificate): string {
  const ext = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!ext) throw new Error('CA certificate without subjectKeyIdentifier');
  return ext.keyId;
}

async function importPrivateKey(pem: string, h: HierarchyName): Promise<CryptoKey> {
  return subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), keyAlg(h), false, ['sign']);
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

export interface LeafRequest {
  spki: ArrayBuffer;
  keyType: 'rsa' | 'ec';
  subject: x509.JsonName;
  sans: x509.JsonGeneralName[];
  notBefore: Date;
  notAfter: Date;
  profile: CertProfile;
  policyOid: string;
  /** SM2 double certificates: the signing one and the encryption one differ in key usage. */
  role?: 'sign' | 'encrypt';
}

export interface IssuedLeaf {
  pem: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
}

const EKU_DOCUMENT_SIGNING = '1.3.6.1.5.5.7.3.36';
const EKU_ADOBE_AUTHENTIC_DOCUMENTS = '1.2.840.113583.1.1.5';
const EKU_MS_DOCUMENT_SIGNING = '1.3.6.1.4.1.311.10.3.12';

function usagesFor(req: LeafRequest): { keyUsage: number; eku: string[] } {
  const F = x509.KeyUsageFlags;
  const E = x509.ExtendedKeyUsage;
  // keyEncipherment only makes sense for RSA keys; ECDSA keys agree instead.
  const encipher = req.keyType === 'rsa' ? F.keyEncipherment : F.keyAgreement;
  switch (req.profile) {
    case 'ssl':
      if (req.role === 'encrypt') return { keyUsage: encipher | F.dataEncipherment, eku: [E.serverAuth, E.clientAuth] };
      if (req.role === 'sign') return { keyUsage: F.digitalSignature | F.nonRepudiation, eku: [E.serverAuth, E.clientAuth] };
      return { keyUsage: F.digitalSignature | (req.keyType === 'rsa' ? F.keyEncipherment : 0), eku: [E.serverAuth, E.clientAuth] };
    case 'pdf-sign-encrypt':
      return {
        keyUsage: F.digitalSignature | F.nonRepudiation | encipher | F.dataEncipherment,
        eku: [E.emailProtection, EKU_DOCUMENT_SIGNING, EKU_ADOBE_AUTHENTIC_DOCUMENTS, EKU_MS_DOCUMENT_SIGNING],
      };
    case 'doc-sign-org':
    case 'doc-sign-personal':
      return {
        keyUsage: F.digitalSignature | F.nonRepudiation,
        eku: [EKU_DOCUMENT_SIGNING, E.emailProtection, EKU_ADOBE_AUTHENTIC_DOCUMENTS, EKU_MS_DOCUMENT_SIGNING],
      };
  }
}

/** One root + one intermediate (pathLen 0) and the intermediate's signing key. */
export class CaHierarchy {
  private constructor(
    readonly name: HierarchyName,
    readonly root: x509.X509Certificate,
    readonly intermediate: x509.X509Certificate,
    private readonly signingKey: CryptoKey,
    private readonly material: CaMaterial,
    private readonly intermediateSki: string,
  ) {}

  /** Chain as WoTrus answers it: the top root first, the intermediate last. */
  readonly chainPems = (): string[] => [this.material.rootPem, this.material.intermediatePem];

  toMaterial(): CaMaterial {
    return { ...this.material };
  }

  static async create(name: HierarchyName): Promise<CaHierarchy> {
    const label = name === 'rsa' ? 'RSA' : 'SM2 (ECDSA P-256 stand-in)';
    const now = Date.now();
    const rootKeys = await generateCaKeys(name);
    const interKeys = await generateCaKeys(name);
    const rootName: x509.JsonName = [{ C: ['CN'] }, { O: [ORG] }, { CN: [`WoTrus Simulator ${label} Root CA`] }];
    const interName: x509.JsonName = [{ C: ['CN'] }, { O: [ORG] }, { CN: [`WoTrus Simulator ${label} Intermediate CA`] }];
    const rootSki = await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey as never);
    const F = x509.KeyUsageFlags;
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: rootName,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 20 * 365 * DAY),
      keys: rootKeys as never,
      signingAlgorithm: name === 'rsa' ? RSA_ALG : { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(F.keyCertSign | F.cRLSign, true), rootSki],
    });
    const interSki = await x509.SubjectKeyIdentifierExtension.create(interKeys.publicKey as never);
    const intermediate = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: interName,
      issuer: root.subjectName,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 10 * 365 * DAY),
      publicKey: interKeys.publicKey as never,
      signingKey: rootKeys.privateKey as never,
      signingAlgorithm: name === 'rsa' ? RSA_ALG : { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(F.keyCertSign | F.cRLSign | F.digitalSignature, true),
        interSki,
        new x509.AuthorityKeyIdentifierExtension(rootSki.keyId),
      ],
    });
    const material: CaMaterial = {
      rootPem: root.toString('pem'),
      rootKeyPem: await exportPrivateKey(rootKeys.privateKey),
      intermediatePem: intermediate.toString('pem'),
      intermediateKeyPem: await exportPrivateKey(interKeys.privateKey),
    };
    return CaHierarchy.load(name, material);
  }

  static async load(name: HierarchyName, material: CaMaterial): Promise<CaHierarchy> {
    const root = new x509.X509Certificate(material.rootPem);
    const intermediate = new x509.X509Certificate(material.intermediatePem);
    const signingKey = await importPrivateKey(material.intermediateKeyPem, name);
    return new CaHierarchy(name, root, intermediate, signingKey, material, skiOf(intermediate));
  }

  async issue(req: LeafRequest): Promise<IssuedLeaf> {
    const { keyUsage, eku } = usagesFor(req);
    const publicKey = new x509.PublicKey(req.spki);
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(keyUsage, true),
      new x509.ExtendedKeyUsageExtension(eku, false),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      new x509.AuthorityKeyIdentifierExtension(this.intermediateSki),
      new x509.CertificatePolicyExtension([req.policyOid]),
    ];
    if (req.sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(req.sans, false));
    // A leaf never outlives its issuer.
    const notAfter = req.notAfter.getTime() > this.intermediate.notAfter.getTime() ? this.intermediate.notAfter : req.notAfter;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: req.subject,
      issuer: this.intermediate.subjectName,
      notBefore: req.notBefore,
      notAfter,
      publicKey,
      signingKey: this.signingKey as never,
      signingAlgorithm: this.name === 'rsa' ? RSA_ALG : { name: 'ECDSA', hash: 'SHA-256' },
      extensions,
    });
    return { pem: cert.toString('pem'), serialNumber: cert.serialNumber, notBefore: cert.notBefore.toISOString(), notAfter: cert.notAfter.toISOString() };
  }
}

export interface Pki {
  rsa: CaHierarchy;
  sm2: CaHierarchy;
}

export async function createPki(): Promise<Pki> {
  const [rsa, sm2] = await Promise.all([CaHierarchy.create('rsa'), CaHierarchy.create('sm2')]);
  return { rsa, sm2 };
}

export async function loadPki(p: PersistedCa): Promise<Pki> {
  return { rsa: await CaHierarchy.load('rsa', p.rsa), sm2: await CaHierarchy.load('sm2', p.sm2) };
}

export function pkiMaterial(pki: Pki): PersistedCa {
  return { version: 1, rsa: pki.rsa.toMaterial(), sm2: pki.sm2.toMaterial() };
}
