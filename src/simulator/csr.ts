/**
 * CSRs: generating them (a helper for tests and benchmarks all over the repo) and inspecting
 * the ones a partner submits, with the checks a CA makes before it accepts an order.
 */
import { createPublicKey } from 'node:crypto';
import { type CryptoKey, type CryptoKeyPair, subtle, x509 } from './x509';

export type CsrKeyType = 'rsa' | 'ec';
export type EcCurve = 'P-256' | 'P-384';

export interface GenerateCsrOptions {
  commonName: string;
  /** Extra subjectAltNames; IPv4 literals become IP SANs, `a@b` e-mail SANs, the rest DNS SANs. */
  sans?: string[];
  keyType?: CsrKeyType;
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

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export function sanFor(value: string): x509.JsonGeneralName {
  if (IPV4.test(value)) return { type: 'ip', value };
  if (value.includes('@')) return { type: 'email', value };
  return { type: 'dns', value };
}

function keyAlgorithm(keyType: CsrKeyType, opts: GenerateCsrOptions): { gen: RsaHashedKeyGenParams | EcKeyGenParams; sign: { name: string; hash?: string } } {
  if (keyType === 'rsa') {
    return {
      gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: opts.rsaBits ?? 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      sign: { name: 'RSASSA-PKCS1-v1_5' },
    };
  }
  const curve = opts.curve ?? 'P-256';
  return { gen: { name: 'ECDSA', namedCurve: curve }, sign: { name: 'ECDSA', hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256' } };
}

interface RsaHashedKeyGenParams { name: string; modulusLength: number; publicExponent: Uint8Array; hash: string }
interface EcKeyGenParams { name: string; namedCurve: string }

export async function generateKeyPair(keyType: CsrKeyType = 'rsa', opts: Pick<GenerateCsrOptions, 'rsaBits' | 'curve'> = {}): Promise<CryptoKeyPair> {
  const { gen } = keyAlgorithm(keyType, { commonName: '', ...opts });
  return subtle.generateKey(gen, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

/** Generates a key pair (or reuses `keys`) and a PKCS#10 request signed with it. */
export async function generateCsr(opts: GenerateCsrOptions): Promise<GeneratedCsr> {
  const keyType: CsrKeyType = opts.keys ? (opts.keys.publicKey.algorithm.name === 'ECDSA' ? 'ec' : 'rsa') : (opts.keyType ?? 'rsa');
  const curve = opts.keys && keyType === 'ec' ? ((opts.keys.publicKey.algorithm as unknown as EcKeyGenParams).namedCurve as EcCurve) : opts.curve;
  const alg = keyAlgorithm(keyType, { ...opts, curve });
  const keys = opts.keys ?? ((await subtle.generateKey(alg.gen, true, ['sign', 'verify'])) as CryptoKeyPair);
  const names = [opts.commonName, ...(opts.sans ?? [])].filter((v, i, all) => v && all.indexOf(v) === i && !v.includes(' '));
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

export interface InspectedCsr {
  /** Re-encoded PEM: the submitted text may carry stray whitespace inside the base64 (see the doc's example). */
  pem: string;
  commonName?: string;
  sans: x509.JsonGeneralName[];
  spki: ArrayBuffer;
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

/**
 * The checks a CA makes on a submitted CSR: PEM, parseable PKCS#10, self-signature valid,
 * RSA >= 2048 bits or ECDSA on P-256/P-384.
 */
export async function inspectCsr(text: unknown): Promise<{ ok: true; csr: InspectedCsr } | { ok: false; problem: CsrProblem }> {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, problem: { kind: 'missing' } };
  const m = PEM_RE.exec(text);
  const body = m?.[2]?.replace(/\\n/g, '').replace(/\s+/g, '') ?? '';
  if (!m || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return { ok: false, problem: { kind: 'not-pem' } };
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(Buffer.from(body, 'base64'));
  } catch {
    return { ok: false, problem: { kind: 'not-pem' } };
  }
  const spki = csr.publicKey.rawData;
  let keyType: CsrKeyType;
  let keyDescription: string;
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const details = key.asymmetricKeyDetails ?? {};
    if (key.asymmetricKeyType === 'rsa') {
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
  } catch {
    return { ok: false, problem: { kind: 'unsupported-key', algorithm: 'unparseable public key' } };
  }
  let valid = false;
  try {
    valid = await csr.verify();
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, problem: { kind: 'bad-signature' } };

  const cn = csr.subjectName.getField('CN')[0];
  const sans: x509.JsonGeneralName[] = [];
  for (const ext of csr.extensions) {
    if (ext instanceof x509.SubjectAlternativeNameExtension) {
      for (const n of ext.names.items) if (n.type === 'dns' || n.type === 'ip' || n.type === 'email') sans.push({ type: n.type, value: n.value });
    }
  }
  return {
    ok: true,
    csr: { pem: x509.PemConverter.encode(csr.rawData, 'CERTIFICATE REQUEST'), commonName: cn?.trim() || undefined, sans, spki, keyType, keyDescription },
  };
}
