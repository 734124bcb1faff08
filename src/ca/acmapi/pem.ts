/**
 * Certificates as text. ACMAPI's field table says the certificate comes "base64 格式" while
 * its example shows a PEM; the chain comes from a PEM file. Both end up as PEM blocks here.
 */

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** DER of any X.509 certificate starts with a SEQUENCE tag. */
const DER_SEQUENCE = 0x30;

export interface PemBlock {
  /** What follows `BEGIN` (`CERTIFICATE`, `PRIVATE KEY`, …). */
  label: string;
  pem: string;
}

/** Every PEM block in a text, in order; text around and between them is ignored. */
export function pemBlocks(text: string): PemBlock[] {
  return [...text.replace(/\r\n?/g, '\n').matchAll(BLOCK)].map((m) => ({ label: m[1] ?? '', pem: m[0] }));
}

/** DER bytes as a PEM certificate, 64 characters a line (RFC 7468). */
export function derToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return ['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----'].join('\n');
}

/**
 * The certificates a `certificate` value carries, as PEM: the PEM blocks it holds (the
 * example's form; their content is left for verification to judge), or, without any, the
 * value read as base64 DER (the table's form). Undefined when it is neither.
 */
export function certificatePems(text: string): string[] | undefined {
  if (text.includes('-----BEGIN')) {
    const blocks = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE');
    return blocks.length > 0 ? blocks.map((b) => b.pem) : undefined;
  }
  const base64 = text.replace(/\s+/g, '');
  if (!BASE64.test(base64)) return undefined;
  const der = Buffer.from(base64, 'base64');
  return der.length > 0 && der[0] === DER_SEQUENCE ? [derToPem(der)] : undefined;
}
