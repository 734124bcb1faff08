/**
 * The simulator's private PKI: two hierarchies (root + intermediate each), created once and
 * persisted, that issue real leaves from submitted CSRs so that everything downstream
 * (chain assembly, `openssl verify`, key matching) is exercised against genuine X.509.
 *
 * - `rsa`: RSA-2048 / SHA-256, for RSA/ECC SSL and the document-signing products.
 * - `sm2`: SM2 keys, SM2-with-SM3 signatures (GM/T 0015), for the SM2 signing and
 *   encryption certificates. WebCrypto (and so @peculiar/x509) has no SM2/SM3, so this
 *   hierarchy's CA certificates are written with der.ts too, and signed by Node's OpenSSL 3.
 *
 * The RSA CA certificates are made with @peculiar/x509; leaves are written with der.ts and
 * signed with node:crypto on the libuv pool, which is ~10x cheaper per order (see der.ts).
 */
import { createHash, createPrivateKey, generateKeyPair, type KeyObject, randomBytes, sign } from 'node:crypto';
import * as der from './der';
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

/** Version 1 held an ECDSA P-256 stand-in for the SM2 hierarchy; loading one replaces that hierarchy. */
export const persistedCaSchema = z.object({ version: z.union([z.literal(1), z.literal(2)]), rsa: caMaterialSchema, sm2: caMaterialSchema });
export type PersistedCa = z.infer<typeof persistedCaSchema>;

const DAY = 86_400_000;
const ORG = 'Certflow WoTrus Simulator';

const RSA_ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

async function generateCaKeys(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey({ ...RSA_ALG, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export interface Sm2KeyPair {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** DER SubjectPublicKeyInfo (id-ecPublicKey on the SM2 curve). */
  spki: Buffer;
  /** Ready to sign SM2-with-SM3. */
  privateKey: KeyObject;
}

/**
 * A new SM2 key pair. Node generates SM2 keys as plain EC keys on the SM2 curve, which sign
 * ECDSA-style; only a key read back from its encoding is OpenSSL's SM2 type, whose
 * signatures are SM2 (Z value with the default id 1234567812345678) — hence the round trip.
 */
export async function generateSm2KeyPair(): Promise<Sm2KeyPair> {
  const { privateKey, publicKey } = await new Promise<{ privateKey: string; publicKey: Buffer }>((resolve, reject) =>
    generateKeyPair('ec', { namedCurve: 'SM2', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'der' } }, (err, pub, priv) =>
      err ? reject(err) : resolve({ privateKey: priv, publicKey: pub }),
    ),
  );
  return { privateKeyPem: privateKey, spki: publicKey, privateKey: createPrivateKey(privateKey) };
}

/** Signs DER with SM2-with-SM3 (`sm2`) or RSA PKCS#1 v1.5 / ECDSA with SHA-256, off the main thread. */
function signAsync(name: HierarchyName, data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => sign(name === 'sm2' ? 'sm3' : 'sha256', data, key, (err, sig) => (err ? reject(err) : resolve(sig))));
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

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

export interface LeafRequest {
  /** DER SubjectPublicKeyInfo, copied into the certificate as is. */
  spki: Buffer;
  keyType: 'rsa' | 'ec' | 'sm2';
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
      // GM/T 0015: an SM2 encryption certificate enciphers keys and data and agrees keys.
      if (req.role === 'encrypt' && req.keyType === 'sm2') return { keyUsage: F.keyEncipherment | F.dataEncipherment | F.keyAgreement, eku: [E.serverAuth, E.clientAuth] };
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
  private readonly issuerName: Buffer;
  private readonly issuerSki: Buffer;
  private readonly signatureAlgorithm: Buffer;

  private constructor(
    readonly name: HierarchyName,
    readonly root: x509.X509Certificate,
    readonly intermediate: x509.X509Certificate,
    private readonly signingKey: KeyObject,
    private readonly material: CaMaterial,
  ) {
    // Copied byte for byte so the leaf's issuer matches the intermediate's subject exactly.
    this.issuerName = Buffer.from(intermediate.subjectName.toArrayBuffer());
    this.issuerSki = Buffer.from(skiOf(intermediate), 'hex');
    this.signatureAlgorithm = signatureAlgorithmOf(name);
  }

  /** Chain as WoTrus answers it: the top root first, the intermediate last. */
  readonly chainPems = (): string[] => [this.material.rootPem, this.material.intermediatePem];

  toMaterial(): CaMaterial {
    return { ...this.material };
  }

  static async create(name: HierarchyName, brand?: CaBrand): Promise<CaHierarchy> {
    return CaHierarchy.load(name, name === 'rsa' ? await createRsaMaterial(brand) : await createSm2Material());
  }

  static async load(name: HierarchyName, material: CaMaterial): Promise<CaHierarchy> {
    const root = new x509.X509Certificate(material.rootPem);
    const intermediate = new x509.X509Certificate(material.intermediatePem);
    return new CaHierarchy(name, root, intermediate, createPrivateKey(material.intermediateKeyPem), material);
  }

  async issue(req: LeafRequest): Promise<IssuedLeaf> {
    const { keyUsage, eku } = usagesFor(req);
    const serial = randomSerialBytes();
    // Whole seconds: that is all X.509 time encodes.
    const notBefore = new Date(Math.floor(req.notBefore.getTime() / 1000) * 1000);
    const cap = Math.min(req.notAfter.getTime(), this.intermediate.notAfter.getTime()); // a leaf never outlives its issuer
    const notAfter = new Date(Math.floor(cap / 1000) * 1000);
    const extensions = [
      extension(OID_BASIC_CONSTRAINTS, true, der.seq()),
      extension(OID_KEY_USAGE, true, der.namedBits(keyUsage)),
      extension(OID_EXT_KEY_USAGE, false, der.seq(...eku.map(der.oid))),
      extension(OID_SKI, false, der.octets(keyIdentifier(req.spki))),
      extension(OID_AKI, false, der.seq(der.tlv(0x80, this.issuerSki))),
      extension(OID_CERTIFICATE_POLICIES, false, der.seq(der.seq(der.oid(req.policyOid)))),
    ];
    const sans = encodeSans(req.sans);
    if (sans) extensions.push(extension(OID_SAN, false, sans));
    const tbs = der.seq(
      der.explicit(0, der.smallInt(2)),
      der.uint(serial),
      this.signatureAlgorithm,
      this.issuerName,
      der.seq(der.time(notBefore), der.time(notAfter)),
      encodeName(req.subject),
      req.spki,
      der.explicit(3, der.seq(...extensions)),
    );
    const signature = await signAsync(this.name, tbs, this.signingKey);
    const cert = der.seq(tbs, this.signatureAlgorithm, der.bitString(signature));
    return { pem: der.toPem(cert, 'CERTIFICATE'), serialNumber: serial.toString('hex'), notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString() };
  }
}

/** Who the simulated CA says it is: WoTrus by default; the ACMAPI simulator's CA is WoSign's. */
export interface CaBrand {
  organization: string;
  /** Prefix of the common names: `<prefix> RSA Root CA`. */
  prefix: string;
}
const WOTRUS_BRAND: CaBrand = { organization: ORG, prefix: 'WoTrus Simulator' };

const caName = (label: string, role: 'Root' | 'Intermediate', brand: CaBrand = WOTRUS_BRAND): x509.JsonName => [{ C: ['CN'] }, { O: [brand.organization] }, { CN: [`${brand.prefix} ${label} ${role} CA`] }];

async function createRsaMaterial(brand?: CaBrand): Promise<CaMaterial> {
  const now = Date.now();
  const rootKeys = await generateCaKeys();
  const interKeys = await generateCaKeys();
  const rootSki = await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey as never);
  const F = x509.KeyUsageFlags;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: caName('RSA', 'Root', brand),
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 20 * 365 * DAY),
    keys: rootKeys as never,
    signingAlgorithm: RSA_ALG,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(F.keyCertSign | F.cRLSign, true), rootSki],
  });
  const interSki = await x509.SubjectKeyIdentifierExtension.create(interKeys.publicKey as never);
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: caName('RSA', 'Intermediate', brand),
    issuer: root.subjectName,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 10 * 365 * DAY),
    publicKey: interKeys.publicKey as never,
    signingKey: rootKeys.privateKey as never,
    signingAlgorithm: RSA_ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(F.keyCertSign | F.cRLSign | F.digitalSignature, true),
      interSki,
      new x509.AuthorityKeyIdentifierExtension(rootSki.keyId),
    ],
  });
  return {
    rootPem: root.toString('pem'),
    rootKeyPem: await exportPrivateKey(rootKeys.privateKey),
    intermediatePem: intermediate.toString('pem'),
    intermediateKeyPem: await exportPrivateKey(interKeys.privateKey),
  };
}

/** The SM2 root and intermediate, written with der.ts: the same profile as the RSA pair. */
async function createSm2Material(): Promise<CaMaterial> {
  const now = Date.now();
  const [rootKeys, interKeys] = await Promise.all([generateSm2KeyPair(), generateSm2KeyPair()]);
  const rootName = encodeName(caName('SM2', 'Root'));
  const interName = encodeName(caName('SM2', 'Intermediate'));
  const rootSki = keyIdentifier(rootKeys.spki);
  const F = x509.KeyUsageFlags;
  const caCert = async (p: { issuer: Buffer; subject: Buffer; spki: Buffer; notAfter: Date; pathLen?: number; usages: number; aki?: Buffer; signer: KeyObject }): Promise<string> => {
    const basic = p.pathLen === undefined ? der.seq(der.bool(true)) : der.seq(der.bool(true), der.smallInt(p.pathLen));
    const extensions = [
      extension(OID_BASIC_CONSTRAINTS, true, basic),
      extension(OID_KEY_USAGE, true, der.namedBits(p.usages)),
      extension(OID_SKI, false, der.octets(keyIdentifier(p.spki))),
    ];
    if (p.aki) extensions.push(extension(OID_AKI, false, der.seq(der.tlv(0x80, p.aki))));
    const algorithm = signatureAlgorithmOf('sm2');
    const tbs = der.seq(
      der.explicit(0, der.smallInt(2)),
      der.uint(randomSerialBytes()),
      algorithm,
      p.issuer,
      der.seq(der.time(new Date(Math.floor((now - DAY) / 1000) * 1000)), der.time(new Date(Math.floor(p.notAfter.getTime() / 1000) * 1000))),
      p.subject,
      p.spki,
      der.explicit(3, der.seq(...extensions)),
    );
    return der.toPem(der.seq(tbs, algorithm, der.bitString(await signAsync('sm2', tbs, p.signer))), 'CERTIFICATE');
  };
  const rootPem = await caCert({ issuer: rootName, subject: rootName, spki: rootKeys.spki, notAfter: new Date(now + 20 * 365 * DAY), usages: F.keyCertSign | F.cRLSign, signer: rootKeys.privateKey });
  const intermediatePem = await caCert({
    issuer: rootName,
    subject: interName,
    spki: interKeys.spki,
    notAfter: new Date(now + 10 * 365 * DAY),
    pathLen: 0,
    usages: F.keyCertSign | F.cRLSign | F.digitalSignature,
    aki: rootSki,
    signer: rootKeys.privateKey,
  });
  return { rootPem, rootKeyPem: rootKeys.privateKeyPem, intermediatePem, intermediateKeyPem: interKeys.privateKeyPem };
}

const OID_SHA256_RSA = '1.2.840.113549.1.1.11';
/** SM2 signature with SM3; its AlgorithmIdentifier has no parameters. */
export const OID_SM2_WITH_SM3 = '1.2.156.10197.1.501';

function signatureAlgorithmOf(name: HierarchyName): Buffer {
  return name === 'rsa' ? der.seq(der.oid(OID_SHA256_RSA), der.nul()) : der.seq(der.oid(OID_SM2_WITH_SM3));
}
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_SKI = '2.5.29.14';
const OID_AKI = '2.5.29.35';
const OID_CERTIFICATE_POLICIES = '2.5.29.32';
const OID_SAN = '2.5.29.17';
const NAME_OIDS: Record<string, string> = { C: '2.5.4.6', ST: '2.5.4.8', L: '2.5.4.7', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3', E: '1.2.840.113549.1.9.1' };

function randomSerialBytes(): Buffer {
  return Buffer.from(randomSerial(), 'hex');
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? der.seq(der.oid(id), der.bool(true), der.octets(value)) : der.seq(der.oid(id), der.octets(value));
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's bits. */
function keyIdentifier(spki: Buffer): Buffer {
  const bits = der.children(der.readAll(spki))[1];
  if (!bits || bits.tag !== 0x03) throw new Error('malformed SubjectPublicKeyInfo');
  return createHash('sha1').update(bits.value.subarray(1)).digest();
}

export function encodeName(name: x509.JsonName): Buffer {
  const rdns: Buffer[] = [];
  for (const rdn of name) {
    for (const [type, values] of Object.entries(rdn)) {
      const id = NAME_OIDS[type] ?? type;
      for (const v of values) rdns.push(der.set(der.seq(der.oid(id), der.dirString(v))));
    }
  }
  return der.seq(...rdns);
}

export function encodeSans(names: x509.JsonGeneralName[]): Buffer | undefined {
  const out: Buffer[] = [];
  for (const n of names) {
    if (n.type === 'dns') out.push(der.tlv(0x82, Buffer.from(n.value, 'ascii')));
    else if (n.type === 'email') out.push(der.tlv(0x81, Buffer.from(n.value, 'ascii')));
    else if (n.type === 'ip') {
      const b = der.ipBytes(n.value);
      if (b) out.push(der.tlv(0x87, b));
    }
  }
  return out.length ? der.seq(...out) : undefined;
}

export interface Pki {
  rsa: CaHierarchy;
  sm2: CaHierarchy;
}

export async function createPki(): Promise<Pki> {
  const [rsa, sm2] = await Promise.all([CaHierarchy.create('rsa'), CaHierarchy.create('sm2')]);
  return { rsa, sm2 };
}

/** A version 1 file's SM2 hierarchy was an ECDSA stand-in: it is replaced (`upgraded`), the RSA one kept. */
export async function loadPki(p: PersistedCa): Promise<Pki & { upgraded: boolean }> {
  const rsa = await CaHierarchy.load('rsa', p.rsa);
  if (p.version === 1) return { rsa, sm2: await CaHierarchy.create('sm2'), upgraded: true };
  return { rsa, sm2: await CaHierarchy.load('sm2', p.sm2), upgraded: false };
}

export function pkiMaterial(pki: Pki): PersistedCa {
  return { version: 2, rsa: pki.rsa.toMaterial(), sm2: pki.sm2.toMaterial() };
}
