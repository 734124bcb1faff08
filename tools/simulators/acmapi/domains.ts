/**
 * The `domain_name` rules: at most 5 names (106), each a DNS host name (105). The document
 * gives only the two codes; what counts as a bad name here is inferred from ACMAPI being a
 * free DV service: no wildcards, no IP addresses, no duplicates, no internal spaces (the
 * document's own example has "www. example.com", which a CA could not validate).
 */
import { domainToASCII } from 'node:url';
import { ACMAPI_ERRORS } from './protocol';

export const MAX_DOMAINS = 5;

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The name as it goes into the certificate (lowercase, IDNs as punycode), or undefined if it is no host name. */
export function normaliseDomain(raw: string): string | undefined {
  const lower = raw.trim().toLowerCase();
  // Inferred: ACMAPI is free DV; a wildcard certificate is not among what it offers.
  if (lower === '' || lower.includes('*')) return undefined;
  // eslint-disable-next-line no-control-regex
  const ascii = /[^\x00-\x7f]/.test(lower) ? domainToASCII(lower) : lower;
  if (ascii === '' || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return undefined;
  // An all-digit top label is an IPv4 address, not a name.
  if (/^\d+$/.test(labels[labels.length - 1]!)) return undefined;
  return ascii;
}

export type DomainsCheck = { ok: true; domains: string[] } | { ok: false; code: typeof ACMAPI_ERRORS.domainFormat | typeof ACMAPI_ERRORS.domainCount };

export function checkDomainNames(input: unknown): DomainsCheck {
  // The document: "string array", "N" (not empty).
  if (!Array.isArray(input) || input.length === 0) return { ok: false, code: ACMAPI_ERRORS.domainFormat };
  if (input.length > MAX_DOMAINS) return { ok: false, code: ACMAPI_ERRORS.domainCount };
  const domains: string[] = [];
  for (const raw of input) {
    const name = typeof raw === 'string' ? normaliseDomain(raw) : undefined;
    if (!name || domains.includes(name)) return { ok: false, code: ACMAPI_ERRORS.domainFormat };
    domains.push(name);
  }
  return { ok: true, domains };
}
