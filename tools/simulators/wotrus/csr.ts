/**
 * CSRs: generating them (a helper for tests and benchmarks all over the repo) and inspecting
 * the ones a partner submits, with the checks a CA makes before it accepts an order.
 */
import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import * as der from './der';
import { encodeName, encodeSans, generateSm2KeyPair, OID_SM2_WITH_SM3 } from './pki';
import { type CryptoKey, type CryptoKeyPair, subtle, x509 } from './x509';

/** `sm2`: SM2 keys (SM2-with-SM3 self-signature), the only ones an SM2 product's CSRs may carry. */
export type CsrKeyType = 'rsa' | 'ec' | 'sm2';
export type EcCurve = 'P-256' | 'P-384';

export interface GenerateCsrOptions {
  commonName: string;
  /** Extra subjectAltNames; IP literals become IP SANs, `a@b` e-mail SANs, the rest DNS SANs. */
  sans?: string[];
  /** SM2 requests: generateSm2Csr. */
  keyType?: Exclude<CsrKeyType, 'sm2'>;
  /** RSA modulus length; default 2048 (a smaller one is allowed here so tests can provoke the CA's refusal). */
  rsaBits?: number;
  curve?: EcCurve;
  /** Extra subject attributes, e.g. { O: 'Example Ltd', C: 'CN' }. */
  subject?: Record<string, string>;
  /** Reuse an existing key pair (benchmarks: RSA key generation dominates otherwise). */
  keys?: CryptoKeyPair;
}

export interface GeneratedCsr {
  csrPem: string;
  privateKey: CryptoKey;
  privateKeyPem: string;
  publicKeyPem: string;
  keys: CryptoKeyPair;
}

/**
 * A name as a SAN can carry it (IDNs as punycode), or undefined for what no SAN can hold,
 * such as a document-signing CN that is an organisation name.
 */
function sanText(value: string): string | undefined {
  if (isIP(value) || /^[\x21-\x7e]+@[\x21-\x7e]+$/.test(value)) return value;
  const wildcard = value.startsWith('*.') ? '*.' : '';
  const ascii = domainToASCII(value.slice(wildcard.length));
  return ascii.includes('.') ? `${wildcard}${ascii}` : undefined;
}

export function sanFor(value: string): x509.JsonGeneralName {
  if (isIP(value)) return { type: 'ip', value };
  if (value.includes('@')) return { type: 'email', value };
  return { type: 'dns', value };
}

interface RsaHashedKeyGenParams { name: string; modulusLength: number; publicExponent: Uint8Array; hash: string }
interface EcKeyGenParams { name: string; namedCurve: string }

function keyAlgorithm(keyType: Exclude<CsrKeyType, 'sm2'>, opts: GenerateCsrOptions): { gen: RsaHashedKeyGenParams | EcKeyGenParams; sign: { name: string; hash?: string } } {
  if (keyType === 'rsa') {
    return {
      gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: opts.rsaBits ?? 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      sign: { name: 'RSASSA-PKCS1-v1_5' },
    };
  }
  const curve = opts.curve ?? 'P-256';
  return { gen: { name: 'ECDSA', namedCurve: curve }, sign: { name: 'ECDSA', hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256' } };
}

export async function generateKeyPair(keyType: Exclude<CsrKeyType, 'sm2'> = 'rsa', opts: Pick<GenerateCsrOptions, 'rsaBits' | 'curve'> = {}): Promise<CryptoKeyPair> {
  const { gen } = keyAlgorithm(keyType, { commonName: '', ...opts });
  return subtle.generateKey(gen, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

/** Generates a key pair (or reuses `keys`) and a PKCS#10 request signed with it. */
export async function generateCsr(opts: GenerateCsrOptions): Promise<GeneratedCsr> {
  const keyType: Exclude<CsrKeyType, 'sm2'> = opts.keys ? (opts.keys.publicKey.algorithm.name === 'ECDSA' ? 'ec' : 'rsa') : (opts.keyType ?? 'rsa');
  const curve = opts.keys && keyType === 'ec' ? ((opts.keys.publicKey.algorithm as unknown as EcKeyGenParams).namedCurve as EcCurve) : opts.curve;
  const alg = keyAlgorithm(keyType, { ...opts, curve });
  const keys = opts.keys ?? ((await subtle.generateKey(alg.gen, true, ['sign', 'verify'])) as CryptoKeyPair);
  const names = [opts.commonName, ...(opts.sans ?? [])].map(sanText).filter((v, i, all): v is string => v !== undefined && all.indexOf(v) === i);
  const extensions: x509.Extension[] = names.length ? [new x509.SubjectAlternativeNameExtension(names.map(sanFor))] : [];
  const subject: x509.JsonName = [{ CN: [opts.commonName] }, ...Object.entries(opts.subject ?? {}).map(([k, v]) => ({ [k]: [v] }))];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject,
    keys: keys as unknown as x509.Pkcs10CertificateRequestCreateParams['keys'],
    signingAlgorithm: alg.sign as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['signingAlgorithm'],
    extensions,
  });
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
  const spki = await subtle.exportKey('spki', keys.publicKey);
  return {
    csrPem: csr.toString('pem'),
    privateKey: keys.privateKey,
    privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    publicKeyPem: x509.PemConverter.encode(spki, 'PUBLIC KEY'),
    keys,
  };
}

export interface GeneratedSm2Csr {
  csrPem: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

/**
 * An SM2 key pair and a PKCS#10 request signed SM2-with-SM3. WebCrypto has no SM2, so the
 * request is written with der.ts and signed by Node's OpenSSL 3 (tests, benchmarks, the
 * simulator's own SM2 orders).
 */
export async function generateSm2Csr(opts: Pick<GenerateCsrOptions, 'commonName' | 'sans' | 'subject'>): Promise<GeneratedSm2Csr> {
  const keys = await generateSm2KeyPair();
  const names = [opts.commonName, ...(opts.sans ?? [])].map(sanText).filter((v, i, all): v is string => v !== undefined && all.indexOf(v) === i);
  const sans = encodeSans(names.map(sanFor));
  const subject: x509.JsonName = [{ CN: [opts.commonName] }, ...Object.entries(opts.subject ?? {}).map(([k, v]) => ({ [k]: [v] }))];
  const extensionRequest = sans ? der.seq(der.oid(OID_EXTENSION_REQUEST), der.set(der.seq(der.seq(der.oid(OID_SAN), der.octets(sans))))) : undefined;
  const info = der.seq(der.smallInt(0), encodeName(subject), keys.spki, der.tlv(0xa0, extensionRequest ?? Buffer.alloc(0)));
  const signature = await new Promise<Buffer>((resolve, reject) => sign('sm3', info, keys.privateKey, (err, sig) => (err ? reject(err) : resolve(sig))));
  const csr = der.seq(info, der.seq(der.oid(OID_SM2_WITH_SM3)), der.bitString(signature));
  return { csrPem: der.toPem(csr, 'CERTIFICATE REQUEST'), privateKeyPem: keys.privateKeyPem, publicKeyPem: der.toPem(keys.spki, 'PUBLIC KEY') };
}

export interface InspectedCsr {
  /** Re-encoded PEM: the submitted text may carry stray whitespace inside the base64 (see the doc's example). */
  pem: string;
  commonName?: string;
  sans: x509.JsonGeneralName[];
  /** DER SubjectPublicKeyInfo. */
  spki: Buffer;
  keyType: CsrKeyType;
  /** RSA modulus length or EC curve, for logs and the admin view. */
  keyDescription: string;
}

export type CsrProblem =
  | { kind: 'missing' }
  | { kind: 'not-pem' }
  | { kind: 'bad-signature' }
  | { kind: 'rsa-too-small'; bits: number }
  | { kind: 'unsupported-key'; algorithm: string };

const PEM_RE = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (NEW )?CERTIFICATE REQUEST-----/;

const OID_CN = '2.5.4.3';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SAN = '2.5.29.17';
const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_SM2_CURVE = '1.2.156.10197.1.301';

/** id-ecPublicKey with the SM2 curve as its parameter. */
function isSm2Spki(spki: der.Tlv): boolean {
  const alg = der.children(spki)[0];
  const [type, curve] = alg ? der.children(alg) : [];
  return type?.tag === 0x06 && curve?.tag === 0x06 && der.readOid(type) === OID_EC_PUBLIC_KEY && der.readOid(curve) === OID_SM2_CURVE;
}
/** Signature algorithms verified natively; anything else (RSASSA-PSS…) goes through @peculiar/x509. */
const SIGNATURE_HASHES: Record<string, { hash: string; key: CsrKeyType }> = {
  [OID_SM2_WITH_SM3]: { hash: 'sm3', key: 'sm2' },
  '1.2.840.113549.1.1.5': { hash: 'sha1', key: 'rsa' },
  '1.2.840.113549.1.1.14': { hash: 'sha224', key: 'rsa' },
  '1.2.840.113549.1.1.11': { hash: 'sha256', key: 'rsa' },
  '1.2.840.113549.1.1.12': { hash: 'sha384', key: 'rsa' },
  '1.2.840.113549.1.1.13': { hash: 'sha512', key: 'rsa' },
  '1.2.840.10045.4.1': { hash: 'sha1', key: 'ec' },
  '1.2.840.10045.4.3.1': { hash: 'sha224', key: 'ec' },
  '1.2.840.10045.4.3.2': { hash: 'sha256', key: 'ec' },
  '1.2.840.10045.4.3.3': { hash: 'sha384', key: 'ec' },
  '1.2.840.10045.4.3.4': { hash: 'sha512', key: 'ec' },
};

interface ParsedCsr {
  info: der.Tlv;
  subject: der.Tlv;
  spki: der.Tlv;
  attributes?: der.Tlv;
  signatureOid: string;
  signature: Buffer;
}

function parseCsrDer(buf: Buffer): ParsedCsr {
  const top = der.readAll(buf);
  const [info, alg, sig] = der.children(top);
  if (top.tag !== 0x30 || !info || !alg || !sig || info.tag !== 0x30 || alg.tag !== 0x30 || sig.tag !== 0x03) throw new der.DerError('not a PKCS#10 request');
  const [version, subject, spki, attributes] = der.children(info);
  if (version?.tag !== 0x02 || subject?.tag !== 0x30 || spki?.tag !== 0x30) throw new der.DerError('bad certificationRequestInfo');
  if (sig.value[0] !== 0) throw new der.DerError('signature with unused bits');
  const algOid = der.children(alg)[0];
  if (!algOid) throw new der.DerError('no signature algorithm');
  return { info, subject, spki, attributes: attributes?.tag === 0xa0 ? attributes : undefined, signatureOid: der.readOid(algOid), signature: sig.value.subarray(1) };
}

function commonNameOf(subject: der.Tlv): string | undefined {
  for (const rdn of der.children(subject)) {
    for (const atv of der.children(rdn)) {
      const [type, value] = der.children(atv);
      if (type && value && der.readOid(type) === OID_CN) return der.readString(value).trim() || undefined;
    }
  }
  return undefined;
}

function sansOf(attributes: der.Tlv | undefined): x509.JsonGeneralName[] {
  const out: x509.JsonGeneralName[] = [];
  if (!attributes) return out;
  for (const attr of der.children(attributes)) {
    const [type, values] = der.children(attr);
    if (!type || !values || der.readOid(type) !== OID_EXTENSION_REQUEST) continue;
    for (const exts of der.children(values)) {
      for (const ext of der.children(exts)) {
        const parts = der.children(ext);
        if (!parts[0] || der.readOid(parts[0]) !== OID_SAN) continue;
        const value = parts[parts.length - 1]!;
        for (const name of der.children(der.readAll(value.value))) {
          if (name.tag === 0x82) out.push({ type: 'dns', value: name.value.toString('ascii') });
          else if (name.tag === 0x81) out.push({ type: 'email', value: name.value.toString('ascii') });
          else if (name.tag === 0x87) {
            const ip = der.formatIp(name.value);
            if (ip) out.push({ type: 'ip', value: ip });
          }
        }
      }
    }
  }
  return out;
}

async function signatureValid(p: ParsedCsr, key: KeyObject, keyType: CsrKeyType, raw: Buffer): Promise<boolean> {
  const known = SIGNATURE_HASHES[p.signatureOid];
  if (known) {
    if (known.key !== keyType) return false;
    try {
      return verify(known.hash, p.info.raw, key, p.signature);
    } catch {
      return false;
    }
  }
  try {
    return await new x509.Pkcs10CertificateRequest(raw).verify();
  } catch {
    return false;
  }
}

/**
 * Accepted CSRs by their base64: an order's CSR is inspected again when the certificate is
 * issued, and benchmarks submit the same CSR many times. Key import dominates the cost.
 */
const accepted = new Map<string, InspectedCsr>();
const ACCEPTED_MAX = 4_096;

/**
 * The checks a CA makes on a submitted CSR: PEM, parseable PKCS#10, self-signature valid,
 * RSA >= 2048 bits, ECDSA on P-256/P-384, or SM2. Which key a field needs is the caller's check.
 */
export async function inspectCsr(text: unknown): Promise<{ ok: true; csr: InspectedCsr } | { ok: false; problem: CsrProblem }> {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, problem: { kind: 'missing' } };
  const m = PEM_RE.exec(text);
  const body = m?.[2]?.replace(/\\n/g, '').replace(/\s+/g, '') ?? '';
  if (!m || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return { ok: false, problem: { kind: 'not-pem' } };
  const cached = accepted.get(body);
  if (cached) return { ok: true, csr: cached };
  const result = await inspectDer(Buffer.from(body, 'base64'));
  if (result.ok) {
    if (accepted.size >= ACCEPTED_MAX) accepted.delete(accepted.keys().next().value!);
    accepted.set(body, result.csr);
  }
  return result;
}

async function inspectDer(raw: Buffer): Promise<{ ok: true; csr: InspectedCsr } | { ok: false; problem: CsrProblem }> {
  let parsed: ParsedCsr;
  let commonName: string | undefined;
  let sans: x509.JsonGeneralName[];
  try {
    parsed = parseCsrDer(raw);
    commonName = commonNameOf(parsed.subject);
    sans = sansOf(parsed.attributes);
  } catch {
    return { ok: false, problem: { kind: 'not-pem' } };
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(parsed.spki.raw), format: 'der', type: 'spki' });
  } catch {
    return { ok: false, problem: { kind: 'unsupported-key', algorithm: 'unparseable public key' } };
  }
  const details = key.asymmetricKeyDetails ?? {};
  let keyType: CsrKeyType;
  let keyDescription: string;
  if (isSm2Spki(parsed.spki)) {
    // Node reports no type for OpenSSL's SM2 keys; the curve in the SubjectPublicKeyInfo says it.
    keyType = 'sm2';
    keyDescription = 'SM2';
  } else if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < 2048) return { ok: false, problem: { kind: 'rsa-too-small', bits } };
    keyType = 'rsa';
    keyDescription = `RSA ${bits}`;
  } else if (key.asymmetricKeyType === 'ec' && (details.namedCurve === 'prime256v1' || details.namedCurve === 'secp384r1')) {
    keyType = 'ec';
    keyDescription = details.namedCurve === 'prime256v1' ? 'ECDSA P-256' : 'ECDSA P-384';
  } else {
    const algorithm = key.asymmetricKeyType === 'ec' ? `EC ${details.namedCurve ?? '?'}` : (key.asymmetricKeyType ?? 'unknown');
    return { ok: false, problem: { kind: 'unsupported-key', algorithm } };
  }
  if (!(await signatureValid(parsed, key, keyType, raw))) return { ok: false, problem: { kind: 'bad-signature' } };
  return {
    ok: true,
    csr: { pem: der.toPem(raw, 'CERTIFICATE REQUEST'), commonName, sans, spki: Buffer.from(parsed.spki.raw), keyType, keyDescription },
  };
}
