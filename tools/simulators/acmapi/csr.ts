/**
 * The `csr` field: "证书请求文件 csr (base64 格式)" — base64, and the example is a PEM. Both
 * are accepted: a bare base64 DER is wrapped as PEM and both go through the WoTrus simulator's
 * CSR inspection (parse, self-signature, key strength). ACMAPI issues SSL certificates only,
 * so the SM2 keys that inspection also accepts are refused here.
 */
import { createHash } from 'node:crypto';
import { inspectCsr } from '../wotrus/csr';

export interface AcceptedCsr {
  /** DER SubjectPublicKeyInfo, copied into the certificate. */
  spki: Buffer;
  keyType: 'rsa' | 'ec';
  /** Hex SHA-256 of the SubjectPublicKeyInfo: how tests and the fault suite match keys. */
  spkiSha256: string;
  keyDescription: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function asPem(text: string): string | undefined {
  if (text.includes('-----BEGIN')) return text;
  const body = text.replace(/\\n/g, '').replace(/\s+/g, '');
  if (!BASE64.test(body)) return undefined;
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE REQUEST-----\n`;
}

export async function acceptCsr(input: unknown): Promise<AcceptedCsr | undefined> {
  const pem = typeof input === 'string' ? asPem(input) : undefined;
  if (!pem) return undefined;
  const inspected = await inspectCsr(pem);
  if (!inspected.ok || inspected.csr.keyType === 'sm2') return undefined;
  const { spki, keyType, keyDescription } = inspected.csr;
  return { spki, keyType, keyDescription, spkiSha256: createHash('sha256').update(spki).digest('hex') };
}
