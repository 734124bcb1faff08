/**
 * The web host's own TLS certificate: self-signed, made at start, never trusted by anyone.
 * A CA fetching a validation file does not judge the site's certificate (customers buying one
 * often have an expired or self-signed one), so this only has to make TLS work.
 */
import { randomSerial } from '../wotrus/pki';
import { type CryptoKeyPair, subtle, x509 } from '../wotrus/x509';

export interface SelfSigned {
  certPem: string;
  keyPem: string;
}

const DAY = 86_400_000;

export async function selfSignedCertificate(commonName = 'certflow-webhost.test'): Promise<SelfSigned> {
  // ECDSA P-256: generated in milliseconds, where an RSA key would cost most of a start.
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [commonName] }],
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    keys: keys as never,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: commonName }, { type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }])],
  });
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}
