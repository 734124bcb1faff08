/**
 * A small test PKI for mutual TLS: a CA, and server or client certificates it signs (ECDSA
 * P-256, made in milliseconds with @peculiar/x509 over WebCrypto). Test-only; nothing here is
 * trusted anywhere else.
 */
import { webcrypto } from 'node:crypto';
import { x509 } from '../../src/lib/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const DAY = 86_400_000;
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface TestCa {
  name: string;
  certPem: string;
  keyPem: string;
  /** Issues a leaf certificate signed by this CA. */
  issue(opts: LeafOptions): Promise<TestLeaf>;
}

export interface LeafOptions {
  commonName: string;
  /** `server`: serverAuth with DNS localhost and IP 127.0.0.1 in the SAN; `client`: clientAuth. */
  usage: 'server' | 'client';
  notBefore?: Date;
  notAfter?: Date;
}

export interface TestLeaf {
  certPem: string;
  keyPem: string;
}

let serial = 1;
const nextSerial = (): string => (serial++).toString(16).padStart(2, '0') + webcrypto.getRandomValues(new Uint8Array(8)).reduce((s, b) => s + b.toString(16).padStart(2, '0'), '');

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
}

/** A self-signed CA named `name` (CN), valid from yesterday for a year. */
export async function createTestCa(name: string): Promise<TestCa> {
  const keys = await keyPair();
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${name}`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
    keys: keys as never,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  const caKeyPem = await keyPem(keys);
  return {
    name,
    certPem: ca.toString('pem'),
    keyPem: caKeyPem,
    async issue(opts) {
      const leafKeys = await keyPair();
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: nextSerial(),
        subject: `CN=${opts.commonName}`,
        issuer: ca.subject,
        notBefore: opts.notBefore ?? new Date(now - DAY),
        notAfter: opts.notAfter ?? new Date(now + 90 * DAY),
        publicKey: leafKeys.publicKey as never,
        signingKey: keys.privateKey as never,
        signingAlgorithm: ALG,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([opts.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
          await x509.AuthorityKeyIdentifierExtension.create(ca, false),
          ...(opts.usage === 'server'
            ? [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }])]
            : []),
        ],
      });
      return { certPem: cert.toString('pem'), keyPem: await keyPem(leafKeys) };
    },
  };
}
