/**
 * Real PKCS#10 requests built synchronously (node:crypto signs, the simulator's DER encoder
 * writes), so module-level fixtures can be real CSRs; and SM2 ones, which WebCrypto (and so
 * the simulator's generateCsr) cannot make.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import * as der from '../../tools/simulators/wotrus/der';

export type TestKeyType = 'ec' | 'rsa' | 'sm2';

export interface TestCsrOptions {
  commonName: string;
  /** subjectAltName DNS names (the common name is not added by itself). */
  dnsNames?: string[];
  keyType?: TestKeyType;
  /** RSA modulus length (a small one lets tests provoke the key-strength rule); default 2048. */
  rsaBits?: number;
  /** EC curve by OpenSSL's name; default prime256v1 (P-256). */
  curve?: string;
  /** Corrupt the self-signature after signing. */
  badSignature?: boolean;
}

const SIGNATURE: Record<TestKeyType, { hash: string; algorithm: Buffer }> = {
  ec: { hash: 'sha256', algorithm: der.seq(der.oid('1.2.840.10045.4.3.2')) },
  rsa: { hash: 'sha256', algorithm: der.seq(der.oid('1.2.840.113549.1.1.11'), der.nul()) },
  sm2: { hash: 'sm3', algorithm: der.seq(der.oid('1.2.156.10197.1.501')) },
};

const keyCache = new Map<string, KeyObject>();

function privateKey(type: TestKeyType, rsaBits: number, curve: string): KeyObject {
  const id = `${type}/${rsaBits}/${curve}`;
  let key = keyCache.get(id);
  if (!key) {
    key = type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: rsaBits }).privateKey
      : generateKeyPairSync('ec', { namedCurve: type === 'sm2' ? 'SM2' : curve }).privateKey;
    // Generated on the SM2 curve, OpenSSL holds an EC key and would sign ECDSA; read back from
    // PKCS#8 it is an SM2 key and signs SM2-with-SM3 (with the default distinguishing id).
    if (type === 'sm2') key = createPrivateKey(key.export({ type: 'pkcs8', format: 'pem' }));
    keyCache.set(id, key);
  }
  return key;
}

/** A PEM CSR signed with its own key (one key per type, reused: tests need names, not keys). */
export function testCsr(opts: TestCsrOptions): string {
  const type = opts.keyType ?? 'ec';
  const key = privateKey(type, opts.rsaBits ?? 2048, opts.curve ?? 'prime256v1');
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const subject = der.seq(der.set(der.seq(der.oid('2.5.4.3'), der.utf8(opts.commonName))));
  const dns = opts.dnsNames ?? [];
  const attributes = dns.length
    ? der.seq(
        der.oid('1.2.840.113549.1.9.14'),
        der.set(der.seq(der.seq(der.oid('2.5.29.17'), der.octets(der.seq(...dns.map((n) => der.tlv(0x82, Buffer.from(n, 'ascii')))))))),
      )
    : Buffer.alloc(0);
  const info = der.seq(der.smallInt(0), subject, spki, der.tlv(0xa0, attributes));
  const { hash, algorithm } = SIGNATURE[type];
  const signature = sign(hash, info, key);
  if (opts.badSignature) signature[signature.length - 2]! ^= 0x01;
  return der.toPem(der.seq(info, algorithm, der.bitString(signature)), 'CERTIFICATE REQUEST');
}

